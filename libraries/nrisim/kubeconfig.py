"""Writing the kubeconfig and the node-side restart command."""
from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from urllib.parse import quote

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


#: A POSIX sh script, so that any user can run it (over SSH, too): the python that started the
#: simulator may sit under /root/.pyenv, which other users cannot execute. It takes the first
#: python3 the calling user can run and feeds it a stdlib-only program on stdin.
RESTART_SCRIPT = """#!/bin/sh
# Restart the simulated node's runtime (what `systemctl restart k3s` does to the plugin).
# Written by nrisim; exits 0 once the runtime is back and the plugin has synchronized.
# One interpreter start: a python this user cannot run is skipped by `command -v`, and one too
# old says so itself (exit 125); then the next one is tried.
for py in {python} python3 /usr/bin/python3 /usr/local/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    "$py" - <<'PYTHON'
from __future__ import print_function
import sys
if sys.version_info < (3, 6):
    sys.exit(125)
import urllib.request
try:
    with urllib.request.urlopen(urllib.request.Request({url!r}, data=b"", method="POST"), timeout=120) as r:
        print(r.read().decode())
except Exception as err:
    print("restart-k3s: runtime restart failed: {{}}".format(err), file=sys.stderr)
    sys.exit(1)
PYTHON
    rc=$?
    [ "$rc" -eq 125 ] || exit "$rc"
done
echo "restart-k3s: no python3 (>= 3.6) that user $(id -un) can run" \\
     "(tried the simulator's python, python3 on PATH, /usr/bin/python3, /usr/local/bin/python3)" >&2
exit 127
"""


def write_restart_script(path: Path, api_url: str, node: str | None = None) -> None:
    """Write the restart script of one node (None: the first node), readable and executable by
    everyone (mode 0755)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    url = api_url + "/nrisim/v1/restart-runtime" + (f"?node={quote(node)}" if node else "")
    path.write_text(RESTART_SCRIPT.format(python=shlex.quote(sys.executable), url=url))
    path.chmod(0o755)
