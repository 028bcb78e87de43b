"""Unit and property tests for CpusetLibrary.cpusets."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from CpusetLibrary.cpusets import (
    CpuListError,
    ProcStatusError,
    format_comma_list,
    format_cpu_list,
    format_cpu_mask,
    parse_cpu_list,
    parse_cpu_mask,
    parse_proc_status,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", set()),
        ("   ", set()),
        ("0", {0}),
        ("0-3,8,10-11", {0, 1, 2, 3, 8, 10, 11}),
        (" 0-3 , 8 ,10-11 ", {0, 1, 2, 3, 8, 10, 11}),
        ("10-11,0-3,8", {0, 1, 2, 3, 8, 10, 11}),
        ("0,0,1-2,2", {0, 1, 2}),
        ("5-5", {5}),
        ("0-3\n", {0, 1, 2, 3}),
    ],
)
def test_parse_cpu_list(text: str, expected: set[int]) -> None:
    assert parse_cpu_list(text) == frozenset(expected)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0-", "range end ''"),
        ("-1", "range start ''"),
        ("5-2", "start > end"),
        ("a", "CPU number 'a'"),
        ("0,,2", "empty item"),
        ("0-3-5", "more than one '-'"),
        ("1,", "empty item"),
        ("+1", "CPU number '+1'"),
        ("0 - 3", "range start '0 '"),
        ("٣", "CPU number"),  # a non-ASCII digit
    ],
)
def test_parse_cpu_list_errors_quote_text_and_item(text: str, fragment: str) -> None:
    with pytest.raises(CpuListError) as info:
        parse_cpu_list(text)
    message = str(info.value)
    assert repr(text) in message
    assert fragment in message
    assert "expected" in message


def test_parse_cpu_list_max_cpu() -> None:
    assert parse_cpu_list("0-63", max_cpu=63) == frozenset(range(64))
    with pytest.raises(CpuListError) as info:
        parse_cpu_list("0-3,64", max_cpu=63)
    assert "'0-3,64'" in str(info.value) and "CPU 64" in str(info.value)
    assert "0-63" in str(info.value)


def test_parse_cpu_list_global_limit() -> None:
    with pytest.raises(CpuListError, match="CPU 99999"):
        parse_cpu_list("0-99999")


def test_is_cpu_list_error_a_value_error() -> None:
    assert issubclass(CpuListError, ValueError)


def test_format_cpu_list() -> None:
    assert format_cpu_list({0, 1, 2, 3, 8, 10, 11}) == "0-3,8,10-11"
    assert format_cpu_list([]) == ""
    assert format_cpu_list([5]) == "5"
    assert format_cpu_list([3, 1, 2, 2]) == "1-3"
    assert format_comma_list({3, 0, 1, 2}) == "0,1,2,3"
    assert format_comma_list(set()) == ""
    with pytest.raises(CpuListError, match="-1"):
        format_cpu_list([-1])


@pytest.mark.parametrize(
    ("cpus", "ncpus", "expected"),
    [
        (range(64), 64, "ffffffff,ffffffff"),
        (range(4), 4, "f"),
        (range(48), 48, "ffff,ffffffff"),
        ({0}, 64, "00000000,00000001"),
        ({32}, 64, "00000001,00000000"),
        (set(), 64, "00000000,00000000"),
        (range(2), 2, "3"),
        (range(6), 6, "3f"),
        ({0}, 33, "0,00000001"),
        (range(32), 32, "ffffffff"),
        (range(16), 16, "ffff"),
        ({1, 33, 95}, 96, "80000000,00000002,00000002"),
    ],
)
def test_format_cpu_mask_matches_kernel(cpus, ncpus: int, expected: str) -> None:
    assert format_cpu_mask(cpus, ncpus) == expected
    assert parse_cpu_mask(expected) == frozenset(cpus)


def test_format_cpu_mask_rejects_cpu_outside_machine() -> None:
    with pytest.raises(CpuListError, match="CPU 64"):
        format_cpu_mask({64}, 64)
    with pytest.raises(CpuListError, match="ncpus"):
        format_cpu_mask({0}, 0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("ffffffff,fffffffg", "non-hex digit 'g'"),
        ("", "empty"),
        ("ff,,ff", "empty group"),
        ("123456789", "9 digits"),
        ("0x1", "non-hex digit 'x'"),
    ],
)
def test_parse_cpu_mask_errors(text: str, fragment: str) -> None:
    with pytest.raises(CpuListError) as info:
        parse_cpu_mask(text)
    assert repr(text) in str(info.value)
    assert fragment in str(info.value)


def test_parse_cpu_mask_any_number_of_groups() -> None:
    assert parse_cpu_mask("1,00000000,00000000,00000000") == frozenset({96})
    assert parse_cpu_mask("F0") == frozenset({4, 5, 6, 7})


STATUS = """Name:\tsleep
Umask:\t0022
State:\tS (sleeping)
Cpus_allowed:\t00000000,0000ffff
Cpus_allowed_list:\t0-15
Mems_allowed:\t00000000,00000001
Mems_allowed_list:\t0
voluntary_ctxt_switches:\t1
"""


def test_parse_proc_status() -> None:
    status = parse_proc_status(STATUS)
    assert status.cpus_allowed == frozenset(range(16))
    assert status.cpus_allowed_list == frozenset(range(16))
    assert status.mems_allowed_list == frozenset({0})
    assert status.raw["Cpus_allowed"] == "00000000,0000ffff"
    assert status.raw["Name"] == "sleep"
    status.check_consistent()


def test_parse_proc_status_exact_field_names() -> None:
    # a field whose name merely contains "Cpus_allowed_list" must not be taken
    text = "X_Cpus_allowed_list:\t0-3\nCpus_allowed:\tf\n"
    status = parse_proc_status(text)
    assert status.cpus_allowed_list is None
    assert status.cpus_allowed == frozenset(range(4))
    with pytest.raises(ProcStatusError, match="no Cpus_allowed_list"):
        status.check_consistent()


def test_check_consistent_reports_both_values() -> None:
    text = STATUS.replace("Cpus_allowed_list:\t0-15", "Cpus_allowed_list:\t0-14,20")
    with pytest.raises(ProcStatusError) as info:
        parse_proc_status(text).check_consistent()
    message = str(info.value)
    assert "'00000000,0000ffff'" in message and "'0-14,20'" in message
    assert "only in mask: '15'" in message and "only in list: '20'" in message


def test_parse_proc_status_bad_field_names_it() -> None:
    with pytest.raises(ProcStatusError, match="Cpus_allowed_list.*'0-'"):
        parse_proc_status("Cpus_allowed_list:\t0-\n")


def test_empty_status_has_no_fields() -> None:
    status = parse_proc_status("")
    assert (status.cpus_allowed, status.cpus_allowed_list, status.mems_allowed_list) == (
        None,
        None,
        None,
    )


cpu_sets = st.frozensets(st.integers(min_value=0, max_value=511), max_size=80)


@given(cpu_sets)
def test_list_round_trip(cpus: frozenset[int]) -> None:
    assert parse_cpu_list(format_cpu_list(cpus)) == cpus
    assert parse_cpu_list(format_comma_list(cpus)) == cpus


@given(cpu_sets)
def test_format_cpu_list_is_canonical(cpus: frozenset[int]) -> None:
    text = format_cpu_list(cpus)
    assert format_cpu_list(parse_cpu_list(text)) == text
    # canonical: no two items touch or overlap
    bounds = [tuple(map(int, item.split("-"))) for item in text.split(",")] if text else []
    for (_, prev_end), (start, *_rest) in zip([(b[0], b[-1]) for b in bounds], bounds[1:]):
        assert start > prev_end + 1


@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 20)), max_size=20),
    st.sampled_from([",", " ,", ", ", " , "]),
)
def test_parse_unordered_items_with_duplicates(items, separator: str) -> None:
    expected = set()
    parts = []
    for start, length in items:
        expected.update(range(start, start + length + 1))
        parts.append(f"{start}-{start + length}" if length else str(start))
    assert parse_cpu_list(separator.join(parts + parts[::-1])) == frozenset(expected)


@given(st.integers(min_value=1, max_value=600).flatmap(
    lambda n: st.tuples(st.just(n), st.frozensets(st.integers(0, n - 1)))
))
def test_mask_round_trip_and_list_agreement(case) -> None:
    ncpus, cpus = case
    mask = format_cpu_mask(cpus, ncpus)
    assert parse_cpu_mask(mask) == cpus
    groups = mask.split(",")
    assert len(groups) == -(-ncpus // 32)
    assert all(len(group) == 8 for group in groups[1:])
    status = parse_proc_status(
        f"Cpus_allowed:\t{mask}\nCpus_allowed_list:\t{format_cpu_list(cpus)}\n"
    )
    status.check_consistent()
    assert status.cpus_allowed == status.cpus_allowed_list == cpus
