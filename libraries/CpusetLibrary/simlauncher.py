"""Start and stop the simulated cluster as a separate process.

The library never imports the simulator: it runs ``python -m nrisim`` and then treats the
result like any cluster (a kubeconfig) plus a node (a log file and a restart command)."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .parentdeath import die_with_parent_hook



def simulator_import_root() -> Path:
    """The directory the ``nrisim`` package is imported from (site-packages for an installed
    distribution, ``libraries/`` in the checkout), found without importing it; the simulator's
    process gets it first on PYTHONPATH so it runs the same simulator this process would."""
    spec = importlib.util.find_spec("nrisim")
    if spec is None or not spec.submodule_search_locations:
        raise SimulatorError("the simulated cluster's package 'nrisim' is not importable: install "
                             "robotframework-nricpuset (pip install .) or put libraries/ on PYTHONPATH")
    return Path(next(iter(spec.submodule_search_locations))).resolve().parent


class SimulatorError(Exception):
    """The simulated cluster could not be started or stopped."""


@dataclass
class SimulatedCluster:
    """A running ``python -m nrisim`` process and what it published in ``cluster.json``."""

    process: subprocess.Popen
    workdir: Path
    kubeconfig: str
    node: str
    plugin_log: str
    restart_command: str
    plugin_model: str
    cpus: int
    api_url: str
    numa_nodes: int = 1
    offline_cpus: str = ""
    map_order_seed: int | None = None  # None: the plugin model walks its maps in a fixed order
    #: every node's files: [{"name", "plugin_log", "restart_command"}, ...] (the fields above are
    #: the first node's)
    nodes: list[dict[str, str]] = field(default_factory=list)
    #: with a plugin binary hosted instead of a model: {"path", "sha256", "version"}
    plugin_binary: dict[str, str] = field(default_factory=dict)

    def node_files(self, node: str) -> dict[str, str]:
        """The plugin log and restart command of one node; ValueError naming the known nodes."""
        for entry in self.nodes:
            if entry["name"] == node:
                return entry
        raise ValueError(f"the simulated cluster has no node {node!r} (nodes: "
                         f"{', '.join(e['name'] for e in self.nodes)})")

    def stop(self, timeout: float = 15.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_simulator(
    workdir: str | os.PathLike,
    cpus: int = 64,
    plugin_model: str = "head",
    latency_profile: str = "fast",
    extra_args: list[str] | None = None,
    timeout: float = 30.0,
    numa_nodes: int = 1,
    offline_cpus: str = "",
    shuffle_map_order: bool = False,
    map_order_seed: int | None = None,
    nodes: int = 1,
    plugin_binary: str = "",
) -> SimulatedCluster:
    """Start the simulator and wait (bounded) until it has published ``cluster.json``.

    ``numa_nodes``, ``offline_cpus`` (kernel list syntax, e.g. ``5,7``), ``shuffle_map_order``
    and ``map_order_seed`` are passed as ``--numa-nodes``, ``--offline-cpus``,
    ``--shuffle-map-order`` and ``--map-order-seed`` (see ``python -m nrisim --help``).
    """
    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    ready_file = work / "cluster.json"
    ready_file.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "nrisim",
        "--cpus", str(cpus),
        "--plugin-model", plugin_model,
        "--latency-profile", latency_profile,
        "--workdir", str(work),
        "--numa-nodes", str(numa_nodes),
        *(["--offline-cpus", offline_cpus] if offline_cpus else []),
        *(["--shuffle-map-order"] if shuffle_map_order else []),
        *(["--map-order-seed", str(map_order_seed)] if map_order_seed is not None else []),
        "--nodes", str(nodes),
        *(["--plugin-binary", str(Path(plugin_binary).resolve())] if plugin_binary else []),
        *(extra_args or []),
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(simulator_import_root()), env.get("PYTHONPATH")]))
    stdout = open(work / "nrisim.stdout", "wb")  # noqa: SIM115 - owned by the child
    stderr = open(work / "nrisim.stderr", "wb")  # noqa: SIM115
    try:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   preexec_fn=die_with_parent_hook())  # even when robot is SIGKILLed
    finally:
        stdout.close()
        stderr.close()
    deadline = time.monotonic() + timeout
    while True:
        if ready_file.is_file():
            try:
                info = json.loads(ready_file.read_text())
                break
            except json.JSONDecodeError:
                pass  # being written
        if process.poll() is not None:
            raise SimulatorError(
                f"simulated cluster exited with status {process.returncode} "
                f"(command: {' '.join(command)}):\n{_tail(work / 'nrisim.stderr')}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise SimulatorError(
                f"simulated cluster did not publish {ready_file} within {timeout:g} s:\n"
                f"{_tail(work / 'nrisim.stderr')}"
            )
        time.sleep(0.02)  # polling a file the child writes; bounded by the deadline above
    return SimulatedCluster(
        process=process, workdir=work, kubeconfig=info["kubeconfig"], node=info["node"],
        plugin_log=info["plugin_log"], restart_command=info["restart_command"],
        plugin_model=info.get("plugin_model", plugin_model), cpus=int(info.get("cpus", cpus)),
        api_url=info.get("api_url", ""), numa_nodes=int(info.get("numa_nodes", numa_nodes)),
        offline_cpus=info.get("offline_cpus", offline_cpus), map_order_seed=info.get("map_order_seed"),
        nodes=list(info.get("nodes") or [{"name": info["node"], "plugin_log": info["plugin_log"],
                                          "restart_command": info["restart_command"]}]),
        plugin_binary=dict(info.get("plugin_binary") or {}),
    )
