"""Connecting to the cluster (real or simulated) and to the plugin on the target node."""
from __future__ import annotations

import os
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret
from robot.libraries.BuiltIn import BuiltIn
from robot.utils import timestr_to_secs
from robot.utils import timestr_to_secs

from ..cluster import Cluster, ClusterError
from ..context import LibraryContext
from ..nodeaccess.factory import create_node_access
from ..simlauncher import start_simulator
from ..version import __version__


def _output_dir() -> Path:
    try:
        return Path(BuiltIn().get_variable_value("${OUTPUT DIR}"))
    except Exception:  # noqa: BLE001 - outside a robot run (unit tests)
        return Path.cwd() / "results"


def _seconds(name: str, value: object) -> float:
    """A Robot time string (``2 min``, ``90 s``) or a number, as seconds > 0."""
    try:
        seconds = timestr_to_secs(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a time such as '2 min' or '120', got {value!r}") from None
    if not seconds > 0:
        raise ValueError(f"{name} must be a time > 0, got {value!r}")
    return seconds


class ConnectionKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    @keyword
    def check_run_variables(self, **variables: str) -> None:
        """Check the run's variables before anything is created: names ending in ``_TIMEOUT``
        are times (``2 min``, ``90 s``), ``*_GRACE_PERIOD`` whole seconds >= 0, ``SIM_CPUS`` and ``SIM_NODES`` a
        whole number >= 1. Fails naming every bad variable and what was expected."""
        problems = []
        for name, value in variables.items():
            text = str(value).strip()
            if name.endswith("_TIMEOUT"):
                try:
                    ok = timestr_to_secs(text) > 0
                except ValueError:
                    ok = False
                if not ok:
                    problems.append(f"{name} '{value}' is not a positive time such as '2 min' or '90 s'")
            elif name.endswith("_GRACE_PERIOD") or name in ("SIM_CPUS", "SIM_NODES"):
                minimum = 1 if name in ("SIM_CPUS", "SIM_NODES") else 0
                if not text.isdigit() or int(text) < minimum:
                    problems.append(f"{name} '{value}' is not a whole number >= {minimum}")
        if problems:
            raise ValueError("; ".join(problems))

    @keyword
    def connect_to_cluster(
        self,
        kubeconfig: str = "",
        context: str = "",
        target_node: str = "",
        sim_cpus: int = 64,
        plugin_model: str = "head",
        latency_profile: str = "fast",
        timeout: float = 30.0,
        sim_numa_nodes: int = 1,
        sim_offline_cpus: str = "",
        sim_shuffle_map_order: bool = False,
        sim_map_order_seed: str = "",
        sim_nodes: int = 1,
    ) -> dict:
        """Connect to the cluster and check the target node; returns run metadata.

        With an empty ``kubeconfig`` the simulated cluster is started (``sim_cpus`` CPUs,
        plugin model ``plugin_model``, latencies ``latency_profile``, ``sim_nodes`` nodes named
        ``sim-node-1``..``N``, the first being the target node) and stopped at the end of
        the run. A real cluster is only ever used when ``kubeconfig`` names it: the environment
        variable KUBECONFIG and ``~/.kube/config`` are never picked up silently, because these
        procedures take most of a node's CPUs.

        More options of the simulated node (ignored for a real cluster): ``sim_numa_nodes``
        NUMA nodes, ``sim_offline_cpus`` CPUs present but not online (kernel list syntax, e.g.
        ``5,7``), and ``sim_shuffle_map_order`` to make the plugin model walk its maps in a
        random order as Go does on a real node, seeded by ``sim_map_order_seed`` (empty: a
        random seed, shown in the run metadata so a failure can be replayed).

        Example:
        | Connect To Cluster | sim_cpus=16 | sim_numa_nodes=2 | sim_offline_cpus=5,7 |
        | Connect To Cluster | sim_shuffle_map_order=True | sim_map_order_seed=42 |

        Fails, creating nothing, when the kubeconfig is unreadable or invalid, the API server
        does not answer, or ``target_node`` does not exist or is not Ready.
        """
        if self.ctx.cluster is not None:
            return self.cluster_metadata()
        if not kubeconfig:
            if os.environ.get("KUBECONFIG"):
                logger.info("Environment KUBECONFIG is ignored: pass -v KUBECONFIG:<path> to use a real cluster.")
            seed = str(sim_map_order_seed).strip()
            if seed and not seed.lstrip("-").isdigit():
                raise ValueError(f"sim_map_order_seed '{sim_map_order_seed}' is not an integer (or empty for "
                                 "a random seed)")
            sim = start_simulator(
                _output_dir() / "nrisim", cpus=int(sim_cpus), plugin_model=plugin_model,
                latency_profile=latency_profile, timeout=timeout, numa_nodes=int(sim_numa_nodes),
                offline_cpus=str(sim_offline_cpus or "").strip(),
                shuffle_map_order=_as_bool(sim_shuffle_map_order),
                map_order_seed=int(seed) if seed else None, nodes=int(sim_nodes),
            )
            self.ctx.simulator = sim
            kubeconfig, context = sim.kubeconfig, ""
            target_node = target_node or sim.node
        elif not target_node:
            raise ClusterError("TARGET_NODE is empty: name the node of the real cluster to test on")
        try:
            cluster = Cluster(kubeconfig, context or None, request_timeout=timeout)
            self.ctx.cluster = cluster
            version = cluster.version()
            node = cluster.node(target_node)
            if not node.ready:
                raise ClusterError(f"TARGET_NODE '{target_node}' is not Ready")
        except Exception:
            self.ctx.shutdown()
            raise
        self.ctx.node = node
        logger.info(f"Connected to {cluster.server} (Kubernetes {version}); target node {node.name}: "
                    f"{node.cpu_capacity:g} CPUs, {node.cpu_allocatable:g} allocatable, {node.runtime}")
        self._version = version
        return self.cluster_metadata()

    @keyword
    def cluster_metadata(self) -> dict:
        """What a report should say about where it ran (no secrets)."""
        cluster = self.ctx.require_cluster()
        node = self.ctx.require_node()
        sim = self.ctx.simulator
        return {
            "Cluster": f"simulated (nrisim) at {cluster.server}" if sim else f"{cluster.server} ({cluster.kubeconfig})",
            "Kubernetes": getattr(self, "_version", ""),
            "Node": node.name,
            "CPUs": f"{node.cpu_capacity:g} (allocatable {node.cpu_allocatable:g})",
            "Runtime": node.runtime,
            "Plugin model": (sim.plugin_model + (f" (map order seed {sim.map_order_seed})"
                                                 if sim.map_order_seed is not None else "")
                             if sim else "real plugin"),
            "Plugin access": self.ctx.node_access.describe() if self.ctx.node_access else "not connected",
            "Library": f"CpusetLibrary {__version__}",
        }

    @keyword
    def connect_to_plugin(self, node_access: str = "local", password: Secret | None = None, **options) -> str:
        """Select how the plugin's log and restart are reached: ``local``, ``ssh`` or ``daemonset``.

        On the simulated cluster the plugin log path and restart command default to the
        simulator's, and the SSH host to the node's address, so ``ssh`` needs only the
        connection options (``ssh_user``, ``ssh_key`` or ``ssh_password``, ``ssh_port``).
        Empty options are ignored. ``restart_command_timeout`` (``ssh``, ``local``) bounds
        the restart command alone and takes a Robot time string (``2 min``) or seconds; the
        wait for the plugin to synchronize is bounded by ``Restart Plugin``'s own timeout.
        ``password`` must be a Robot ``Secret`` (give it as
        ``--variable "SSH_PASSWORD: Secret:..."``) so it never reaches the logs. Returns a
        description of the access (never a secret).
        """
        cluster = self.ctx.require_cluster()
        node = self.ctx.require_node()
        opts = {k: v for k, v in options.items() if v not in ("", None)}
        if password is not None:
            opts["password"] = password
        if "sudo" in opts:
            opts["sudo"] = str(opts["sudo"]).strip().lower() in ("1", "true", "yes", "on")
        if "restart_command_timeout" in opts:
            opts["restart_command_timeout"] = _seconds("restart_command_timeout", opts["restart_command_timeout"])
        sim = self.ctx.simulator
        kind = (node_access or "local").lower()
        if kind == "local":
            if sim is None:
                raise ClusterError("NODE_ACCESS=local works only on the simulated cluster; "
                                   "use ssh or daemonset for a real node")
            opts.setdefault("log_path", sim.plugin_log)
            opts.setdefault("restart_command", sim.restart_command)
            if "restart_command_timeout" in opts:  # the local backend bounds only its restart command
                opts["command_timeout"] = opts.pop("restart_command_timeout")
        elif kind == "ssh":
            opts.setdefault("host", node.address)
            if sim is not None:
                opts.setdefault("log_path", sim.plugin_log)
                opts.setdefault("restart_command", sim.restart_command)
        elif kind == "daemonset":
            opts.setdefault("core_v1", cluster.core)
            opts.setdefault("node", node.name)
        access = create_node_access(kind, **opts)
        if self.ctx.node_access is not None:
            self.ctx.node_access.close()
        self.ctx.node_access = access
        self.ctx.run_mark = access.mark()
        logger.info(f"Plugin access: {access.describe()}")
        return access.describe()

    @keyword
    def disconnect_from_cluster(self) -> None:
        """Delete what this run created, close connections and stop the simulated cluster."""
        problems = self.ctx.shutdown()
        if problems:
            raise ClusterError("; ".join(problems))


def _as_bool(value: object) -> bool:
    """Robot gives ``True``/``False`` as strings from the command line."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0", "", "none"):
            return False
        raise ValueError(f"sim_shuffle_map_order '{value}' is not True or False")
    return bool(value)
