#!/usr/bin/env python3
"""Which procedures a run of scripts/run-suites.sh runs, and with which robot options.

run-suites.sh runs each procedure (one suite file) in its own robot process. This reads the
robot options and data sources the user gave, as robot would, and answers:

- the suite files to run: the data sources given (files, or the ``.robot`` files of a folder;
  default every ``suites/*.robot``), only those with a test that ``--suite``, ``--test``,
  ``--include`` and ``--exclude`` select, each once;
- the robot options for every process: the given ones without the data sources and without
  ``--rerunfailed``/``--rerunfailedsuites``, with a ``Suites.`` prefix (the merged output's
  top suite) dropped from ``--suite``/``--test`` names, since each process runs one file;
- for ``--rerunfailedsuites FILE`` (``-S``): the procedures of FILE that have a failed test;
  for ``--rerunfailed FILE`` (``-R``): those procedures, with a ``--test`` for each failed test.

    python scripts/select_procedures.py OUTDIR -- ROBOT_ARGS...

writes ``OUTDIR/files`` and ``OUTDIR/args`` (NUL-separated) and, for a rerun,
``OUTDIR/rerun`` (the rerun output to merge with, then the rerun procedures' names, one a
line). Exit status 0; 252 (robot's status for bad input) with one message when nothing is
selected or an input is wrong.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MERGED_TOP = "Suites"  # run-suites.sh's rebot --name
_RERUN = {"-R": "rerunfailed", "--rerunfailed": "rerunfailed", "-S": "rerunfailedsuites",
          "--rerunfailedsuites": "rerunfailedsuites"}
_NAMES = {"-s", "--suite", "-t", "--test", "--task"}
_PLACEHOLDER = "\x00no data source given"


class SelectionError(Exception):
    """Nothing to run, or a bad input; the message says which."""


def _local_name(name: str) -> str:
    """A suite or test name as a one-file run calls it (no ``Suites.`` prefix)."""
    prefix = f"{MERGED_TOP}."
    return name[len(prefix):] if name.lower().startswith(prefix.lower()) else name


def _suite_files(sources: list[str]) -> list[Path]:
    files: list[Path] = []
    for source in sources or [str(ROOT / "suites")]:
        path = Path(source)
        if path.is_dir():
            found = sorted(path.glob("*.robot"))
        elif path.is_file() and path.suffix == ".robot":
            found = [path]
        else:
            raise SelectionError(f"'{source}' is not a .robot file or a folder of them")
        for item in found:
            if item.resolve() not in [f.resolve() for f in files]:
                files.append(item)
    return files


def _failed(output: str, tests: bool) -> tuple[list[Path], list[str], list[str]]:
    """(suite files, their names, --test patterns) of the failed procedures in ``output``."""
    from robot.api import ExecutionResult

    if not Path(output).is_file():
        raise SelectionError(f"the output to rerun from, '{output}', does not exist")
    try:
        result = ExecutionResult(output)
    except Exception as err:  # noqa: BLE001 - robot's DataError and XML errors alike
        raise SelectionError(f"'{output}' cannot be read as a robot output: {err}") from None
    files, names, patterns = [], [], []
    for suite in _leaf_suites(result.suite):
        failed = [t for t in suite.tests if t.status == "FAIL"]
        if not failed:
            continue
        source = Path(suite.source) if suite.source and Path(suite.source).is_file() else _file_named(suite.name)
        if source is None:
            raise SelectionError(f"procedure '{suite.name}' in '{output}' has no suite file here "
                                 f"({suite.source or 'no source recorded'}, and no suites/*.robot of that name)")
        files.append(source)
        names.append(suite.name)
        patterns += [f"{suite.name}.{t.name}" for t in failed] if tests else []
    if not files:
        raise SelectionError(f"nothing to rerun: no procedure in '{output}' has a failed test")
    return files, names, patterns


def _file_named(name: str) -> Path | None:
    """The suite file in suites/ that robot names ``name`` (an output made in another checkout)."""
    from robot.running import TestSuiteBuilder

    for path in sorted((ROOT / "suites").glob("*.robot")):
        if TestSuiteBuilder().build(str(path)).name == name:
            return path
    return None


def _leaf_suites(suite):
    if suite.tests:
        yield suite
    for child in suite.suites:
        yield from _leaf_suites(child)


def _selects_a_test(path: Path, options: dict) -> bool:
    from robot.running import TestSuiteBuilder

    suite = TestSuiteBuilder().build(str(path))
    suite.filter(included_suites=[_local_name(n) for n in options.get("suite") or []] or None,
                 included_tests=[_local_name(n) for n in (options.get("test") or []) + (options.get("task") or [])]
                 or None,
                 included_tags=options.get("include") or None, excluded_tags=options.get("exclude") or None)
    return bool(suite.test_count)


def select(argv: list[str]) -> tuple[list[Path], list[str], tuple[str, list[str]] | None]:
    """(suite files, robot options for each process, (rerun output, rerun procedures) or None)."""
    from robot.errors import DataError, Information
    from robot.run import RobotFramework

    try:
        # robot's own parser, which wants a data source: a placeholder when none is given
        options, sources = RobotFramework().parse_arguments([*argv, _PLACEHOLDER])
        sources = sources[:-1]
    except Information:  # --help / --version
        raise SelectionError("run-suites.sh takes robot's options: see robot --help") from None
    except DataError as err:
        raise SelectionError(str(err)) from None
    given = argv[:len(argv) - len(sources)] if sources else list(argv)
    args: list[str] = []
    rerun: tuple[str, list[str]] | None = None
    rerun_patterns: list[str] = []
    rerun_files: list[Path] | None = None
    items = iter(given)
    for item in items:
        option, eq, value = item.partition("=") if item.startswith("--") else (item, "", "")
        if option in _RERUN:
            source = value if eq else next(items, "")
            files, names, rerun_patterns = _failed(source, tests=_RERUN[option] == "rerunfailed")
            rerun_files, rerun = files, (source, names)
        elif option in _NAMES:
            args += [option, _local_name(value if eq else next(items, ""))]
        else:
            args.append(item)
    candidates = _suite_files(sources)
    if rerun_files is not None:
        wanted = {f.resolve() for f in rerun_files}
        candidates = [f for f in candidates if f.resolve() in wanted] if sources else rerun_files
        args += [arg for pattern in rerun_patterns for arg in ("--test", pattern)]
        options = {**options, "test": (options.get("test") or []) + rerun_patterns}
    chosen = [f for f in candidates if _selects_a_test(f, options)]
    if not chosen:
        what = [f"{flag} '{value}'" for flag, key in (("--suite", "suite"), ("--test", "test"), ("--include", "include"),
                                                      ("--exclude", "exclude"))
                for value in options.get(key) or []]
        raise SelectionError(f"no procedure has a test selected by {', '.join(what) or 'these options'} "
                             f"(among {', '.join(f.name for f in candidates)})")
    return chosen, args, rerun


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] != "--":
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 252
    outdir = Path(argv[0])
    try:
        files, args, rerun = select(argv[2:])
    except SelectionError as err:
        print(f"run-suites.sh: {err}", file=sys.stderr)
        return 252
    (outdir / "files").write_bytes(b"".join(str(f).encode() + b"\0" for f in files))
    (outdir / "args").write_bytes(b"".join(a.encode() + b"\0" for a in args))
    if rerun is not None:
        (outdir / "rerun").write_text("\n".join([rerun[0], *rerun[1]]) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
