"""Links from a suite's documentation to its procedure page that still work once log.html is
attached to a ticket.

A suite documents its page as ``[../docs/procedures/<page>.md|the procedure's page]``, relative
to the checkout, which breaks as soon as log.html is read anywhere else. When the run starts, the
link becomes the page in the project's repository at the tested revision
(``<repository>/blob/<commit>/docs/...``). The repository URL is set in one place, the robot
variable ``REPOSITORY_URL`` (default: the checkout's ``origin`` remote); the commit is the
checkout's. Without a repository URL (a copy that is no git clone, no remote) the page itself is
carried in the suite documentation, so the reader of an attached log.html still has it.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY_URL_VARIABLE = "REPOSITORY_URL"
#: ``[../docs/procedures/x.md|text]`` in robot's documentation syntax
RELATIVE_LINK = re.compile(r"\[\.\./(docs/[^|\]\s]+\.md)\|([^\]]+)\]")


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def web_url(remote: str) -> str:
    """The web address of a git remote (``git@host:org/repo.git`` -> ``https://host/org/repo``);
    '' for one that has none (a local path)."""
    remote = remote.strip()
    if m := re.fullmatch(r"[\w.-]+@([\w.-]+):(.+?)(\.git)?/?", remote):
        return f"https://{m.group(1)}/{m.group(2)}"
    if m := re.fullmatch(r"(https?)://(?:[^@/]+@)?(.+?)(\.git)?/?", remote):
        return f"{m.group(1)}://{m.group(2)}"
    return ""


def repository_url(given: str) -> str:
    return str(given or "").strip().rstrip("/") or web_url(_git("remote", "get-url", "origin"))


def revision() -> str:
    return _git("rev-parse", "HEAD")


def _page_as_documentation(path: Path) -> str:
    """A markdown page in robot's documentation syntax (headings, bold, code)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"(#+)\s+(.*)", line):
            level = "=" * min(len(m.group(1)) + 1, 3)
            line = f"{level} {m.group(2)} {level}"
        line = re.sub(r"\*\*(.+?)\*\*", r"*\1*", line)
        line = re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", line)
        lines.append(line)
    return "\n".join(lines)


def portable_documentation(doc: str, url: str, commit: str, root: Path = ROOT) -> str:
    """``doc`` with its relative page links made readable anywhere: absolute links at ``commit``
    when ``url`` is known, else the linked pages appended."""
    pages = [m.group(1) for m in RELATIVE_LINK.finditer(doc)]
    if not pages:
        return doc
    if url and commit:
        return RELATIVE_LINK.sub(lambda m: f"[{url}/blob/{commit}/{m.group(1)}|{m.group(2)}]", doc)
    doc = RELATIVE_LINK.sub(lambda m: f"{m.group(2)} (``{m.group(1)}`` in the repository, below)", doc)
    for page in dict.fromkeys(pages):
        path = root / page
        if path.is_file():
            doc += f"\n\n----\n\n_The page ``{page}``:_\n\n{_page_as_documentation(path)}"
    return doc
