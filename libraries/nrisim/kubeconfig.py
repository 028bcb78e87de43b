"""Writing the kubeconfig and the node-side restart command."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import yaml

CONTEXT = "nrisim"


def write_kubeconfig(path: Path, api_url: str) -> None:
    doc = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": CONTEXT, "cluster": {"server": api_url}}],
        "users": [{"name": CONTEXT, "user": {}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT}}],
        "current-context": CONTEXT,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False))
    os.replace(tmp, path)


def server_from_kubeconfig(path: Path) -> str:
    """The server URL of the current context (raises ValueError naming the file)."""
    try:
        doc = yaml.safe_load(Path(path).read_text())
        ctx_name = doc["current-context"]
        ctx = next(c["context"] for c in doc["contexts"] if c["name"] == ctx_name)
        return next(c["cluster"]["server"] for c in doc["clusters"] if c["name"] == ctx["cluster"])
    except (OSError, KeyError, StopIteration, TypeError, yaml.YAMLError) as err:
        raise ValueError(f"cannot read the API server URL from kubeconfig {path}: {err!r}") from err


RESTART_SCRIPT = """#!{python}
# Restart the simulated node's runtime (what `systemctl restart k3s` does to the plugin).
# Written by nrisim; exits 0 once the runtime is back and the plugin has synchronized.
import sys
import urllib.request
try:
    with urllib.request.urlopen(urllib.request.Request({url!r}, data=b"", method="POST"), timeout=120) as r:
        print(r.read().decode())
except Exception as err:
    print(f"restart-k3s: runtime restart failed: {{err}}", file=sys.stderr)
    sys.exit(1)
"""


def write_restart_script(path: Path, api_url: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RESTART_SCRIPT.format(python=sys.executable, url=api_url + "/nrisim/v1/restart-runtime"))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
