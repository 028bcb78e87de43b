"""Connecting to the cluster (real or simulated) and to the plugin on the target node."""
from __future__ import annotations

import math
import os
import re
import shutil
import uuid
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret
from robot.libraries.BuiltIn import BuiltIn
from robot.utils import timestr_to_secs

from ..cluster import Cluster, ClusterError, read_kubeconfig
from ..leftovers import (await_leftover_release, cleanup_command, find_leftovers, leftover_containers,
                         remove_namespaces)
from ..nodeplugins import NodeAccessUnavailable, access_for_node
from ..nodelease import NodeBusy, NodeLease
from ..runmetadata import merged_metadata
from ..runstop import STOP_FILE_VARIABLE
from ..runvars import problems_with, simulator_only_given_for_real_cluster
from ..secrets import kubeconfig_secrets
from ..target import (REAL_TARGET, SIMULATED_BANNER, SIMULATED_BINARY_TARGET, SIMULATED_ELSEWHERE_VARIABLE,
                      SIMULATED_TARGET, check_simulated_target_allowed, flag, target_line)
from ..context import LibraryContext
from ..nodeaccess.factory import create_node_access
from ..simlauncher import start_simulator
from ..version import __version__


#: a native plugin installed with its logging wrapper on a k3s node
NATIVE_PLUGIN_LOG = "/var/log/weka-cpuset.log"
NATIVE_RESTART_COMMAND = "systemctl restart k3s"


def _output_dir() -> Path:
    try:
        return Path(BuiltIn().get_variable_value("${OUTPUT DIR}"))
    except Exception:  # noqa: BLE001 - outside a robot run (unit tests)
        return Path.cwd() / "results"


def _run_variable(name: str, default: object) -> object:
    """A robot variable of the run (``default`` outside a run or when not set)."""
    try:
        return BuiltIn().get_variable_value(f"${{{name}}}", default)
    except Exception:  # noqa: BLE001 - outside a robot run (unit tests)
        return default


def _procedure_title() -> str:
    """The running suite's own name (``Relocate Cpu``, not ``Suites.Relocate Cpu``)."""
    try:
        from robot.running.context import EXECUTION_CONTEXTS
        return str(EXECUTION_CONTEXTS.current.suite.name)
    except Exception:  # noqa: BLE001 - outside a robot run
        return _current_suite() or "?"


def _procedure_name() -> str:
    """The connecting procedure's name for its files: its suite file's name without ``.robot``
    (``relocate_cpu``), or the suite's name with ``_`` for spaces; ``cluster`` outside a run."""
    try:
        source = BuiltIn().get_variable_value("${SUITE SOURCE}") or ""
    except Exception:  # noqa: BLE001 - outside a robot run (unit tests)
        source = ""
    name = Path(source).stem if source and Path(source).suffix else _current_suite()
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "cluster"


def _simulator_dir(used: set[str]) -> Path:
    """``nrisim/<procedure>`` in the output directory: each procedure's simulated cluster keeps
    its own files (kubeconfig, plugin logs, cluster.json), also when every procedure runs in its
    own robot process into one output directory. A second cluster of one procedure in the same
    run gets ``<procedure>-2``...; a folder left by an earlier run into the same directory is
    emptied first (its plugin log would otherwise run on into this run's)."""
    base = _procedure_name()
    name, number = base, 1
    while name in used:
        number += 1
        name = f"{base}-{number}"
    used.add(name)
    folder = _output_dir() / "nrisim" / name
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    return folder


def _current_suite() -> str:
    """Full name of the running suite; empty outside a robot run."""
    try:
        return str(BuiltIn().get_variable_value("${SUITE NAME}") or "")
    except Exception:  # noqa: BLE001 - RobotNotRunningError: called from Python
        return ""


def _console(text: str) -> None:
    """Progress and notices for people and pipelines watching the run."""
    logger.console(f"[CpusetLibrary] {text}")


def _given(value: object, variable: str, default: str) -> object:
    """``value`` when given, else the run variable ``variable``, else ``default``."""
    return value if value not in (None, "") else _run_variable(variable, default)


def _seconds(name: str, value: object, allow_zero: bool = False) -> float:
    """A Robot time string (``2 min``, ``90 s``) or a number, as seconds > 0 (>= 0)."""
    try:
        seconds = timestr_to_secs(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a time such as '2 min' or '120', got {value!r}") from None
    if not (seconds >= 0 if allow_zero else seconds > 0):
        raise ValueError(f"{name} must be a time {'>=' if allow_zero else '>'} 0, got {value!r}")
    return seconds


class ConnectionKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    @keyword
    def check_run_variables(self, **variables: str) -> None:
        """Check the run's variables before the cluster is touched, naming every bad one and
        what was expected: ``*_TIMEOUT`` and ``LEASE_DURATION`` are times > 0 (``2 min``,
        ``90 s``), ``LEASE_WAIT`` a time >= 0, ``*_GRACE_PERIOD`` whole seconds >= 0,
        ``SIM_CPUS`` an even number the simulator supports (2-1024), ``LATENCY_PROFILE`` a
        profile name, ``NODE_ACCESS`` local/ssh/daemonset, ``SSH_SUDO``,
        ``ALLOW_SIMULATED_CLUSTER`` and ``REMOVE_LEFTOVERS`` true or false. The run's
        ``LEASE_WAIT``, ``LEASE_DURATION``, ``REMOVE_LEFTOVERS`` and ``ALLOW_SIMULATED_CLUSTER``
        are checked too when not given. With ``KUBECONFIG`` given, simulator-only variables
        (``SIM_CPUS``, ``PLUGIN_MODEL``, ``LATENCY_PROFILE``) that differ from their defaults
        produce a warning: they do nothing on a real cluster. A bad variable fails every
        procedure alike, so the later procedures of the run are skipped as not run, naming it
        (across ``scripts/run-suites.sh``'s processes through ``RUN_STOP_FILE``).

        Example:
        | Check Run Variables | SIM_CPUS=${SIM_CPUS} | SSH_SUDO=${SSH_SUDO} | POD_READY_TIMEOUT=2 min |
        """
        self._skip_if_run_stopped()
        checked = dict(variables)
        for name in ("LEASE_WAIT", "LEASE_DURATION", "REMOVE_LEFTOVERS", "ALLOW_SIMULATED_CLUSTER"):
            if name not in checked:
                value = _run_variable(name, None)
                if value is not None:
                    checked[name] = value
        problems = problems_with(checked)
        if problems:
            self._stop_run("; ".join(problems))
            raise ValueError("; ".join(problems))
        ignored = simulator_only_given_for_real_cluster(checked)
        if ignored:
            logger.warn(f"{', '.join(ignored)} apply to the simulated cluster only; KUBECONFIG names a real "
                        "cluster, so they are ignored")

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
        lease_wait: str | None = None,
        lease_duration: str | None = None,
        remove_leftovers: str | None = None,
        sim_faults: str = "",
        sim_latencies: str = "",
        sim_threads_per_core: int = 2,
        plugin_binary: str = "",
        sim_shadow_model: str = "",
    ) -> dict:
        """Connect to the cluster, check the target node and hold it for this run; returns run
        metadata.

        With an empty ``kubeconfig`` the simulated cluster is started (``sim_cpus`` CPUs,
        plugin model ``plugin_model``, latencies ``latency_profile``, ``sim_nodes`` nodes named
        ``sim-node-1``..``N``, the first being the target node). The connection ends with the
        suite whose setup made it (namespaces deleted, lease released, the simulated cluster
        stopped), so each procedure of ``robot suites/`` connects afresh with its own variables
        (e.g. three simulated nodes for a multi-node procedure). A real cluster is only ever used when ``kubeconfig`` names it: the environment
        variable KUBECONFIG and ``~/.kube/config`` are never picked up silently, because these
        procedures take most of a node's CPUs.

        More options of the simulated node (ignored for a real cluster): ``sim_numa_nodes``
        NUMA nodes, ``sim_offline_cpus`` CPUs present but not online (kernel list syntax, e.g.
        ``5,7``), and ``sim_shuffle_map_order`` to make the plugin model walk its maps in a
        random order as Go does on a real node, seeded by ``sim_map_order_seed`` (empty: a
        random seed, shown in the run metadata so a failure can be replayed).
        ``sim_threads_per_core`` is the node's SMT width (1: no hyper-threading).
        ``plugin_binary`` hosts that NRI plugin binary on every simulated node instead of the
        model (needs root and Linux mount namespaces; ``Plugin model`` then names the binary,
        its sha256 and the version it reports). ``sim_shadow_model`` runs that model beside the
        binary on the same events: the first decision where the two differ is written to the
        plugin log (so a failing step's evidence shows it) and ``shadow-divergence.json``.

        ``sim_latencies`` overrides single latencies of the profile, ``name=seconds`` separated
        by commas (``plugin_shutdown=1.5,runtime_request_timeout=0.4``; names in
        ``python -m nrisim --help``).

        Example:
        | Connect To Cluster | sim_cpus=16 | sim_numa_nodes=2 | sim_offline_cpus=5,7 |
        | Connect To Cluster | sim_shuffle_map_order=True | sim_map_order_seed=42 |

        One run per node: the run holds the node's Lease (``default/nri-cpuset-acceptance-<node>``,
        renewed every third of ``lease_duration``, deleted at the end). When another live run
        holds it, this one waits up to ``lease_wait`` (``0``: fail at once) and then fails
        naming that run, its namespace and when it started; a lease not renewed for
        ``lease_duration`` (a killed run) is taken over, at once when its holder ran on this
        host and its process is gone; a holder that cannot be judged and does not renew is
        waited for until its lease expires (if within twice ``lease_duration``, at least 60 s).
        Once the node is held, namespaces of this tool left on it by earlier runs are deleted
        (``Connect To Plugin`` then waits until the plugin has released their containers,
        saying how long), or with ``remove_leftovers=false`` the run stops naming them and the
        command that removes them. A simulated cluster started outside this run is recognised
        by its own API and reported as simulated. When the kubeconfig is unusable, the API
        server unreachable or the target node missing, the later procedures of the run are
        skipped as not run, with that reason. The three default to the
        variables ``LEASE_WAIT`` (0), ``LEASE_DURATION`` (30 s) and ``REMOVE_LEFTOVERS`` (true).

        ``sim_faults`` (simulated cluster only) injects API faults, e.g.
        ``error_rate=0.2,throttle_rate=0.1,watch_drop=2`` (names: ``python -m nrisim --help``);
        reads are retried with bounded back-off, creates are checked by name before a retry,
        broken watches are re-established, and a failure after the bound names the cause and
        the step that was running.

        Fails, creating nothing, when the kubeconfig is unreadable or invalid, the API server
        does not answer, ``target_node`` does not exist or is not Ready, or the node is held.

        Example:
        | ${metadata} = | Connect To Cluster | kubeconfig=${KUBECONFIG} | target_node=worker-1 | lease_wait=5 min |
        """
        self._skip_if_run_stopped()
        wait = _seconds("LEASE_WAIT", _given(lease_wait, "LEASE_WAIT", "0"), allow_zero=True)
        duration = _seconds("LEASE_DURATION", _given(lease_duration, "LEASE_DURATION", "30 s"))
        remove = flag("REMOVE_LEFTOVERS", _given(remove_leftovers, "REMOVE_LEFTOVERS", "true"))
        if self.ctx.cluster is not None:
            return self.cluster_metadata()
        if not kubeconfig:
            check_simulated_target_allowed(os.environ, _run_variable("ALLOW_SIMULATED_CLUSTER", ""))
            shown = f"binary {str(plugin_binary).strip()}" if str(plugin_binary or "").strip() else plugin_model
            logger.console(SIMULATED_BANNER.format(model=shown, cpus=sim_cpus))
            seed = str(sim_map_order_seed).strip()
            if seed and not seed.lstrip("-").isdigit():
                raise ValueError(f"sim_map_order_seed '{sim_map_order_seed}' is not an integer (or empty for "
                                 "a random seed)")
            sim = start_simulator(
                _simulator_dir(self.ctx.simulator_dirs), cpus=int(sim_cpus), plugin_model=plugin_model,
                latency_profile=latency_profile, timeout=timeout, numa_nodes=int(sim_numa_nodes),
                offline_cpus=str(sim_offline_cpus or "").strip(),
                shuffle_map_order=_as_bool(sim_shuffle_map_order),
                map_order_seed=int(seed) if seed else None, nodes=int(sim_nodes),
                plugin_binary=str(plugin_binary or "").strip(),
                extra_args=[arg for fault in str(sim_faults or "").split(",") if fault.strip()
                            for arg in ("--fault", fault.strip())]
                + _latency_args(sim_latencies)
                + ["--threads-per-core", str(int(sim_threads_per_core))]
                + (["--shadow-model", str(sim_shadow_model).strip()] if str(sim_shadow_model or "").strip() else []),
            )
            self.ctx.simulator = sim
            self.ctx.simulators_started += 1
            kubeconfig, context = sim.kubeconfig, ""
            target_node = target_node or sim.node
        elif not target_node:
            self._stop_run("TARGET_NODE is empty: name the node of the real cluster to test on")
            raise ClusterError("TARGET_NODE is empty: name the node of the real cluster to test on")
        try:
            try:  # what fails here fails every procedure of the run the same way
                if not self.ctx.simulator:  # mask the kubeconfig's credentials before anything can log them
                    self.ctx.secrets.add(*kubeconfig_secrets(read_kubeconfig(kubeconfig, context or None)))
                cluster = Cluster(kubeconfig, context or None, request_timeout=timeout)
                cluster.progress = _console
                self.ctx.cluster = cluster
                version = cluster.version()
                node = cluster.node(target_node)
            except ClusterError as err:
                self._stop_run(str(err))
                raise
            if not node.ready:
                raise ClusterError(f"TARGET_NODE '{target_node}' is not Ready")
            self.ctx.cluster_nodes = cluster.node_names()
            if not self.ctx.simulator:  # a simulator started elsewhere is still one: its own API says so
                found = cluster.simulator_info()
                self.ctx.simulated_elsewhere = str(found["plugin_model"]) if found else ""
                if found:
                    _console(f"{cluster.server} is a SIMULATED cluster (nrisim, plugin model "
                             f"{self.ctx.simulated_elsewhere}: it serves /nrisim/v1/info), not a real one")
        except Exception:
            self.ctx.shutdown()
            raise
        self.ctx.node = node
        self.ctx.run_id = self.ctx.run_id or uuid.uuid4().hex[:8]
        self.ctx.connected_suite = _current_suite()
        try:
            self._hold_node(cluster, node.name, wait, duration, remove, kubeconfig, context or None)
        except Exception:
            self.ctx.shutdown()
            raise
        logger.info(f"Connected to {cluster.server} (Kubernetes {version}); target node {node.name}: "
                    f"{node.cpu_capacity:g} CPUs, {node.cpu_allocatable:g} allocatable, {node.runtime}")
        self._version = version
        return self.cluster_metadata()

    def _stop_run(self, cause: str) -> None:
        """``cause`` fails every procedure of this run: the later ones are not run (``runstop``)."""
        self.ctx.run_stop.record(_procedure_title(), self.ctx.secrets.scrub(cause),
                                 str(_run_variable(STOP_FILE_VARIABLE, "") or ""))

    def _skip_if_run_stopped(self) -> None:
        reason = self.ctx.run_stop.current(str(_run_variable(STOP_FILE_VARIABLE, "") or ""))
        if reason:
            BuiltIn().skip(reason)

    def _hold_node(self, cluster: Cluster, node: str, wait: float, duration: float, remove: bool,
                   kubeconfig: str, context: str | None) -> None:
        """Take the node's lease, then deal with what earlier runs left there."""
        lease = NodeLease(cluster.api_client, node, self.ctx.run_id, math.ceil(duration), cluster.request_timeout)
        try:
            taken_over = lease.acquire(wait, progress=_console)
        except NodeBusy as err:
            raise ClusterError(str(err)) from None
        self.ctx.lease = lease
        lease.namespaces_source = lambda: tuple(self.ctx.created_namespaces)
        if taken_over is not None:
            if lease.taken_over_why == "its process is gone":
                logger.console(f"[CpusetLibrary] took over the lease of node {node} from {taken_over.describe()}: "
                               "that run's process is gone from this host")
            else:
                logger.console(f"[CpusetLibrary] took over the expired lease of node {node} from "
                               f"{taken_over.describe()}")
        leftovers = find_leftovers(cluster, node, self.ctx.run_id)
        if leftovers:
            names = ", ".join(f"{item.namespace} (run {item.run_id or '?'}, {item.pods_on_node} pods on the node)"
                              for item in leftovers)
            if not remove:
                raise ClusterError(
                    f"node {node} has namespaces left behind by earlier runs of this tool: {names}. Remove them "
                    f"with: {cleanup_command(kubeconfig, context, node)} (or run with -v REMOVE_LEFTOVERS:true)")
            logger.console(f"[CpusetLibrary] removing namespaces left behind on node {node} by earlier runs "
                           f"(their lease has expired): {names}")
            # their containers' release is awaited once the plugin can be read (Connect To Plugin)
            self.ctx.leftover_containers = leftover_containers(cluster, [item.namespace for item in leftovers])
            problems = remove_namespaces(cluster, [item.namespace for item in leftovers], timeout=120)
            if problems:
                raise ClusterError(f"namespaces left behind by earlier runs could not be removed: "
                                   f"{'; '.join(problems)}; remove them with: "
                                   f"{cleanup_command(kubeconfig, context, node)}")
        lease.start_renewing()

    @keyword
    def cluster_metadata(self) -> dict:
        """What a report should say about where it ran (no secrets): ``Target`` (which the
        release gate reads), ``Cluster``, ``Kubernetes``, ``Node``, ``Nodes`` (how many the
        cluster has, and which), ``CPUs``, ``Runtime``, ``Plugin model``, ``Node lease``,
        ``Plugin access`` and ``Library``. A cluster named by ``KUBECONFIG`` is reported as
        simulated when it serves the simulator's own API (``/nrisim/v1/info``), whoever started
        it, or when the variable ``SIMULATED_PLUGIN_MODEL`` names the model of the simulator
        that serves it (``nricpuset-fleet --simulated`` passes it to every node's process).

        Example:
        | ${metadata} = | Cluster Metadata |
        | FOR | ${name} | ${value} | IN | &{metadata} |
        | | Set Suite Metadata | ${name} | ${value} | top=True |
        | END |
        """
        cluster = self.ctx.require_cluster()
        node = self.ctx.require_node()
        sim = self.ctx.simulator
        elsewhere = "" if sim else (self.ctx.simulated_elsewhere
                                    or str(_run_variable(SIMULATED_ELSEWHERE_VARIABLE, "") or "").strip())
        return {
            "Target": (SIMULATED_BINARY_TARGET if sim and getattr(sim, "plugin_binary", None)
                       else SIMULATED_TARGET if sim or elsewhere else REAL_TARGET),
            # as ``code``: log.html would turn a bare URL into a link, dead once the run is over
            "Cluster": (f"simulated (nrisim), API ``{cluster.server}`` (gone after the run)" if sim
                        else f"simulated (nrisim, started outside this run), API ``{cluster.server}`` "
                             f"(kubeconfig ``{cluster.kubeconfig}``)" if elsewhere
                        else f"``{cluster.server}`` (kubeconfig ``{cluster.kubeconfig}``)"),
            "Kubernetes": getattr(self, "_version", ""),
            "Node": node.name,
            "Nodes": _nodes_metadata(self.ctx.cluster_nodes),
            "CPUs": f"{node.cpu_capacity:g} (allocatable {node.cpu_allocatable:g})",
            "Runtime": node.runtime,
            "Plugin model": (_binary_description(sim.plugin_binary)
                             if sim and getattr(sim, "plugin_binary", None)
                             else sim.plugin_model + (f" (map order seed {sim.map_order_seed})"
                                                      if sim.map_order_seed is not None else "")
                             if sim else f"{elsewhere} (simulated)" if elsewhere else "real plugin"),
            "Node lease": (f"default/{self.ctx.lease.name} held by run {self.ctx.run_id}" if self.ctx.lease
                           else "none"),
            "Plugin access": self.ctx.node_access.describe() if self.ctx.node_access else "not connected",
            "Library": f"CpusetLibrary {__version__}",
        }

    @keyword
    def publish_cluster_metadata(self, **overrides: str) -> dict:
        """Set ``Cluster Metadata`` (with ``overrides``, e.g. ``Plugin access=...``) on the
        current suite and on the top-level suite. Procedures run together (``robot suites/``)
        each connect on their own: the top level keeps a value they all share; where they differ
        it joins the distinct values for the short ones (``Target``, ``Plugin model``, ``Node``,
        ...: a release gate must see every target) and names how many differ for the long ones
        (``Cluster``, ``Plugin access``, ``Node lease``: each procedure's own metadata has them).

        Example:
        | Publish Cluster Metadata |
        | Publish Cluster Metadata | Plugin access=daemonset pod kube-system/app=weka-nri-cpuset |
        """
        metadata = {**self.cluster_metadata(), **overrides}
        builtin = BuiltIn()
        suite = builtin.get_variable_value("${SUITE NAME}")
        if self.ctx.announced_suite != suite:  # once per procedure, before its first step
            self.ctx.announced_suite = suite
            _console(target_line(suite, metadata))
        # a procedure that publishes again replaces its own metadata
        self.ctx.published_metadata[suite] = metadata
        for name, value in metadata.items():
            builtin.set_suite_metadata(name, value)
        for name, value in merged_metadata(self.ctx.published_metadata.values()).items():
            builtin.set_suite_metadata(name, value, top=True)
        return metadata

    @keyword
    def connect_to_plugin(self, node_access: str = "local", password: Secret | None = None,
                          passphrase: Secret | None = None, **options) -> str:
        """Select how the plugin's log and restart are reached: ``local``, ``ssh`` or ``daemonset``.

        ``local`` is for a run on the node itself (log ``/var/log/weka-cpuset.log`` and restart
        ``systemctl restart k3s`` unless given; the log must be readable now) or on the
        simulated cluster (its own log and restart command).

        On the simulated cluster the plugin log path and restart command default to the
        target node's (``local`` takes ``node=sim-node-2`` for another node of a several-node
        simulator), and the SSH host to the node's address, so ``ssh`` needs only the
        connection options (``ssh_user``, ``ssh_key`` or ``ssh_password``, ``ssh_port``).
        Empty options are ignored. ``restart_command_timeout`` (``ssh``, ``local``) bounds
        the restart command alone and takes a Robot time string (``2 min``) or seconds; the
        wait for the plugin to synchronize is bounded by ``Restart Plugin``'s own timeout.
        ``password`` (and ``passphrase``, an encrypted ``ssh_key``'s) are Robot ``Secret``
        values: the library turns ``SSH_PASSWORD``/``SSH_KEY_PASSPHRASE`` given in any form
        (``-v``, a variable file, the environment variable of the same name) into ``Secret``
        when the suite starts, and masks their values in every output. Returns a description
        of the access (never a secret).

        Example:
        | Connect To Plugin | ssh | password=${SSH_PASSWORD} | user=qa | log_path=/var/log/weka-cpuset.log |
        """
        cluster = self.ctx.require_cluster()
        node = self.ctx.require_node()
        opts = {k: v for k, v in options.items() if v not in ("", None)}
        if password is not None:
            opts["password"] = password
        if passphrase is not None:
            opts["passphrase"] = passphrase
        if "sudo" in opts:
            opts["sudo"] = flag("SSH_SUDO", opts["sudo"])
        if "restart_command_timeout" in opts:
            opts["restart_command_timeout"] = _seconds("restart_command_timeout", opts["restart_command_timeout"])
        sim = self.ctx.simulator
        kind = (node_access or "local").lower()
        if kind == "local":
            # on the node itself (a k3s node: kubectl, the plugin log and the restart are local),
            # or the simulated cluster's files on this machine (any of its nodes)
            if sim is not None:
                files = sim.node_files(opts.pop("node", node.name))  # ValueError names the simulator's nodes
                opts.setdefault("log_path", files["plugin_log"])
                opts.setdefault("restart_command", files["restart_command"])
            else:
                opts.setdefault("log_path", NATIVE_PLUGIN_LOG)
                opts.setdefault("restart_command", NATIVE_RESTART_COMMAND)
            if "restart_command_timeout" in opts:  # the local backend bounds only its restart command
                opts["command_timeout"] = opts.pop("restart_command_timeout")
        elif kind == "ssh":
            host_from_node = "host" not in opts
            opts.setdefault("host", node.address)
            if sim is not None:
                files = sim.node_files(node.name)
                opts.setdefault("log_path", files["plugin_log"])
                opts.setdefault("restart_command", files["restart_command"])
        elif kind == "daemonset":
            opts.setdefault("core_v1", cluster.core)
            opts.setdefault("node", node.name)
        access = create_node_access(kind, **opts)
        if kind == "ssh":
            access.host_from_node = host_from_node
        if kind == "local":  # fail now, naming the file, when this user cannot read the log
            try:
                access.read_since(access.mark())
            except Exception:
                access.close()
                raise
        access.progress = _console
        if self.ctx.node_access is not None:
            self.ctx.node_access.close()
        self.ctx.node_access = access
        self.ctx.run_mark = access.mark()
        logger.info(f"Plugin access: {access.describe()}")
        self._await_leftover_release()
        self.ctx.run_mark = access.mark()
        return access.describe()

    def _await_leftover_release(self) -> None:
        """Before the first step: the plugin has released every container of the namespaces an
        earlier (killed) run left behind, as ``Delete Test Namespace`` waits for its own, so
        no step meets CPUs the plugin still holds for pods that are gone."""
        left, self.ctx.leftover_containers = self.ctx.leftover_containers, None
        if not left:
            return
        accesses, unread = {}, {}
        for node in sorted(left.nodes):
            try:
                accesses[node] = access_for_node(self.ctx, node)
            except NodeAccessUnavailable as err:
                unread[node] = str(err)
        for node, why in unread.items():
            logger.warn(f"the release of the containers left behind on node {node} is not waited for: {why}")
        timeout = _seconds("RELEASE_TIMEOUT", _run_variable("RELEASE_TIMEOUT", "2 min"))
        waited, pending = await_leftover_release(left, accesses, timeout, _console)
        if pending:  # as Delete Test Namespace does: the steps' own leak checks judge the plugin
            logger.warn(
                f"the plugin did not release within {timeout:g} s the containers of the pods an earlier run left "
                f"behind (no RemoveContainer in its log): {'; '.join(sorted(p.describe() for p in pending))}; their "
                "CPUs may still be reserved on the node")
            return
        count = len([item for item in left.started if item.node in accesses]) + len(
            [item for item in left.unseen if item.node in accesses])
        _console(f"the plugin released the {count} container(s) left behind by earlier runs; waited {waited:.1f} s "
                 "before the first step")

    @keyword
    def disconnect_from_cluster(self) -> None:
        """Delete what this run created, close connections and stop the simulated cluster.
        The library does this by itself when the run ends; call it to free the node earlier.

        Example:
        | Delete Test Namespace | grace_period=0 |
        | Disconnect From Cluster |
        """
        problems = self.ctx.shutdown()
        if problems:
            raise ClusterError("; ".join(problems))


def _nodes_metadata(names: list[str]) -> str:
    """How many nodes the cluster had, and which."""
    if not names:
        return "unknown"
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    return f"{len(names)} ({shown})"


def _latency_args(text: str) -> list[str]:
    """``name=seconds,name=seconds`` as ``--latency`` arguments; the simulator checks the names."""
    args: list[str] = []
    for item in filter(None, (part.strip() for part in str(text or "").split(","))):
        name, sep, value = item.partition("=")
        try:
            ok = bool(sep and name.strip()) and float(value) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"sim_latencies item '{item}' is not name=seconds (e.g. plugin_shutdown=1.5)")
        args += ["--latency", f"{name.strip()}={value.strip()}"]
    return args


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


def _binary_description(binary: dict[str, str]) -> str:
    """``Plugin model`` of a run that hosts a plugin binary: what exactly ran."""
    shadow = f", shadowed by model {binary['shadow_model']}" if binary.get("shadow_model") else ""
    return (f"binary ``{binary.get('path', '?')}`` (sha256 {binary.get('sha256', '?')}, "
            f"version {binary.get('version', '?')}{shadow})")
