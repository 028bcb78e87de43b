#!/usr/bin/env bash
# The main job: set up a virtual environment (once) and run the suites. With no variables the
# suites run on the simulated cluster; results go to results/ (or robot's -d DIR). Extra
# arguments go to robot, e.g.  scripts/run-suites.sh --variablefile resources/real-cluster-ssh.yaml
# except this script's own options:
#   --require-real-cluster   the gate fails a run made on the simulated cluster (release pipelines)
#   --strict                 the gate waives no failure, not even an accepted deviation
#   --deviations FILE        the accepted deviations (default resources/accepted-deviations.yaml)
# Exit status: 0 when the release gate (nricpuset-gate) passes the run, also when its only failures
# are accepted deviations (it says so, and so does log.html); otherwise robot's (number of failed
# tests), or 1 when the gate fails it for a skipped test, no test run, or (with
# --require-real-cluster) a simulated run.
# Suite paths, --suite, --test, --include/--exclude select procedures as robot does (each runs
# once, in its own robot process); --rerunfailedsuites/-S OUTPUT reruns the procedures with a
# failed test and merges the rerun into that output (scripts/select_procedures.py, merge_rerun.py).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
# the project itself, editable (once): the library, the simulator and the console commands
if [ ! -x "$VENV/bin/nricpuset-gate" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
fi

outdir=results
output=output.xml
gate_args=()
robot_args=()
deviations=
waiver_mode=
while [ $# -gt 0 ]; do
  case "$1" in
    --require-real-cluster) gate_args+=("$1") ;;
    --strict) gate_args+=("$1"); waiver_mode=:strict ;;
    --deviations) deviations=$2; gate_args+=(--deviations "$2"); shift ;;
    --deviations=*) deviations=${1#*=}; gate_args+=(--deviations "$deviations") ;;
    -d|--outputdir) outdir=$2; shift ;;
    --outputdir=*) outdir=${1#*=} ;;
    -o|--output) output=$2; shift ;;
    --output=*) output=${1#*=} ;;
    # options whose value could look like one of ours are passed on whole
    -v|--variable|-V|--variablefile|-i|--include|-e|--exclude|-t|--test|-s|--suite|-L|--loglevel)
      robot_args+=("$1" "$2"); shift ;;
    *) robot_args+=("$1") ;;
  esac
  shift
done

parts=$(mktemp -d)
trap 'rm -rf "$parts"' EXIT
# Which procedures to run, as robot would select them (data sources, --suite, --test,
# --include/--exclude, --rerunfailed(suites)); each runs once, in its own robot process.
"$VENV/bin/python" scripts/select_procedures.py "$parts" -- ${robot_args[@]+"${robot_args[@]}"} || exit 252
mapfile -d '' -t suite_files < "$parts/files"
mapfile -d '' -t robot_args < "$parts/args"
rerun_names=()
if [ -f "$parts/rerun" ]; then
  # a rerun keeps the earlier run's files; the result is merged with the earlier output
  mapfile -t rerun_lines < "$parts/rerun"
  cp "${rerun_lines[0]}" "$parts/previous-output.kept"
  rerun_names=("${rerun_lines[@]:1}")
  mkdir -p "$outdir"
  echo "run-suites.sh: rerunning ${#rerun_names[@]} procedure(s) with failed tests in ${rerun_lines[0]}:" \
    "$(IFS=,; echo "${rerun_names[*]}" | sed 's/,/, /g')"
else
  # Start from an empty output directory so no file of an earlier run is mistaken for this run's
  # evidence: results/ is emptied; in another directory only what a run writes is removed.
  mkdir -p "$outdir"
  if [ "$outdir" = results ]; then
    find results -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
  else
    rm -rf "$outdir/evidence" "$outdir/nrisim" "$outdir/output.xml" "$outdir/log.html" "$outdir/report.html" \
      "$outdir/xunit.xml"
  fi
fi
case "$output" in
  NONE|none) output_path=NONE ;;
  /*) output_path=$output ;;
  *) output_path=$outdir/$output ;;
esac
# One robot process per procedure: on the simulated cluster each suite gets a fresh cluster (a
# procedure sizes itself from an idle node), and on a real one each starts after the previous
# one has cleaned up. rebot merges the parts into one output, log, report and xunit. When a
# procedure finds that nothing can pass (cluster unreachable, a variable invalid), it says so
# once in RUN_STOP_FILE and the later procedures are skipped as not run, with that reason.
for suite in "${suite_files[@]}"; do
  name=$(basename "$suite" .robot)
  "$VENV/bin/python" -m robot --outputdir "$outdir" --output "$parts/$name.xml" --log NONE --report NONE \
    --loglevel DEBUG:INFO --variable "RUN_STOP_FILE:$parts/stopped" ${robot_args[@]+"${robot_args[@]}"} \
    "$suite" || true
done
if [ -s "$parts/stopped" ]; then
  echo "run-suites.sh: stopped early: $(cat "$parts/stopped")" >&2
fi
rc=0
part_files=()  # in the order the procedures ran
for suite in "${suite_files[@]}"; do
  part="$parts/$(basename "$suite" .robot).xml"
  if [ -f "$part" ]; then part_files+=("$part"); fi
done
if [ ${#part_files[@]} -eq 0 ]; then
  echo "run-suites.sh: no suite produced an output (see the messages above)" >&2
  exit 252
fi
# the merged top level says which cluster(s) the procedures ran on (each part has its own)
mapfile -t top_metadata < <("$VENV/bin/python" scripts/merged_metadata.py "${part_files[@]}" || true)
# the pre-modifier writes the gate's view of accepted deviations at the top of log.html
modifier="CpusetLibrary.cli.waivers.LogAcceptedDeviations:${deviations:-resources/accepted-deviations.yaml}$waiver_mode"
if [ ${#rerun_names[@]} -gt 0 ]; then
  # merged into the earlier output (a rerun test replaces the earlier one, as rebot --merge does);
  # the top level says which procedures were rerun
  "$VENV/bin/python" scripts/merge_rerun.py --prerebotmodifier "$modifier" "$parts/previous-output.kept" \
    "$outdir" "$output" "$(IFS=,; echo "${rerun_names[*]}" | sed 's/,/, /g')" "${part_files[@]}" || rc=$?
else
  "$VENV/bin/python" -m robot.rebot --outputdir "$outdir" --output "$output" --xunit xunit.xml \
    --prerebotmodifier "$modifier" --name Suites ${top_metadata[@]+"${top_metadata[@]}"} "${part_files[@]}" || rc=$?
fi
if [ "$rc" -ge 250 ]; then
  exit "$rc"  # rebot itself failed (bad option, unreadable outputs): there is nothing to judge
fi
gate_rc=0
"$VENV/bin/nricpuset-gate" ${gate_args[@]+"${gate_args[@]}"} --xunit "$outdir/xunit.xml" "$output_path" || gate_rc=$?
if [ "$gate_rc" -eq 0 ]; then
  exit 0  # every failure (if any) is an accepted deviation, named by the gate above
fi
if [ "$rc" -eq 0 ]; then rc=$gate_rc; fi
exit "$rc"
