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


def test_regenerating_with_nothing_changed_rewrites_no_page(tmp_path, capsys):
    """The user's path: run the script, run it again; the second run writes nothing, so no page
    shows as modified only because its generation time moved."""
    libdoc = _libdoc()
    out = tmp_path / "libdoc"
    assert libdoc.main(["--outdir", str(out)]) == 0
    first = {p.name: p.read_bytes() for p in out.glob("*.html")}
    assert len(first) == len(libdoc.sources())
    capsys.readouterr()
    assert libdoc.main(["--outdir", str(out)]) == 0
    said = capsys.readouterr().out
    assert "wrote" not in said and "nothing written" in said
    assert {p.name: p.read_bytes() for p in out.glob("*.html")} == first
    (out / "cpuset.html").unlink()
    assert libdoc.main(["--outdir", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out and (out / "cpuset.html").is_file()


def test_the_readme_links_every_page_and_regenerates_into_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (ROOT / "docs" / "libdoc").glob("*.html"))
    assert pages, "docs/libdoc/ has no page"
    missing = [name for name in pages if f"](docs/libdoc/{name})" not in readme]
    assert missing == [], f"README.md does not link {missing}"
    assert "python -m robot.libdoc" not in readme  # that command writes into the current directory
