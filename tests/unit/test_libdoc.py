"""docs/libdoc/ is what scripts/libdoc.py generates now (the generation time aside).

When this fails: ``python scripts/libdoc.py`` and commit docs/libdoc/."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _libdoc():
    spec = importlib.util.spec_from_file_location("libdoc_script", ROOT / "scripts" / "libdoc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_keyword_docs_are_current():
    problems = _libdoc().stale()
    assert problems == [], "; ".join(problems) + ": run python scripts/libdoc.py and commit docs/libdoc/"


def test_the_check_sees_a_changed_missing_and_leftover_page(tmp_path):
    libdoc = _libdoc()
    copy = tmp_path / "libdoc"
    shutil.copytree(ROOT / "docs" / "libdoc", copy)
    page = copy / "CpusetLibrary.html"
    page.write_text(page.read_text(encoding="utf-8").replace("Log Node Cpu Map", "Log Node CPU Map"), encoding="utf-8")
    (copy / "cpuset.html").unlink()
    (copy / "gone.html").write_text("<html></html>", encoding="utf-8")
    problems = " | ".join(libdoc.stale(copy))
    assert "CpusetLibrary.html is out of date" in problems
    assert "cpuset.html is missing" in problems
    assert "gone.html documents nothing" in problems


def test_only_the_generation_time_is_ignored(tmp_path):
    libdoc = _libdoc()
    (first,) = [p for p in libdoc.generate(tmp_path / "a") if p.name == "cpuset.html"]
    text = first.read_text(encoding="utf-8")
    assert '"generated"' in text
    assert libdoc.normalized(first) != text  # the timestamp is there and is blanked
    second = tmp_path / "b.html"
    second.write_text(text.replace("Start Step", "Begin Step"), encoding="utf-8")
    assert libdoc.normalized(second) != libdoc.normalized(first)
