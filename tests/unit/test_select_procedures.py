"""How scripts/run-suites.sh selects procedures (scripts/select_procedures.py), without running them."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _select():
    spec = importlib.util.spec_from_file_location("select_procedures", ROOT / "scripts" / "select_procedures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def names(files) -> list[str]:
    return [Path(f).name for f in files]


def test_default_is_every_suite_once():
    files, args, rerun = _select().select(["-v", "X:y"])
    assert names(files) == sorted(p.name for p in (ROOT / "suites").glob("*.robot"))
    assert args == ["-v", "X:y"] and rerun is None


def test_a_path_given_twice_runs_once_and_suite_names_lose_the_merged_prefix():
    files, args, _ = _select().select(["--suite", "Suites.Relocate Cpu", "suites/relocate_cpu.robot",
                                       "suites/relocate_cpu.robot"])
    assert names(files) == ["relocate_cpu.robot"]
    assert args == ["--suite", "Relocate Cpu"]


def test_rerun_of_an_output_from_another_checkout_finds_the_suites_by_name(tmp_path):
    from robot.result import Result, TestSuite

    top = TestSuite(name="Suites")
    procedure = top.suites.create(name="Relocate Cpu", source="/elsewhere/suites/relocate_cpu.robot")
    procedure.tests.create(name="Step 03 Verify", status="FAIL")
    procedure.tests.create(name="Step 01 Setup", status="PASS")
    passed = top.suites.create(name="Invalid Annotation Test", source="/elsewhere/x.robot")
    passed.tests.create(name="Step 01", status="PASS")
    output = tmp_path / "output.xml"
    Result(suite=top).save(str(output))
    files, args, rerun = _select().select(["--rerunfailedsuites", str(output)])
    assert names(files) == ["relocate_cpu.robot"] and args == []
    assert rerun == (str(output), ["Relocate Cpu"])


def test_nothing_selected_names_the_options():
    with pytest.raises(Exception, match="no procedure has a test selected by --include 'no-such-tag'"):
        _select().select(["--include", "no-such-tag"])
