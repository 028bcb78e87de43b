"""Per-test cleanup also waits for containers the plugin admitted for a pod while it was being
deleted (the test never saw them Running, so it has no container id for them)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from CpusetLibrary.cluster import NodeSummary
from CpusetLibrary.context import LibraryContext
from CpusetLibrary.keywords.plugin import PluginKeywords
from CpusetLibrary.nodeaccess.base import LogMark

ADMITTED_AFTER_DELETION = [
    "DEBUG: CreateContainer called for annotated container ns/annotated-impossible (container 321e6900b6d3)",
    "DEBUG: Recorded annotated container 321e6900b6d3 with CPUs [1]",
]
REMOVED = "Removing container weka-container from pod ns/annotated-impossible"


class GrowingLog:
    """A plugin log that gains ``later`` lines after ``reads_before`` reads."""

    progress = None

    def __init__(self, lines: list[str], later: list[str], reads_before: int) -> None:
        self.lines, self.later, self.reads_before, self.reads = list(lines), later, reads_before, 0

    def mark(self) -> LogMark:
        return LogMark("fake", 0)

    def read_since(self, mark: LogMark) -> list[str]:
        self.reads += 1
        if self.reads > self.reads_before:
            return self.lines + self.later
        return list(self.lines)


def keywords(log: GrowingLog) -> PluginKeywords:
    node = NodeSummary(name="node-1", ready=True, cpu_capacity=16, cpu_allocatable=16, address="10.0.0.1",
                       runtime="containerd 2.0.5", kubelet="v1.36.1")
    return PluginKeywords(LibraryContext(node=node, node_access=log, namespace="ns", run_mark=LogMark("fake", 0)))


def test_waits_until_the_admitted_container_is_removed() -> None:
    log = GrowingLog(ADMITTED_AFTER_DELETION, [REMOVED], reads_before=3)
    keywords(log).wait_for_unseen_admissions(["annotated-impossible"], timedelta(seconds=5))
    assert log.reads == 4


def test_a_pod_the_plugin_never_admitted_is_not_awaited() -> None:
    log = GrowingLog(["DEBUG: CreateContainer called for annotated container ns/annotated-impossible "
                      "(container 103de61e626c)"], [], reads_before=0)
    keywords(log).wait_for_unseen_admissions(["annotated-impossible"], timedelta(seconds=5))
    assert log.reads == 1


def test_an_admission_before_the_plugin_restarted_is_not_in_its_state() -> None:
    restarted = [*ADMITTED_AFTER_DELETION, "Synchronizing state with 0 pods and 0 containers"]
    keywords(GrowingLog(restarted, [], 0)).wait_for_unseen_admissions(["annotated-impossible"],
                                                                     timedelta(seconds=5))


def test_no_removal_in_time_fails_naming_the_pod() -> None:
    log = GrowingLog(ADMITTED_AFTER_DELETION, [], reads_before=0)
    with pytest.raises(AssertionError, match="admitted for annotated-impossible while they were being deleted"):
        keywords(log).wait_for_unseen_admissions(["annotated-impossible"], timedelta(seconds=0.2))
