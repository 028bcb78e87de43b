"""The plugin's CPU-list syntax and classification rules."""
import pytest

from nrisim.plugin.classification import determine_mode, forbidden_cpus
from nrisim.plugin.cpulist import (
    CpuListError,
    format_comma,
    format_ranges,
    go_slice,
    parse_and_validate,
    parse_cpu_list,
)

from plugin_fakes import annotated, container, integer, shared

ONLINE = tuple(range(64))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", []), ("0", [0]), ("1-3,33", [1, 2, 3, 33]), (" 4 , 2 ", [4, 2]), ("0,0", [0, 0]), ("+5", [5])],
)
def test_parse_accepts_plugin_syntax(text, expected):
    assert parse_cpu_list(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0,,2", "empty CPU value in list: 0,,2"),
        ("not-a-number", "invalid CPU range format: not-a-number"),
        ("0-", 'invalid end CPU in range 0-: strconv.Atoi: parsing "": invalid syntax'),
        ("-1", 'invalid start CPU in range -1: strconv.Atoi: parsing "": invalid syntax'),
        ("5-2", "invalid CPU range 5-2: start > end"),
        ("a", 'invalid CPU number a: strconv.Atoi: parsing "a": invalid syntax'),
        ("a,b,c", 'invalid CPU number a: strconv.Atoi: parsing "a": invalid syntax'),
        ("1_0", 'invalid CPU number 1_0: strconv.Atoi: parsing "1_0": invalid syntax'),
        ("16385", "invalid CPU number 16385: CPU IDs above 16384 not supported"),
        ("0-16385", "invalid CPU range 0-16385: CPU IDs above 16384 not supported"),
        ("99999999999999999999", 'invalid CPU number 99999999999999999999: strconv.Atoi: parsing '
                                 '"99999999999999999999": value out of range'),
    ],
)
def test_parse_errors_are_the_plugins(text, message):
    with pytest.raises(CpuListError) as err:
        parse_cpu_list(text)
    assert str(err.value) == message


def test_validation_names_offline_cpus_and_online_range():
    with pytest.raises(CpuListError) as err:
        parse_and_validate("1,999,1000", ONLINE)
    assert str(err.value) == "CPU(s) not online: [999 1000] (valid range: 0-63)"
    assert parse_and_validate("", ONLINE) == []


def test_formatters():
    assert format_ranges([33, 3, 1, 2]) == "1-3,33"
    assert format_ranges([0, 0]) == "0,0"
    assert format_ranges([]) == ""
    assert format_comma([2, 0, 1]) == "0,1,2"
    assert go_slice([1, 2, 3]) == "[1 2 3]"
    assert go_slice([]) == "[]"


@pytest.mark.parametrize(
    ("info", "mode"),
    [
        (annotated(""), "annotated"),
        (annotated("0-3", cpu_limit=2), "annotated"),
        (integer(2), "integer"),
        (container(cpu_limit=2, cpu_request_milli=1000), "shared"),  # request != limit
        (container(cpu_limit=2, memory_limit=None), "shared"),  # no memory limit
        (container(cpu_limit=2, memory_limit=2 << 30), "integer"),  # burstable memory still integer
        (shared(), "shared"),
    ],
)
def test_classification(info, mode):
    assert determine_mode(info) == mode


def test_fractional_limit_is_shared():
    info = container(cpu_limit=1)
    fractional = info.__class__(**{**info.__dict__, "cpu_quota": 150_000, "cpu_shares": 1536})
    assert determine_mode(fractional) == "shared"


def test_forbidden_cpus_union_sorted_and_bad_value_warned():
    lines = []
    assert forbidden_cpus({"weka.io/forbid-core-ids": "5,1-3"}, lines.append) == [1, 2, 3, 5]
    assert forbidden_cpus({"weka.io/forbid-core-ids": "x"}, lines.append) == []
    assert lines == ["Warning: Failed to parse forbid-core-ids annotation 'x': "
                     'invalid CPU number x: strconv.Atoi: parsing "x": invalid syntax']
