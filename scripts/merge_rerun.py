#!/usr/bin/env python3
"""Merge a rerun of failed procedures into the earlier run's output (scripts/run-suites.sh).

The rerun's per-procedure outputs are gathered under one top suite named as the earlier run's
(``Suites``), then merged as ``rebot --merge`` does: a rerun test replaces the earlier one (its
message says it was re-executed), the rest of the earlier run stays. The merged top level has
``Rerun`` metadata naming the procedures rerun.

    python scripts/merge_rerun.py [--prerebotmodifier MODIFIER] PREVIOUS_XML OUTDIR OUTPUT RERUN_NAMES PART_XML...

``RERUN_NAMES`` is the procedures' names separated by commas; ``OUTPUT`` is the output file
name in OUTDIR (log.html, report.html and xunit.xml are written next to it) or NONE.
Exit status: rebot's.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def merged_result(previous: str, parts: list[str]):
    """The earlier output with the rerun's procedures merged in (robot's own merger, as
    ``rebot --merge`` uses it), the parts gathered under a top suite named as the earlier one's."""
    from robot.api import ExecutionResult
    from robot.result import Result, TestSuite
    from robot.result.merger import Merger

    result = ExecutionResult(previous)
    if result.suite.tests and len(parts) == 1:  # the earlier run was one procedure: its top suite
        rerun = ExecutionResult(parts[0])
        rerun.suite.name = result.suite.name
    else:
        rerun = Result(suite=TestSuite(name=result.suite.name))
        for part in parts:
            rerun.suite.suites.append(ExecutionResult(part).suite)
    Merger(result, rpa=result.rpa).merge(rerun)
    return result


def main(argv: list[str]) -> int:
    modifier = None
    if argv[:1] == ["--prerebotmodifier"]:
        modifier, argv = argv[1], argv[2:]
    if len(argv) < 5:
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 252
    previous, outdir, output, names, parts = argv[0], Path(argv[1]), argv[2], argv[3], argv[4:]
    from robot import rebot

    merged = merged_result(previous, parts)
    merged.suite.metadata["Rerun"] = f"{names} (failed in the earlier run; their tests were run again)"
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "merged.xml"
        merged.save(str(saved))
        out = "NONE" if output.upper() == "NONE" else output
        return rebot(str(saved), outputdir=str(outdir), output=out, log="log.html", report="report.html",
                     xunit="xunit.xml", prerebotmodifier=modifier)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
