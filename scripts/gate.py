"""Release gate over a robot output.xml: fail when any test failed or was skipped.

robot's exit status ignores skipped tests, and a step after a failed step is skipped, so a
gate that only reads the exit status can pass a run that proved nothing."""
from __future__ import annotations

import sys

from robot.api import ExecutionResult


def main(path: str) -> int:
    stats = ExecutionResult(path).statistics.total
    print(f"gate: {stats.passed} passed, {stats.failed} failed, {stats.skipped} skipped")
    if stats.failed or stats.skipped:
        print("gate: FAILED (every test must pass; none may be skipped)")
        return 1
    if not stats.passed:
        print("gate: FAILED (no test ran)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "results/output.xml"))
