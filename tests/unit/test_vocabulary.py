"""Unit tests of the vocabulary's pure parts: CPU sets as values, pod shapes, the plugin's
latest word on a container (grants and live moves), and its refusal message."""
from __future__ import annotations

import pytest

from CpusetLibrary.cpusets import CpuListError, CpuSet
from CpusetLibrary.grantlog import Grant, latest_words
from CpusetLibrary.keywords.cpusetvalues import CpuSetValueKeywords
from CpusetLibrary.keywords.shapes import plugin_message
from CpusetLibrary.podshape import PodShape, PodShapeError, pod_body

KW = CpuSetValueKeywords()
CID_X = "a" * 64
CID_Y = "b" * 64


@pytest.mark.parametrize("value, expected", [
    ("0-3,8", {0, 1, 2, 3, 8}), ("", set()), (5, {5}), ([1, 2], {1, 2}), (frozenset({7}), {7}), (["3", 4], {3, 4}),
])
def test_cpu_set_converts_lists_numbers_and_collections(value, expected):
    cpus = CpuSet.convert(value)
    assert cpus == frozenset(expected) and isinstance(cpus, CpuSet)


def test_cpu_set_prints_as_a_cpu_list():
    assert str(CpuSet.convert("8,0-3")) == "0-3,8" and repr(CpuSet.convert("1")) == "CpuSet('1')"


@pytest.mark.parametrize("bad", ["0-", "a", True, 3.5, [-1]])
def test_cpu_set_rejects_what_is_not_a_cpu_list(bad):
    with pytest.raises((CpuListError, TypeError)):
        CpuSet.convert(bad)


def test_set_keywords():
    a, b = CpuSet.convert("0-3"), CpuSet.convert("2-5")
    assert KW.cpu_set_union(a, b) == set(range(6))
    assert KW.cpu_set_difference(a, b) == {0, 1} and KW.cpu_set_intersection(a, b) == {2, 3}
    assert KW.lowest_cpus(b, 2) == {2, 3} and KW.highest_cpus(b, 1) == {5}
    with pytest.raises(ValueError, match="cannot take 5 CPUs of 0-3"):
        KW.lowest_cpus(a, 5)


def test_comparison_keywords_name_the_cpus():
    KW.cpu_set_should_be(CpuSet.convert("0,2"), CpuSet.convert("0,2"))
    with pytest.raises(AssertionError, match="pod is 0-2, expected 0,2; extra 1"):
        KW.cpu_set_should_be(CpuSet.convert("0-2"), CpuSet.convert("0,2"), what="pod")
    with pytest.raises(AssertionError, match="includes 1"):
        KW.cpu_set_should_not_include(CpuSet.convert("0-2"), CpuSet.convert("1,5"))
    with pytest.raises(AssertionError, match="a and b share CPUs 2"):
        KW.cpu_sets_should_be_disjoint({"a": "0-2", "b": CpuSet.convert("2-3")})


def _container(body):
    return body["spec"]["containers"][0]


def test_pod_shapes():
    integer = pod_body(PodShape("i", cpu="2", memory="64Mi", forbid="1,3"), "ns", "node", "run")
    assert _container(integer)["resources"] == {"requests": {"cpu": "2", "memory": "64Mi"},
                                                "limits": {"cpu": "2", "memory": "64Mi"}}
    assert integer["metadata"]["annotations"] == {"weka.io/forbid-core-ids": "1,3"}
    assert integer["spec"]["nodeSelector"] == {"kubernetes.io/hostname": "node"}
    burst = pod_body(PodShape("b", cpu="1", cpu_limit="2", memory="64Mi", memory_limit="none"), "ns", "n", "r")
    assert _container(burst)["resources"] == {"requests": {"cpu": "1", "memory": "64Mi"}, "limits": {"cpu": "2"}}
    best_effort = pod_body(PodShape("e", cores=""), "ns", "n", "r")
    assert _container(best_effort)["resources"] == {}
    assert best_effort["metadata"]["annotations"] == {"weka.io/cores-ids": ""}
    assert _container(best_effort)["command"]  # the manifests' command


def test_a_bad_quantity_names_the_argument():
    with pytest.raises(PodShapeError, match="cpu_limit 'lots' is not a CPU quantity"):
        pod_body(PodShape("x", cpu="1", cpu_limit="lots"), "ns", "n", "r")
    with pytest.raises(PodShapeError, match="memory '1 GB' is not a memory quantity"):
        pod_body(PodShape("x", memory="1 GB"), "ns", "n", "r")


def test_latest_word_is_the_grant_then_the_move():
    lines = [
        f"DEBUG: Successfully allocated integer container {CID_X[:12]} with CPUs [1 33]",
        f"DEBUG: Successfully allocated integer container {CID_Y[:12]} with CPUs [2 34]",
        f"DEBUG: Found conflicting integer container {CID_X[:12]} on CPU 1",
        "DEBUG: Successfully planned reallocation of 1 containers for annotated container cccccccccccc",
    ]
    words = latest_words(lines)
    assert words[CID_X[:12]] == Grant(frozenset({1, 33}), True, frozenset({1}))
    assert words[CID_X[:12]].matches(frozenset({3, 35})) and not words[CID_X[:12]].matches(frozenset({1, 35}))
    assert not words[CID_X[:12]].matches(frozenset({3}))  # the count is kept
    assert words[CID_Y[:12]] == Grant(frozenset({2, 34}))


def test_a_failed_plan_is_no_move_and_pre_lines_are_understood():
    failed = [f"DEBUG: Successfully allocated integer container {CID_X[:12]} with CPUs [1 33]",
              f"DEBUG: Found conflicting integer container {CID_X[:12]} on CPU 1",
              "DEBUG: Reallocation planning failed: cannot reallocate integer container x"]
    assert latest_words(failed)[CID_X[:12]] == Grant(frozenset({1, 33}))
    pre = [f"DEBUG: Recorded integer container {CID_X} with CPUs [1 33]",
           f"DEBUG: CPU 33 is owned by container {CID_X[:12]}",
           "DEBUG: Executing reallocation plan with 1 containers"]
    assert latest_words(pre)[CID_X[:12]].moved


def test_plugin_message_unwraps_containerd():
    wrapped = ("failed to create containerd container: failed to get NRI adjustment for container: "
               "rpc error: code = Unknown desc = shared CPU pool is empty")
    assert plugin_message(wrapped) == "shared CPU pool is empty"
    assert plugin_message("plain") == "plain"
