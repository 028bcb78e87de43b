"""The shared-pool check's failure message names the requirement each problem breaks; problems of
several requirements name them all, so the release gate waives them as no single deviation."""
from __future__ import annotations

from CpusetLibrary.cli import waivers
from CpusetLibrary.keywords.sharedpool import _message

SUMMARY = "shared pod s has 0-63, the shared pool is 2-63"
RESERVED = ("3.2-shared-live-update", "runs on 0-1, reserved for integer pod i (0-1)")
FORBIDDEN = ("3.1-forbid-on-refresh", "runs on its forbidden CPUs 4")


def test_one_requirement_is_named_as_the_waivers_expect():
    message = _message([(SUMMARY, [RESERVED])], "3.2-shared-live-update", "5 s after the change")
    assert message == ("requirement 3.2-shared-live-update violated: 5 s after the change: shared pod s has 0-63, "
                       "the shared pool is 2-63: runs on 0-1, reserved for integer pod i (0-1)")
    assert message.startswith(waivers.violation_prefix("3.2-shared-live-update"))


def test_problems_of_two_requirements_name_both_and_match_no_single_prefix():
    message = _message([(SUMMARY, [RESERVED, FORBIDDEN])], "3.2-shared-live-update", "after x")
    assert message.startswith("requirements 3.1-forbid-on-refresh, 3.2-shared-live-update violated: after x: ")
    assert not any(message.startswith(waivers.violation_prefix(r)) for r in ("3.1-forbid-on-refresh",
                                                                              "3.2-shared-live-update"))


def test_without_a_requirement_the_message_is_plain():
    assert _message([(SUMMARY, [RESERVED])], "", "after x") == f"after x: {SUMMARY}: {RESERVED[1]}"
