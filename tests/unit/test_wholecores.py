"""The whole-core rule of an integer grant (wholecores.judge_grant), judged against the CPUs
free before it: free threads of partly taken cores first, then whole cores, then at most one
more broken core for an odd remainder."""
from __future__ import annotations

from CpusetLibrary.coregrants import is_integer_body
from CpusetLibrary.wholecores import judge_grant

# 8 CPUs, 4 cores: i and i + 4 are siblings
SIBLINGS = {cpu: frozenset({cpu % 4, cpu % 4 + 4}) for cpu in range(8)}
ALL = frozenset(range(8))


def test_whole_cores_for_an_even_count_on_an_idle_node():
    assert judge_grant(frozenset({1, 5, 2, 6}), ALL, SIBLINGS).ok
    verdict = judge_grant(frozenset({1, 2}), ALL, SIBLINGS)
    assert not verdict.ok and len(verdict.broken) == 2 and verdict.allowed == 0


def test_an_odd_count_may_break_one_core_only():
    assert judge_grant(frozenset({1, 5, 2}), ALL, SIBLINGS).ok
    verdict = judge_grant(frozenset({1, 2, 3}), ALL, SIBLINGS)
    assert not verdict.ok and verdict.allowed == 1 and len(verdict.broken) == 3
    assert "whole cores broken: 1,5, 2,6, 3,7 (the rule allows 1)" in verdict.describe()


def test_free_threads_of_partly_taken_cores_come_first():
    free = ALL - {0}  # 4 is the free half of core 0,4
    assert judge_grant(frozenset({4}), free, SIBLINGS).ok
    assert judge_grant(frozenset({4, 1, 5}), free, SIBLINGS).ok  # the odd count is even after 4
    assert not judge_grant(frozenset({1, 5, 2}), free, SIBLINGS).ok  # 4 left free, 2,6 broken needlessly
    assert judge_grant(frozenset({4, 1}), free, SIBLINGS).ok  # 4, then the odd remainder breaks one core


def test_a_core_with_a_forbidden_thread_is_partly_taken():
    free = ALL - {2}  # 2 held, or forbidden to the pod: 6 completes its core
    assert judge_grant(frozenset({6, 1, 5}), free, SIBLINGS).ok


def test_cores_of_one_online_thread_cannot_be_broken():
    no_smt = {cpu: frozenset({cpu}) for cpu in range(8)}
    assert judge_grant(frozenset({1, 3, 6}), ALL, no_smt).ok
    offline = {cpu: s - {5} for cpu, s in SIBLINGS.items() if cpu != 5}  # CPU 5 offline: 1 alone
    assert judge_grant(frozenset({1, 2, 6}), ALL - {5}, offline).ok


def test_integer_bodies_are_told_as_the_plugin_tells_them():
    def body(cpu, memory="64Mi", request=None):
        limits = {"cpu": cpu, **({"memory": memory} if memory else {})}
        return {"spec": {"containers": [{"resources": {"limits": limits, "requests": {"cpu": request or cpu}}}]}}
    assert is_integer_body(body("2"))
    assert not is_integer_body(body("1500m")) and not is_integer_body(body("2", memory=""))
    assert not is_integer_body(body("2", request="1")) and not is_integer_body({"spec": {}})
