"""A leak or a crash during a test fails that test (issue 20, item 6): the per-test checks of the
plugin, on a correct plugin (nothing to report, also across a restart the test asks for) and on
models that leak or exit."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from library_caller import Library, in_namespace

SECONDS = timedelta(seconds=20)


def _connected(tmp_path_factory, model: str) -> Iterator[Library]:
    yield from in_namespace(tmp_path_factory, "health", sim_cpus=16, plugin_model=model)


@pytest.fixture(scope="module")
def head(tmp_path_factory) -> Iterator[Library]:
    yield from _connected(tmp_path_factory, "head")


@pytest.fixture(scope="module")
def leaking(tmp_path_factory) -> Iterator[Library]:
    yield from _connected(tmp_path_factory, "leak-on-remove")


@pytest.fixture(scope="module")
def exiting(tmp_path_factory) -> Iterator[Library]:
    yield from _connected(tmp_path_factory, "exit-on-removal-burst")


def _pods(lib: Library) -> list[str]:
    names = lib("Create Pods Together", lib("Pod Body", "annotated", cpu="100m", cores="2-3"),
                lib("Pod Body", "integer", cpu="2", memory="64Mi"), lib("Pod Body", "shared", cpu="500m"))
    lib("Wait Until Pods Are Ready", *names, timeout=SECONDS)
    return names


def test_a_correct_plugin_passes_both_checks_also_across_an_asked_restart(head):
    head("Mark Plugin Log For Step")
    _pods(head)
    head("Restart Plugin", timeout=SECONDS)
    head("Clean Up Test Pods", timeout=SECONDS)
    head("Plugin Should Reserve No Cpu Of Deleted Pods", timeout=SECONDS)
    head("Plugin Should Have Stayed Up During The Test", timeout=SECONDS)


def test_a_leak_fails_naming_the_cpus_and_pods_and_the_next_test_starts_clean(leaking):
    leaking("Mark Plugin Log For Step")
    _pods(leaking)
    leaking("Clean Up Test Pods", timeout=SECONDS)
    with pytest.raises(AssertionError) as failure:
        leaking("Plugin Should Reserve No Cpu Of Deleted Pods", timeout=SECONDS)
    assert str(failure.value) == ("the plugin leaked CPUs 2-3: it still reserved them after the test's pods were "
                                  "deleted and released (granted to 2-3 of pod annotated); restarted it for the "
                                  "next test")
    leaking("Plugin Should Have Stayed Up During The Test", timeout=SECONDS)  # the restart was the check's own
    leaking("Mark Plugin Log For Step")  # the next test
    assert not leaking("Cpus Reserved For No Pod")


def test_an_exit_in_a_removal_burst_fails_naming_the_exit_code_and_the_last_lines(exiting):
    exiting("Mark Plugin Log For Step")
    names = _pods(exiting)
    exiting("Delete Pods Together", *names, grace_period=0)  # the untracked shared container in the burst
    exiting("Wait Until Pods Are Gone", *names, timeout=SECONDS)
    exiting("Wait Until Plugin Has Released Pods", *names, timeout=SECONDS)
    with pytest.raises(AssertionError) as failure:
        exiting("Plugin Should Have Stayed Up During The Test", timeout=SECONDS)
    message = str(failure.value)
    assert message.startswith("the plugin restarted 1 times during the test, 0 of them asked for by the test; "
                              "pod weka-nri-cpuset-"), message
    assert "restartCount 0 -> 1, its container last ended with exit code 0 (Completed); the last plugin log " \
           "lines before it: " in message, message
    assert "Removing container weka-container from pod health-" in message, message  # the removal it died in
    exiting("Mark Plugin Log For Step")  # the next test: the plugin runs and has synchronized
    exiting("Plugin Should Have Stayed Up During The Test", timeout=SECONDS)
