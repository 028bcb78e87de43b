"""State the keyword modules share for one Robot run: the cluster, the node, the plugin access
and what this run created (so it can be removed even after a failure or an interrupt)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .cluster import Cluster, NodeSummary
from .nodeaccess import LogMark, NodeAccess
from .nodetopology import NodeTopology
from .leftovers import LeftoverContainers
from .nodelease import NodeLease
from .runstop import RunStop
from .secrets import SecretRegistry
from .simlauncher import SimulatedCluster


class NotConnected(RuntimeError):
    """A keyword needs a cluster or node connection that no keyword has made yet."""


@dataclass
class LibraryContext:
    cluster: Cluster | None = None
    simulator: SimulatedCluster | None = None
    node: NodeSummary | None = None
    node_access: NodeAccess | None = None
    namespace: str = ""
    run_id: str = ""
    created_namespaces: set[str] = field(default_factory=set)
    # pod name -> container ids seen for it in this run (kept after the pod is gone)
    container_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # pod name -> its container names (from the spec)
    container_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    step_mark: LogMark | None = None
    run_mark: LogMark | None = None
    # pod name -> (sequence number, plugin log mark taken just before the pod was deleted)
    deletion_marks: dict[str, tuple[int, LogMark]] = field(default_factory=dict)
    named_marks: dict[str, LogMark] = field(default_factory=dict)  # 'Mark Plugin Log' names
    node_topology: NodeTopology | None = None  # read once inside a pod, on first need
    node_topologies: dict[str, NodeTopology] = field(default_factory=dict)  # other nodes, the same way
    # pod name -> the target node's state before its batch was created (coregrants.Baseline)
    grant_baselines: dict[str, object] = field(default_factory=dict)
    lease: NodeLease | None = None  # this run's hold on the target node
    secrets: SecretRegistry = field(default_factory=SecretRegistry)  # values masked in every output
    # node name -> access to the plugin on that node (other than the target node's)
    node_accesses: dict[str, NodeAccess] = field(default_factory=dict)
    node_marks: dict[str, dict[str, LogMark]] = field(default_factory=dict)  # name -> node -> mark
    # (what, undo) run first at shutdown, newest first, for cluster-wide changes of the run
    # (e.g. node labels) that a namespace deletion does not undo; an undo removes its own entry
    cleanups: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    #: full name of the suite whose setup connected; its end disconnects (see ``shutdown``)
    connected_suite: str = ""
    simulators_started: int = 0  # in this robot run
    simulator_dirs: set[str] = field(default_factory=set)  # their folders under nrisim/, this run
    #: plugin model of a simulated cluster this run did not start (recognised by its own API)
    simulated_elsewhere: str = ""
    cluster_nodes: list[str] = field(default_factory=list)  # every node of the connected cluster
    announced_suite: str = ""  # the suite whose target was last printed on the console
    run_stop: RunStop = field(default_factory=RunStop)  # set when nothing of this run can pass
    #: containers of namespaces an earlier run left behind, removed at connection: their release
    #: by the plugin is awaited once it can be read (Connect To Plugin)
    leftover_containers: LeftoverContainers | None = None
    #: plugin restarts this run asked for (Restart Plugin, Delete Plugin Pod, a rollout of its DaemonSet)
    requested_plugin_restarts: int = 0
    plugin_baseline: object | None = None  # pluginhealth.Baseline taken when the test started
    #: pod name -> container ids of the pods the last per-test cleanup deleted (names a leak's pods)
    cleaned_up_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: suite (procedure) of this robot run -> the metadata it published last
    published_metadata: dict[str, dict[str, str]] = field(default_factory=dict)

    def require_cluster(self) -> Cluster:
        if self.cluster is None:
            raise NotConnected("not connected to a cluster: call 'Connect To Cluster' first")
        return self.cluster

    def require_node(self) -> NodeSummary:
        if self.node is None:
            raise NotConnected("no target node: call 'Connect To Cluster' first")
        return self.node

    def require_node_access(self) -> NodeAccess:
        if self.node_access is None:
            raise NotConnected("no node access to the plugin: call 'Connect To Plugin' first")
        return self.node_access

    def require_namespace(self) -> str:
        if not self.namespace:
            raise NotConnected("no test namespace: call 'Create Test Namespace' first")
        return self.namespace

    def shutdown(self) -> list[str]:
        """Delete leftover namespaces, close connections, stop the simulator. Returns problems."""
        problems: list[str] = []
        for what, undo in reversed(list(self.cleanups)):
            try:
                undo()
            except Exception as err:  # noqa: BLE001 - report all, stop nothing
                problems.append(f"{what} may be left behind: {err}")
        self.cleanups.clear()
        if self.cluster is not None:
            for name in sorted(self.created_namespaces):
                try:
                    self.cluster.delete_namespace(name, timeout=60)
                except Exception as err:  # noqa: BLE001 - report all, stop nothing
                    problems.append(f"namespace '{name}' may be left behind: {err}")
            self.created_namespaces.clear()
            if self.lease is not None:
                try:
                    self.lease.release()
                except Exception as err:  # noqa: BLE001 - it expires on its own
                    problems.append(f"the lease of node {self.lease.node} was not released "
                                    f"(it expires {self.lease.duration} s after its last renewal): {err}")
                self.lease = None
            self.cluster.close()
            self.cluster = None
        if self.node_access is not None:
            self.node_access.close()
            self.node_access = None
        for access in self.node_accesses.values():
            access.close()
        self.node_accesses.clear()
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None
        self._forget_connection()
        return problems

    def _forget_connection(self) -> None:
        """What belonged to the connection just closed: a later ``Connect To Cluster`` in the same
        robot run (the next procedure of ``robot suites/``) starts from nothing of it. The run id
        and the secrets to mask stay for the whole run."""
        self.node = None
        self.namespace = ""
        self.container_ids.clear()
        self.container_names.clear()
        self.step_mark = None
        self.run_mark = None
        self.deletion_marks.clear()
        self.named_marks.clear()
        self.node_topology = None
        self.node_topologies.clear()
        self.grant_baselines.clear()
        self.node_marks.clear()
        self.plugin_baseline = None
        self.cleaned_up_ids.clear()
        self.connected_suite = ""
        self.simulated_elsewhere = ""
        self.cluster_nodes = []
        self.leftover_containers = None
