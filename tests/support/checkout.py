"""A throw-away copy of this checkout (its tracked files as they are now, committed in a fresh
git repository), so a test can walk a user's path from the checkout and then read `git status`."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def checkout_copy(where: Path) -> Path:
    """``where``/checkout with every file of this checkout git does not ignore, committed."""
    copy = where / "checkout"
    files = [f for f in _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0") if f and (ROOT / f).is_file()]
    for name in files:
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    _git(copy, "init", "-q")
    _git(copy, "add", "-A")
    _git(copy, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "copy")
    return copy


def git_status(copy: Path) -> str:
    """``git status --porcelain`` of the copy: empty when a run left nothing git would show."""
    return _git(copy, "status", "--porcelain", "--untracked-files=all")


def user_env() -> dict[str, str]:
    """The environment of a user who activated the virtual environment (`. .venv/bin/activate`),
    with no cluster named in the environment."""
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV_BIN.parent)
    return env
