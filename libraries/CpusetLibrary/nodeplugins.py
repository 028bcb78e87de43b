"""The plugin on any node of the run, not only the target node: node access for another node
is derived from the target node's (same kind, same options, that node's log and restart).

- ``local`` (the simulated cluster): each simulated node has its own plugin log file and
  restart command (published by the simulator).
- ``daemonset``: the plugin pod of the DaemonSet on that node (same namespace and label).
- ``ssh``: when no host was given (the target node was reached at its own address), another
  node is reached at its address (``InternalIP``) with the same SSH options and plugin log
  path (on the simulated cluster: that node's files). A host given explicitly names one
  machine only: another node is then not reachable (the error says so).
"""
from __future__ import annotations

from .cluster import ClusterError
from .context import LibraryContext
from .nodeaccess.base import NodeAccess
from .nodeaccess.daemonset import DaemonSetNodeAccess
from .nodeaccess.local import LocalNodeAccess


class NodeAccessUnavailable(RuntimeError):
    """The plugin of a node cannot be reached with the run's node access."""


def access_for_node(ctx: LibraryContext, node: str) -> NodeAccess:
    """Access to the plugin on ``node`` (the target node's own access for the target node)."""
    target = ctx.require_node()
    access = ctx.require_node_access()
    if not node or node == target.name:
        return access
    cached = ctx.node_accesses.get(node)
    if cached is not None and getattr(cached, "_derived_from", None) is access:
        return cached
    derived = _derive(ctx, access, node)
    derived._derived_from = access  # type: ignore[attr-defined]  # a new Connect To Plugin invalidates it
    if cached is not None:
        cached.close()
    ctx.node_accesses[node] = derived
    return derived


def _derive(ctx: LibraryContext, access: NodeAccess, node: str) -> NodeAccess:
    if isinstance(access, DaemonSetNodeAccess):
        return DaemonSetNodeAccess(access.core_v1, node, access.namespace, access.label, access.timeout,
                                   container=access.container, sync_line=access.sync_line,
                                   poll_interval=access.poll_interval)
    if isinstance(access, LocalNodeAccess):
        sim = ctx.simulator
        if sim is None:
            raise NodeAccessUnavailable(f"node '{node}': local node access knows only the target node's "
                                        "plugin log outside the simulated cluster")
        try:
            files = sim.node_files(node)
        except ValueError as err:
            raise NodeAccessUnavailable(str(err)) from None
        return LocalNodeAccess(files["plugin_log"], files["restart_command"], access.command_timeout,
                               sync_line=access.sync_line, poll_interval=access.poll_interval)
    from .nodeaccess.ssh import SshNodeAccess  # late: paramiko is imported only when SSH is used

    if isinstance(access, SshNodeAccess):
        if not access.host_from_node:
            raise NodeAccessUnavailable(
                f"node '{node}': {access.describe()} was given its host (SSH_HOST), which names the target node "
                "only; a procedure over several nodes reads every node's plugin log: leave SSH_HOST empty so "
                "each node is reached at its own address with the same SSH options, or use NODE_ACCESS=daemonset")
        files = {}
        if ctx.simulator is not None:
            try:
                files = ctx.simulator.node_files(node)
            except ValueError as err:
                raise NodeAccessUnavailable(str(err)) from None
        try:
            address = ctx.require_cluster().node(node).address
        except ClusterError as err:
            raise NodeAccessUnavailable(str(err).replace("TARGET_NODE", "node")) from None
        return access.for_host(address, files.get("plugin_log"), files.get("restart_command"))
    raise NodeAccessUnavailable(
        f"node '{node}': {access.describe()} reaches the target node only; a procedure over several "
        "nodes reads every node's plugin log: use NODE_ACCESS=daemonset (plugin deployed as a "
        "DaemonSet) or run it with that node as the only node")


def node_log_since(ctx: LibraryContext, node: str, since: str) -> list[str]:
    """The plugin log lines of ``node`` since the node mark ``since`` (``Mark Plugin Logs Of Nodes``)."""
    marks = ctx.node_marks.get(since)
    if marks is None or node not in marks:
        known = ", ".join(sorted(ctx.node_marks)) or "none"
        raise ValueError(f"no plugin log mark '{since}' for node '{node}' (marks: {known}); "
                         "take one with 'Mark Plugin Logs Of Nodes'")
    return access_for_node(ctx, node).read_since(marks[node])
