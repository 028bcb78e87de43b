"""The rule that reads a container's command into how it runs and how it takes SIGTERM."""
from __future__ import annotations

import math

import pytest

from nrisim.node.process import KILLED, model_command


@pytest.mark.parametrize("command, duration, code, on_term", [
    (["sleep", "3600"], 3600, 0, "ignore"),
    (["sleep", "infinity"], math.inf, 0, "ignore"),
    (["sleep", "1m"], 60, 0, "ignore"),
    (["true"], 0, 0, "ignore"),
    (["false"], 0, 1, "ignore"),
    (None, math.inf, 0, "ignore"),
    (["sh", "-c", "exit 3"], 0, 3, "ignore"),
    (["sh", "-c", "echo hi; sleep 2; exit 0"], 2, 0, "ignore"),
    (["sh", "-c", "sleep 2 && exit 4"], 2, 4, "ignore"),
    (["sh", "-c", "false || exit 5"], 0, 5, "ignore"),
    (["/bin/sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"], 3600, 0, "exit"),
    (["sh", "-c", "trap 'exit 0' TERM; sleep 3600"], 3600, 0, "deferred"),
    (["sh", "-c", "trap 'exit 0' TERM; exec sleep 3600"], 3600, 0, "ignore"),
    (["sh", "-c", "while true; do sleep 1; done"], math.inf, 0, "ignore"),
    (["sh", "-c", "my-daemon --serve"], math.inf, 0, "ignore"),
])
def test_rule(command, duration, code, on_term):
    model = model_command(command, None)
    assert (model.duration, model.exit_code, model.on_term) == (duration, code, on_term)


def test_command_plus_args():
    assert model_command(["sh", "-c"], ["sleep 1; exit 2"]).exit_code == 2


@pytest.mark.parametrize("command, elapsed, grace, expected", [
    (["sleep", "3600"], 0, 30, (30, KILLED)),            # ignored: killed at the grace period
    (["sleep", "10"], 8, 30, (2, 0)),                    # ends by itself first
    (["sh", "-c", "trap 'exit 7' TERM; sleep 3600 & wait"], 0, 30, (0, 7)),
    (["sh", "-c", "trap 'echo bye' TERM; sleep 3600 & wait"], 0, 30, (0, 143)),
    (["sh", "-c", "trap 'exit 0' TERM; sleep 5"], 0, 30, (5, 0)),  # trap after the foreground sleep
])
def test_stop_after(command, elapsed, grace, expected):
    assert model_command(command, None).stop_after(elapsed, grace) == expected
