#!/usr/bin/env python3
"""Run procedures on many nodes at once with pabot, one robot process per node, and gate the
merged result.

Each node gets its own robot process (a pabot argument file per node) running the whole
procedure: its own namespace, plan, plugin log marks and node lock, as a run on one node has.
pabot then has rebot merge the per-node outputs into one report in which every suite is named
``<procedure> On <node>`` and carries ``Node`` metadata and a ``node:<node>`` tag (report.html's
"Statistics by Tag" then has one row per node). Several procedures run one after another, each
on every node in parallel, and are merged into one report at the end.

Why per node only: a procedure's steps hand their state on to the next step (pods, the plan,
what failed), so ``--testlevelsplit`` (or splitting one procedure's suites) would run steps of one
procedure on the same node in different processes at once and break it. Two procedures on one
node at once would fight over its CPUs, so one node never runs two processes.

Real fleet::

    nricpuset-fleet --variablefile resources/real-cluster-ssh.yaml \\
        --node worker-1 --node worker-2 --node worker-3
    nricpuset-fleet -V fleet.yaml --nodes-file nodes.txt -- --loglevel DEBUG:INFO

A node may carry its own variable file (``--node worker-2=worker-2.yaml``) for what differs per
node; ``TARGET_NODE`` is always the node. Simulated fleet (starts ``python -m nrisim --nodes N``
and points each process at its kubeconfig with that node's plugin log and restart command)::

    nricpuset-fleet --simulated 4 [--latency-profile realistic]

Results: ``<outputdir>/output.xml``, ``log.html``, ``report.html``, ``xunit.xml``; the raw plugin
log of every step under ``<outputdir>/evidence/<suite>/`` (the links in log.html point there);
each process's own files under ``<outputdir>/pabot_results/``. Exit status: the gate's
(nricpuset-gate: any failed or skipped test fails), or 1 when a node reported no result.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: the checkout holding this module (an editable install), else the current directory: the
#: default suite and output directory are relative to it
_CHECKOUT = Path(__file__).resolve().parents[3]
ROOT = _CHECKOUT if (_CHECKOUT / "suites").is_dir() else Path.cwd()

from . import gate
from ..simlauncher import SimulatedCluster, start_simulator

DEFAULT_SUITE = ROOT / "suites" / "annotated_pod_state_corruption.robot"
#: a Kubernetes node name (RFC 1123 subdomain)
NODE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


class FleetError(Exception):
    """Bad input or a run that cannot be judged; the message names what and why."""


@dataclass
class FleetNode:
    name: str
    variablefiles: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)


def parse_node(text: str, origin: str = "--node") -> FleetNode:
    """``NAME`` or ``NAME=VARIABLEFILE``."""
    name, _, varfile = text.strip().partition("=")
    name = name.strip()
    if not NODE_NAME.match(name):
        raise FleetError(f"{origin} {text!r}: '{name}' is not a node name (lower-case letters, digits, '-' "
                         "and '.'; optionally NAME=VARIABLEFILE)")
    node = FleetNode(name)
    if varfile.strip():
        path = Path(varfile.strip())
        if not path.is_file():
            raise FleetError(f"{origin} {text!r}: variable file '{path}' does not exist")
        node.variablefiles.append(str(path.resolve()))
    return node


def read_nodes_file(path: Path) -> list[FleetNode]:
    """One node per line (``NAME`` or ``NAME=VARIABLEFILE``); blank lines and ``#`` comments skipped."""
    if not path.is_file():
        raise FleetError(f"--nodes-file '{path}' does not exist")
    nodes = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if text:
            nodes.append(parse_node(text, f"{path}:{number}"))
    if not nodes:
        raise FleetError(f"--nodes-file '{path}' names no node")
    return nodes


def check_robot_args(args: list[str]) -> None:
    """pabot writes every command-line option into ``pabot_results/*/*argfile.txt``: a password
    given there would end up in the results."""
    if any("SSH_PASSWORD" in arg for arg in args):
        raise FleetError("SSH_PASSWORD on the command line would be written by pabot into "
                         "pabot_results/*/*argfile.txt: export NRI_SSH_PASSWORD and add "
                         "--variablefile resources/ssh_password_from_env.py instead")


def suite_name(suite: Path) -> str:
    """The name robot gives the suite (``annotated_pod_state_corruption.robot`` ->
    ``Annotated Pod State Corruption``)."""
    from robot.running import TestSuiteBuilder
    return TestSuiteBuilder().build(str(suite)).name


def node_suite_name(suite: Path, node: FleetNode) -> str:
    """``Annotated Pod State Corruption On worker-1``: pabot selects each process's suite with
    ``--suite NAME``, a pattern, so the name holds no ``*``, ``?`` or ``[``."""
    return f"{suite_name(suite)} On {node.name}"


def argument_file(node: FleetNode, suite: Path, common_variablefiles: list[str]) -> str:
    """The robot options of one node's process (pabot's ``--argumentfileN``)."""
    lines = [f"--name {node_suite_name(suite, node)}", f"--metadata Node:{node.name}",
             f"--settag node:{node.name}"]
    lines += [f"--variablefile {path}" for path in [*common_variablefiles, *node.variablefiles]]
    variables = {**node.variables, "TARGET_NODE": node.name}
    lines += [f"--variable {name}:{value}" for name, value in variables.items()]
    return "\n".join(lines) + "\n"


def simulated_nodes(sim: SimulatedCluster) -> list[FleetNode]:
    """Every simulated node, reached with ``local`` access to its own plugin log and restart.
    Each process is told the cluster is simulated (with which plugin model): it only sees a
    kubeconfig and would otherwise report a real cluster and a real plugin."""
    return [FleetNode(entry["name"], variables={
        "KUBECONFIG": sim.kubeconfig, "SIMULATED_PLUGIN_MODEL": sim.plugin_model, "NODE_ACCESS": "local",
        "PLUGIN_LOG": entry["plugin_log"], "RESTART_COMMAND": entry["restart_command"],
    }) for entry in sim.nodes]


def run_pabot(nodes: list[FleetNode], suite: Path, outdir: Path, common_variablefiles: list[str],
              robot_args: list[str]) -> Path:
    """One pabot run of ``suite``, one process per node; returns the merged output.xml."""
    outdir.mkdir(parents=True, exist_ok=True)
    argdir = outdir / "argumentfiles"
    argdir.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "pabot.pabot", "--no-pabotlib", "--processes", str(len(nodes)),
               "--command", sys.executable, "-m", "robot", "--end-command"]
    for index, node in enumerate(nodes, 1):
        path = argdir / f"{node.name}.args"
        path.write_text(argument_file(node, suite, common_variablefiles))
        command += [f"--argumentfile{index}", str(path)]
    # rebot names the merged top suite; with one node that top suite is the node's own: keep its name
    naming = ["--name", "Fleet"] if len(nodes) > 1 else []
    command += ["--outputdir", str(outdir), *naming, "--loglevel", "DEBUG:INFO", "--xunit", "xunit.xml",
                *robot_args, str(suite)]
    # pabot keeps its suite list in .pabotsuitenames in the current directory; ours is not worth keeping
    names_file = Path.cwd() / ".pabotsuitenames"
    existed = names_file.exists()
    try:
        subprocess.run(command, check=False)  # robot paths after '--' stay relative to the caller's directory
    finally:
        if not existed:
            names_file.unlink(missing_ok=True)
    output = outdir / "output.xml"
    if not output.is_file():
        raise FleetError(f"pabot wrote no {output}; see {outdir / 'pabot_results'}")
    collect_evidence(outdir)
    return output


def collect_evidence(outdir: Path) -> None:
    """Each process wrote its steps' plugin logs under its own output directory
    (``pabot_results/<n>/<m>/evidence/<suite>/``); the merged log.html links to
    ``evidence/<suite>/`` next to it. Suite names carry the node, so nothing collides."""
    for evidence in sorted((outdir / "pabot_results").glob("*/*/evidence")):
        shutil.copytree(evidence, outdir / "evidence", dirs_exist_ok=True)


def missing_results(output: Path, nodes: list[FleetNode], suites: list[Path]) -> list[str]:
    """``<procedure> On <node>`` suites that are not in the merged output, or ran no test."""
    from robot.api import ExecutionResult
    found: dict[str, int] = {}

    def walk(suite) -> None:
        found[suite.name] = suite.test_count
        for child in suite.suites:
            walk(child)

    walk(ExecutionResult(str(output)).suite)
    return [f"{name}: {'no result' if name not in found else 'no test ran'}"
            for name in (node_suite_name(suite, node) for suite in suites for node in nodes)
            if not found.get(name)]


def merge(outputs: list[Path], outdir: Path) -> Path:
    """Several procedures' merged outputs into one report (rebot)."""
    from robot import rebot
    rebot(*map(str, outputs), name="Fleet", outputdir=str(outdir), output="output.xml",
          xunit="xunit.xml", stdout=sys.stdout)
    return outdir / "output.xml"


def add_top_metadata(output: Path) -> None:
    """Give the merged top suite the metadata a single run's top level has (``Target``,
    ``Node``, ``Plugin model``, ... merged as scripts/merged_metadata.py does), from the
    procedures' suites below it, and rewrite output, log, report and xunit with it: the gate and
    a reader see the same ``Target`` as for one run."""
    from robot import rebot
    from robot.api import ExecutionResult

    from CpusetLibrary.runmetadata import merged_metadata

    result = ExecutionResult(str(output))
    top = result.suite
    if top.metadata.get("Target") or not top.suites:
        return
    procedures: list[dict[str, str]] = []

    def walk(suite) -> None:
        if suite.metadata.get("Target"):
            procedures.append(dict(suite.metadata))
        for child in suite.suites:
            walk(child)

    for child in top.suites:
        walk(child)
    if not procedures:
        return
    for name, value in merged_metadata(procedures).items():
        top.metadata[name] = value
    result.save(str(output))
    rebot(str(output), outputdir=str(output.parent), output="output.xml", log="log.html",
          report="report.html", xunit="xunit.xml", console="none")


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    if "--" in argv:
        cut = argv.index("--")
        argv, robot_args = argv[:cut], argv[cut + 1:]
    else:
        robot_args = []
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Robot options for every process go after '--'.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--simulated", type=int, metavar="N", help="start a simulated cluster of N nodes")
    where.add_argument("--node", action="append", metavar="NAME[=VARFILE]",
                       help="a node of the fleet (repeat), optionally with its own variable file")
    where.add_argument("--nodes-file", type=Path, help="a file naming one node per line (NAME[=VARFILE])")
    parser.add_argument("-V", "--variablefile", action="append", default=[],
                        help="variable file for every node (e.g. resources/real-cluster-ssh.yaml)")
    parser.add_argument("--suite", action="append", type=Path,
                        help=f"procedure suite file (repeat; default {DEFAULT_SUITE.relative_to(ROOT)})")
    parser.add_argument("--outputdir", "-d", type=Path, default=ROOT / "results" / "fleet")
    sim = parser.add_argument_group("simulated cluster")
    sim.add_argument("--latency-profile", default="fast", choices=("fast", "realistic"))
    sim.add_argument("--sim-cpus", type=int, default=64)
    sim.add_argument("--plugin-model", default="head")
    args = parser.parse_args(argv)
    if args.simulated is not None and args.simulated < 1:
        parser.error(f"--simulated must be a number of nodes >= 1, got {args.simulated}")
    return args, robot_args


def resolve_inputs(args: argparse.Namespace, robot_args: list[str]) -> tuple[list[Path], list[str]]:
    """Checks every input before anything starts; returns the suites and common variable files."""
    check_robot_args(robot_args)
    suites = [Path(s).resolve() for s in (args.suite or [DEFAULT_SUITE])]
    for suite in suites:
        if not suite.is_file() or suite.suffix != ".robot":
            raise FleetError(f"--suite '{suite}' is not a .robot file: give one procedure's suite file "
                             "(a fleet run runs each procedure on every node, one process per node)")
    names = [suite_name(s) for s in suites]
    if len(set(names)) != len(names):
        raise FleetError(f"--suite: two suites have the same name ({', '.join(names)})")
    varfiles = []
    for path in args.variablefile:
        if not Path(path).is_file():
            raise FleetError(f"--variablefile '{path}' does not exist")
        varfiles.append(str(Path(path).resolve()))
    return suites, varfiles


def main(argv: list[str] | None = None) -> int:
    args, robot_args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        suites, varfiles = resolve_inputs(args, robot_args)
        nodes = ([parse_node(text) for text in args.node] if args.node
                 else read_nodes_file(args.nodes_file) if args.nodes_file else [])
        if len({n.name for n in nodes}) != len(nodes):
            raise FleetError(f"a node is named twice ({', '.join(n.name for n in nodes)}): one node runs one "
                             "process at a time")
    except FleetError as err:
        print(f"run_fleet: {err}", file=sys.stderr)
        return 2
    outdir = args.outputdir.resolve()
    if outdir.exists():  # no file of an earlier run is mistaken for this run's
        shutil.rmtree(outdir)
    sim = None
    try:
        if args.simulated is not None:
            sim = start_simulator(outdir / "nrisim", cpus=args.sim_cpus, plugin_model=args.plugin_model,
                                  latency_profile=args.latency_profile, nodes=args.simulated)
            nodes = simulated_nodes(sim)
            print(f"run_fleet: simulated cluster of {len(nodes)} nodes, kubeconfig {sim.kubeconfig}")
        if len(suites) == 1:
            output = run_pabot(nodes, suites[0], outdir, varfiles, robot_args)
        else:
            outputs = [run_pabot(nodes, suite, outdir / f"procedure-{i}", varfiles, robot_args)
                       for i, suite in enumerate(suites, 1)]
            for sub in outputs:
                if (sub.parent / "evidence").is_dir():
                    shutil.copytree(sub.parent / "evidence", outdir / "evidence", dirs_exist_ok=True)
            output = merge(outputs, outdir)
        add_top_metadata(output)
        missing = missing_results(output, nodes, suites)
    except (FleetError, Exception) as err:  # noqa: BLE001 - one clear line, then the status
        print(f"run_fleet: {err}", file=sys.stderr)
        return 1
    finally:
        if sim is not None:
            sim.stop()
    if missing:
        print("run_fleet: FAILED, a node reported no result: " + "; ".join(missing))
        return 1
    return gate.main([str(output)])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
