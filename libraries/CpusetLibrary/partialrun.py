"""Running part of a procedure: a step needs the state its earlier steps built (pods, plan,
CPU sets in suite variables), so ``--include step-05``, ``--test`` or ``--rerunfailed`` that
leave earlier steps out would fail with ``Variable '@{PODS}' not found``. The library's listener
stops such a run in suite setup with a message naming the missing steps and how to rerun."""
from __future__ import annotations

import re
from typing import Any

STEP_TAG = re.compile(r"^step-(\d+)$")


def _step(test: Any) -> int | None:
    for tag in test.tags:
        match = STEP_TAG.match(str(tag))
        if match:
            return int(match.group(1))
    return None


def missing_earlier_steps(suite: Any) -> tuple[list[str], list[str]]:
    """(steps selected, earlier steps left out) of a procedure suite; both empty when the
    suite is not a procedure or nothing earlier is missing."""
    selected = {_step(test): test.name for test in suite.tests if _step(test) is not None}
    if not selected or not suite.source or not str(suite.source).endswith(".robot"):
        return [], []
    from robot.running import TestSuite  # the whole procedure, without robot's selection

    everything = TestSuite.from_file_system(str(suite.source))
    last = max(selected)
    missing = [test.name for test in everything.tests
               if (number := _step(test)) is not None and number < last and number not in selected]
    return [selected[number] for number in sorted(selected)], missing


def partial_run_message(suite_name: str, selected: list[str], missing: list[str]) -> str:
    return (f"Only part of the procedure '{suite_name}' was selected ({', '.join(selected)}), but a step needs "
            f"the state its earlier steps build. Missing: {', '.join(missing)}. Run the whole procedure: "
            "'--rerunfailedsuites output.xml' reruns every procedure that had a failure, "
            f"'--suite \"{suite_name}\"' runs this one; '--include'/'--test'/'--rerunfailed' select single "
            "steps, which cannot run alone.")
