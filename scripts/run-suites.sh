#!/usr/bin/env bash
# The main job: set up a virtual environment (once) and run the suites. With no variables the
# suites run on the simulated cluster; results go to results/. Extra arguments go to robot,
# e.g.  scripts/run-suites.sh --variablefile resources/real-cluster-ssh.yaml
# Exit status: robot's (number of failed tests), or 1 when any test was skipped (a release gate
# must not pass on skipped steps).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
# Start from an empty results/ so no file of an earlier run is mistaken for this run's evidence.
find results -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
rc=0
"$VENV/bin/python" -m robot --outputdir results --xunit xunit.xml --loglevel DEBUG:INFO "$@" suites/ || rc=$?
if [ "$rc" -eq 0 ]; then
  "$VENV/bin/python" scripts/gate.py results/output.xml || rc=$?
fi
exit "$rc"
