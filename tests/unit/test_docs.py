"""The project's documentation is self-contained: nothing points outside the repository, and every
procedure suite links its page under docs/procedures/ with a link that resolves."""
from __future__ import annotations

import re
from pathlib import Path

from robot.api import TestSuite as RobotSuite

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("README.md", "pyproject.toml", "docs", "suites", "resources", "libraries", "manifests",
           "tests", "scripts", ".ci")
TEXT_SUFFIXES = {".md", ".py", ".robot", ".resource", ".yaml", ".yml", ".toml", ".sh", ".txt", ""}
_LINK = re.compile(r"\[(\.\./docs/procedures/[^|\]]+)\|")


def _project_files():
    for entry in CHECKED:
        path = ROOT / entry
        files = [path] if path.is_file() else path.rglob("*")
        for file in files:
            if file.is_file() and file.suffix in TEXT_SUFFIXES and "__pycache__" not in file.parts:
                yield file


def test_no_project_file_points_outside_the_repository():
    outside = "shared" + "/"  # spelled so that this file does not match itself
    offenders = [str(f.relative_to(ROOT)) for f in _project_files()
                 if outside in f.read_text(encoding="utf-8", errors="replace")]
    assert offenders == [], f"files naming {outside}: {offenders}"


def test_every_suite_links_its_procedure_page_and_the_index_lists_it():
    index = (ROOT / "docs" / "procedures" / "README.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for robot_file in sorted((ROOT / "suites").glob("*.robot")):
        doc = RobotSuite.from_file_system(str(robot_file)).doc
        links = _LINK.findall(doc)
        assert links, f"{robot_file.name}: its Documentation links no ../docs/procedures/ page"
        for link in links:
            page = (robot_file.parent / link).resolve()
            assert page.is_file(), f"{robot_file.name}: link {link} does not resolve"
            assert page.name in index, f"docs/procedures/README.md does not list {page.name}"
            assert f"docs/procedures/{page.name}" in readme, f"README.md does not link {page.name}"
            text = page.read_text(encoding="utf-8")
            for section in ("What the manual procedure did", "What was wrong with its oracle",
                            "What the suite asserts"):
                assert f"## {section}" in text, f"{page.name} has no section '{section}'"
