#!/usr/bin/env python3
"""Generate the keyword documentation (libdoc HTML) into docs/libdoc/.

    python scripts/libdoc.py            # (re)write the pages of docs/libdoc/ that changed
    python scripts/libdoc.py --check    # exit 1 naming the stale files, write nothing

One page for the CpusetLibrary library and one per resource file in resources/. Source paths are
written relative to the repository and line numbers left out (the pages do not depend on where
it is checked out or on edits that only move code), so two generations differ only in their
generation time, which ``--check`` (and
tests/unit/test_libdoc.py, run in CI) ignores. A page whose content did not change is left as it
is (its old generation time too), so regenerating with nothing changed changes no file. Run it
after changing a keyword or its docs.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "libdoc"
_GENERATED = re.compile(r'"generated":\s*"[^"]*"')


def sources() -> dict[str, Path]:
    """Page name -> library or resource file to document."""
    pages = {"CpusetLibrary": ROOT / "libraries" / "CpusetLibrary"}
    for resource in sorted((ROOT / "resources").glob("*.resource")):
        pages[resource.stem] = resource
    return pages


def _relative(path: str | None) -> str | None:
    if not path:
        return path
    try:
        return Path(os.path.relpath(path, ROOT)).as_posix()
    except ValueError:  # another drive (Windows)
        return path


def generate(outdir: Path) -> list[Path]:
    """Write every page into ``outdir``; returns the files written."""
    from robot.libdocpkg import LibraryDocumentation

    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, source in sources().items():
        doc = LibraryDocumentation(str(source))
        # no absolute paths and no line numbers: a page changes when the documentation does,
        # not when the checkout moves or an unrelated edit shifts a keyword down a file
        doc.source, doc.lineno = _relative(doc.source), None
        for item in list(doc.inits) + list(doc.keywords):
            item.source, item.lineno = _relative(item.source), None
        doc.convert_docs_to_html()  # as the libdoc command does for HTML output
        target = outdir / f"{name}.html"
        doc.save(str(target), "HTML")
        written.append(target)
    return written


def normalized(path: Path) -> str:
    """The page without its generation time."""
    return _GENERATED.sub('"generated": ""', path.read_text(encoding="utf-8"))


def _shown(path: Path) -> str:
    return _relative(str(path)) or str(path)


def stale(outdir: Path = OUT) -> list[str]:
    """Pages in ``outdir`` that differ from a fresh generation, are missing, or are left over."""
    with tempfile.TemporaryDirectory() as fresh_dir:
        fresh = {p.name: p for p in generate(Path(fresh_dir))}
        problems = []
        for name, page in sorted(fresh.items()):
            current = outdir / name
            if not current.is_file():
                problems.append(f"{_shown(current)} is missing")
            elif normalized(current) != normalized(page):
                problems.append(f"{_shown(current)} is out of date")
        for extra in sorted(outdir.glob("*.html")):
            if extra.name not in fresh:
                problems.append(f"{_shown(extra)} documents nothing that exists any more")
        return problems


def update(outdir: Path = OUT) -> tuple[list[str], int]:
    """Bring ``outdir`` up to date: write the pages whose content changed, remove pages of
    nothing; returns what was written or removed, and how many pages were already current."""
    outdir.mkdir(parents=True, exist_ok=True)
    changed: list[str] = []
    current = 0
    with tempfile.TemporaryDirectory() as fresh_dir:
        fresh = {p.name: p for p in generate(Path(fresh_dir))}
        for name, page in sorted(fresh.items()):
            target = outdir / name
            if target.is_file() and normalized(target) == normalized(page):
                current += 1
                continue
            shutil.copyfile(page, target)
            changed.append(f"wrote {_shown(target)}")
    for extra in sorted(outdir.glob("*.html")):
        if extra.name not in fresh:
            extra.unlink()
            changed.append(f"removed {_shown(extra)}")
    return changed, current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report stale pages, write nothing")
    parser.add_argument("--outdir", type=Path, default=OUT, help="where the pages are (default docs/libdoc)")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale(args.outdir)
        for problem in problems:
            print(f"{problem}: run python scripts/libdoc.py")
        return 1 if problems else 0
    changed, current = update(args.outdir)
    for line in changed:
        print(line)
    print(f"{current} page(s) already current{'' if changed else ', nothing written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
