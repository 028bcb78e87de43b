"""Every keyword of the library has an example in its libdoc documentation (a project rule)."""
from __future__ import annotations

from pathlib import Path

from robot.libdocpkg import LibraryDocumentation

LIBRARY = Path(__file__).resolve().parents[2] / "libraries" / "CpusetLibrary"


def test_every_library_keyword_has_an_example():
    missing = [kw.name for kw in LibraryDocumentation(str(LIBRARY)).keywords if "Example" not in kw.doc]
    assert missing == [], f"keywords without an example: {', '.join(missing)}"
