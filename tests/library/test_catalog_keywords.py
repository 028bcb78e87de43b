"""The vocabulary words the single-node catalog procedures added (hyper-threading, lasting
refusals and log lines, integer pod series), against the simulated cluster (head model, 16 CPUs,
2 threads per core with siblings i and i+8)."""
from __future__ import annotations

from datetime import timedelta

import pytest

SECONDS = timedelta(seconds=10)


def run(lib, *bodies) -> list[str]:
    names = lib("Create Pods Together", *bodies)
    lib("Wait Until Pods Are Ready", *names, timeout=SECONDS)
    return names


def test_cores_as_the_node_reports_them(lib):
    assert lib("Node Has Thread Siblings") is True
    assert lib("Cpus Should Be Threads Of One Core", "1,9", what="pair") == {1, 9}
    assert lib("Cpus Should Be Threads Of One Core", "3") == {3, 11}
    with pytest.raises(AssertionError, match=r"1-2 is not the threads of one core: CPU 1's siblings are 1,9; "
                                             r"CPU 2's siblings are 2,10"):
        lib("Cpus Should Be Threads Of One Core", "1-2")
    with pytest.raises(AssertionError, match="names CPUs that are not online: 99"):
        lib("Cpus Should Be Threads Of One Core", "1,99")
    assert lib("Cpus Without Their Siblings", "0-3,8-9") == {2, 3}
    assert lib("Cpus Without Their Siblings", "0-15") == set()


def test_a_refusal_that_lasts_is_counted_over_retries(lib):
    lib("Create Pods Together", lib("Pod Body", "bad", cores="not-a-number"))
    message = "invalid CPU list in annotation 'not-a-number': invalid CPU range format: not-a-number"
    assert lib("Pod Should Stay Refused By The Plugin", "bad", message=message, attempts=3, timeout=SECONDS) >= 3
    with pytest.raises(AssertionError, match="was refused with .*, expected 'other'"):
        lib("Pod Should Stay Refused By The Plugin", "bad", message="other", timeout=SECONDS)
    lines = lib("Plugin Log Should Have Line Matching",
                r"DEBUG: Invalid annotation for annotated container [0-9a-f]{12}: " + message.replace("(", r"\("),
                since="run", timeout=SECONDS)
    assert lines and all(message in line for line in lines)
    with pytest.raises(AssertionError, match="no plugin log line since the run started matches 'nothing like this'"):
        lib("Plugin Log Should Have Line Matching", "nothing like this", since="run", timeout=timedelta(0))
    with pytest.raises(ValueError, match="since 'yesterday' is not a plugin log mark"):
        lib("Plugin Log Should Have Line Matching", "x", since="yesterday")


def test_a_pod_that_runs_is_not_a_lasting_refusal(lib):
    run(lib, lib("Pod Body", "ok", cpu="1", memory="64Mi"))
    with pytest.raises(AssertionError, match="pod ok got a container"):
        lib("Pod Should Stay Refused By The Plugin", "ok", message="x", timeout=SECONDS)


def test_integer_pod_series(lib):
    bodies = lib("Integer Pod Bodies", "fill", 3, 2, memory="32Mi")
    assert [b["metadata"]["name"] for b in bodies] == ["fill-1", "fill-2", "fill-3"]
    assert {str(b["spec"]["containers"][0]["resources"]["limits"]["cpu"]) for b in bodies} == {"2"}
    run(lib, *bodies)
    lib("Pods Should Have Exactly Their Requested Cpus", "fill-1", "fill-2", "fill-3")
    assert lib("Integer Pod Bodies", "none", 0, 2) == []
    with pytest.raises(ValueError, match="cpus must be a whole number of CPUs of at least 1, got 0"):
        lib("Integer Pod Bodies", "bad", 1, 0)
