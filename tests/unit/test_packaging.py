"""The distribution's runtime dependencies (pyproject.toml) are requirements.txt's ranges: the
README explains requirements.txt line by line, and pip installs the project from pyproject.toml."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENT = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)")


def requirement(text: str) -> tuple[str, frozenset[str]]:
    """``Name >=1, <2`` -> ("name", {">=1", "<2"}): the name as PEP 503 normalises it, and the
    specifiers in any order and spacing."""
    match = REQUIREMENT.fullmatch(text.strip())
    assert match, f"not a requirement: {text!r}"
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    specifiers = frozenset(s.replace(" ", "") for s in match.group(2).split(",") if s.strip())
    return name, specifiers


def requirements_file(path: Path) -> dict[str, frozenset[str]]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return dict(requirement(line) for line in lines if line and not line.startswith("-"))


def test_requirement_parsing_ignores_order_spacing_and_name_spelling():
    assert requirement("PyYAML >=6, <7") == requirement("pyyaml<7,>=6")
    assert requirement("robotframework_pabot>=5.2") == ("robotframework-pabot", frozenset({">=5.2"}))
    assert requirement("pyyaml>=6,<7") != requirement("pyyaml>=6,<8")


def test_the_distribution_depends_on_exactly_requirements_txt_ranges():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = dict(requirement(text) for text in project["dependencies"])
    assert declared == requirements_file(ROOT / "requirements.txt")


def test_every_console_command_names_a_main_function_that_exists():
    import importlib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert set(scripts) == {"nrisim", "nricpuset-gate", "nricpuset-fleet", "nricpuset-cleanup"}
    for command, target in scripts.items():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function)), command


def test_the_simulators_process_imports_nrisim_from_where_this_process_finds_it():
    import nrisim

    from CpusetLibrary.simlauncher import simulator_import_root

    assert simulator_import_root() == Path(nrisim.__file__).resolve().parents[1]


def test_no_importable_simulator_is_an_error_naming_the_package(monkeypatch):
    import importlib.util

    from CpusetLibrary import simlauncher

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(simlauncher.SimulatorError, match="'nrisim' is not importable"):
        simlauncher.simulator_import_root()
