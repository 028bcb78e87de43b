"""Print the top-level metadata of a merged run, one ``--metadata`` option per line for rebot:
what the procedures' outputs (one robot output.xml per procedure) share, and how they differ.

    python scripts/merged_metadata.py part1.xml part2.xml ...
"""
from __future__ import annotations

import sys


from robot.api import ExecutionResult

from CpusetLibrary.runmetadata import merged_metadata


def main(argv: list[str]) -> int:
    procedures = [dict(ExecutionResult(path).suite.metadata) for path in argv]
    for name, value in merged_metadata(procedures).items():
        print("--metadata")
        print(f"{name}:{value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
