"""Several nodes: which nodes a run uses, labelling them for the run (undone at the end, also
when the run fails), and the plugin on each of them (its log since a mark, its restart through
the plugin DaemonSet, its synchronization)."""
from __future__ import annotations

import time
from datetime import timedelta

from kubernetes.client.exceptions import ApiException
from robot.api import logger
from robot.api.deco import keyword

from .. import grantlog, pluginlog
from ..cluster import ClusterError
from ..context import LibraryContext
from ..cpusets import format_cpu_list
from ..nodeaccess.base import SYNC_DONE
from ..nodeplugins import access_for_node, node_log_since
from ..podstate import view
from .tables import table as _table

POLL_INTERVAL = 0.05  # seconds between reads of the plugin logs while waiting on them


def _label_parts(label: str) -> tuple[str, str]:
    key, sep, value = str(label).partition("=")
    if not sep or not key.strip():
        raise ValueError(f"label '{label}' is not key=value")
    return key.strip(), value.strip()


class NodeKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    # ---- which nodes ----------------------------------------------------------------------

    @keyword
    def nodes_of_the_run(self, nodes: str | list[str] = "", plugin_namespace: str = "kube-system",
                         plugin_label: str = "app=weka-nri-cpuset") -> list[str]:
        """The nodes a procedure over several nodes uses, target node first. ``nodes`` names
        them (a list, or names separated by commas or spaces; each must exist and be Ready).
        Empty: every node of the simulated cluster; on a real cluster every Ready node with a
        Ready plugin pod (``plugin_namespace``/``plugin_label``, a plugin DaemonSet), or the
        target node alone when there is none (a native plugin: name the nodes).

        Example:
        | ${nodes} = | Nodes Of The Run | ${RUN_NODES} |
        """
        cluster = self.ctx.require_cluster()
        target = self.ctx.require_node().name
        if isinstance(nodes, str):
            names = [n for n in nodes.replace(",", " ").split() if n]
        else:
            names = [str(n) for n in nodes or [] if str(n)]
        if names:
            problems = []
            for name in names:
                try:
                    if not cluster.node(name).ready:
                        problems.append(f"node '{name}' is not Ready")
                except ClusterError as err:
                    problems.append(str(err).replace("TARGET_NODE", "node"))
            if problems:
                raise ValueError("RUN_NODES: " + "; ".join(problems))
        elif self.ctx.simulator is not None:
            names = [entry["name"] for entry in self.ctx.simulator.nodes]
        else:
            ready = {n.metadata.name for n in cluster.core.list_node().items
                     if any(c.type == "Ready" and c.status == "True" for c in (n.status.conditions or []))}
            plugin_pods = cluster.core.list_namespaced_pod(plugin_namespace, label_selector=plugin_label).items
            names = sorted({p.spec.node_name for p in plugin_pods if view(p).ready and p.spec.node_name in ready})
            names = names or [target]
        ordered = [target] if target in names else []
        ordered += [n for n in dict.fromkeys(names) if n != target]
        logger.info(f"Nodes of the run: {', '.join(ordered)}")
        return ordered

    # ---- labels -------------------------------------------------------------------------

    def _patch_label(self, node: str, key: str, value: str | None) -> None:
        try:
            self.ctx.require_cluster().core.patch_node(node, {"metadata": {"labels": {key: value}}})
        except ApiException as err:
            raise ClusterError(f"labelling node '{node}' with '{key}': {err.status} {err.reason}") from err

    @keyword
    def label_nodes(self, label: str, *nodes: str) -> None:
        """Label the nodes (``key=value``) for this run, as ``kubectl label node`` does. The
        label is removed at the end of the run even when a suite teardown does not run; remove it
        earlier with ``Remove Label From Nodes``.

        Example:
        | Label Nodes | nri-cpuset-acceptance/relocate=${RUN_ID} | sim-node-1 | sim-node-2 |
        """
        key, value = _label_parts(label)
        for node in nodes:
            what = f"label '{key}' on node '{node}'"
            self.ctx.cleanups.append((what, lambda n=node, w=what: self._undo_label(n, key, w)))
            self._patch_label(node, key, value)
        logger.info(f"Labelled {key}={value}: {', '.join(nodes)}")

    def _undo_label(self, node: str, key: str, what: str) -> None:
        self._patch_label(node, key, None)
        self.ctx.cleanups[:] = [(w, undo) for w, undo in self.ctx.cleanups if w != what]

    @keyword
    def remove_label_from_nodes(self, label: str, *nodes: str) -> None:
        """Remove the label (``key`` or ``key=value``) from the nodes; a node without it is fine.

        Example:
        | Remove Label From Nodes | nri-cpuset-acceptance/relocate | @{NODES} |
        """
        key = str(label).partition("=")[0].strip()
        if not key:
            raise ValueError(f"label '{label}' has no key")
        problems = []
        for node in nodes:
            try:
                self._undo_label(node, key, f"label '{key}' on node '{node}'")
            except ClusterError as err:
                problems.append(str(err))
        if problems:
            raise ClusterError("; ".join(problems))
        logger.info(f"Label {key} removed from: {', '.join(nodes)}")

    # ---- the plugin on each node --------------------------------------------------------

    @keyword
    def mark_plugin_logs_of_nodes(self, name: str, *nodes: str) -> None:
        """Remember where each node's plugin log ends now, under ``name``.

        Example:
        | Mark Plugin Logs Of Nodes | before-annotated | @{NODES} |
        | ${lines} = | Plugin Log Of Node | sim-node-2 | since=before-annotated |
        """
        self.ctx.node_marks[name] = {node: access_for_node(self.ctx, node).mark() for node in nodes}

    @keyword
    def plugin_log_of_node(self, node: str, since: str) -> list[str]:
        """The plugin log lines of ``node`` written since the mark ``since`` (``Mark Plugin Logs
        Of Nodes``).

        Example:
        | ${lines} = | Plugin Log Of Node | sim-node-2 | since=before-annotated |
        """
        return node_log_since(self.ctx, node, since)

    @keyword
    def plugin_logs_should_not_report_corruption(self, since: str, *nodes: str) -> None:
        """No ``State corruption`` or ``ownership mismatch`` line in any node's plugin log since
        the mark ``since``.

        Example:
        | Plugin Logs Should Not Report Corruption | run-start | @{NODES} |
        """
        bad = [f"{node}: {line}" for node in nodes
               for line in pluginlog.corruption_lines(self.plugin_log_of_node(node, since))]
        if bad:
            raise AssertionError(f"plugin reported state corruption {len(bad)} times since {since}: "
                                 + " | ".join(bad[:5]))

    @keyword
    def plugin_grants_on_nodes_should_match_pod_cpus(self, sets: dict, since: str) -> None:
        """For each pod (pod -> CPUs it really has), what its node's plugin last said about its
        container since the mark ``since`` agrees with the CPUs it has: its latest grant, or
        after a live move the same count off the CPUs it was moved from (for an annotated pod,
        also the CPUs the plugin returned for its annotation, which older builds log instead).

        Example:
        | Plugin Grants On Nodes Should Match Pod Cpus | ${sets} | since=run-start |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        words_of: dict[str, dict[str, grantlog.Grant]] = {}
        by_annotation: dict[str, dict[str, frozenset[int]]] = {}
        rows, problems = [], []
        for pod, cpus in sets.items():
            obj = cluster.get_pod(namespace, pod)
            node = obj.spec.node_name
            if node not in words_of:
                lines = self.plugin_log_of_node(node, since)
                words_of[node] = grantlog.latest_words(lines)
                by_annotation[node] = pluginlog.annotation_grants(lines)
            actual = frozenset(cpus)
            annotation = view(obj).cores_annotation
            for cid in view(obj).container_ids:
                said = words_of[node].get(pluginlog.short_id(cid))
                if said is None and annotation is not None and annotation in by_annotation[node]:
                    # builds before upstream 97e0fb4 name no container when admitting an annotated one
                    said = grantlog.Grant(by_annotation[node][annotation])
                text = "(no line)" if said is None else (
                    f"moved off {format_cpu_list(said.left)}, keeping {len(said.cpus)} CPUs" if said.moved
                    else format_cpu_list(said.cpus))
                rows.append((node, pod, pluginlog.short_id(cid), format_cpu_list(actual), text))
                if said is None:
                    problems.append(f"{pod} on {node}: no allocation line for container {pluginlog.short_id(cid)}")
                elif not said.matches(actual):
                    problems.append(f"{pod} on {node}: plugin says {text}, container has {format_cpu_list(actual)}")
        logger.info(_table(["node", "pod", "container", "container has", "plugin says"], rows), html=True)
        if problems:
            raise AssertionError("plugin's view differs from the containers: " + "; ".join(problems))

    @keyword
    def wait_until_plugins_have_synchronized(self, since: str, *nodes: str, pods: list[str] | None = None,
                                             timeout: timedelta = timedelta(minutes=1)) -> None:
        """Wait (bounded) until the plugin of every node has logged the end of a Synchronize
        (the run's sync line) since the mark ``since`` and re-recorded every container of
        ``pods`` running on that node. Once a node logged the end-of-sync line, a container it
        did not re-record fails at once (nothing more comes).

        Example:
        | Mark Plugin Logs Of Nodes | before-restart | @{NODES} |
        | Rollout Restart Daemonset | weka-nri-cpuset | namespace=kube-system |
        | Wait Until Plugins Have Synchronized | before-restart | @{NODES} | pods=${PODS} |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        wanted: dict[str, dict[str, str]] = {node: {} for node in nodes}  # node -> short id -> pod
        for pod in pods or []:
            obj = cluster.get_pod(namespace, pod)
            if obj.spec.node_name in wanted:
                for cid in view(obj).container_ids:
                    wanted[obj.spec.node_name][pluginlog.short_id(cid)] = pod
        deadline = time.monotonic() + timeout.total_seconds()
        while True:
            pending, final = [], []
            for node in nodes:
                access = access_for_node(self.ctx, node)
                lines = self.plugin_log_of_node(node, since)
                sync_line = getattr(access, "sync_line", SYNC_DONE)
                if not any(sync_line in line for line in lines):
                    pending.append(f"{node}: no '{sync_line}'")
                    continue
                missing = set(wanted[node]) - pluginlog.synchronized(lines)
                if missing:
                    text = f"{node}: " + ", ".join(f"{pod} (container {c})" for pod, c in sorted(
                        (wanted[node][c], c) for c in missing))
                    # the end-of-sync line comes after every line of the Synchronize: nothing more will come
                    (final if SYNC_DONE in sync_line else pending).append(text)
            if final:
                raise AssertionError("plugin did not synchronize: " + "; ".join(final + pending))
            if not pending:
                break
            if time.monotonic() > deadline:
                raise AssertionError("plugin did not synchronize within "
                                     f"{timeout.total_seconds():g} s: " + "; ".join(pending))
            time.sleep(POLL_INTERVAL)  # polling the plugin logs: a bounded wait on state
        logger.info(f"The plugin synchronized on {', '.join(nodes)}")

    @keyword
    def restart_plugins_on_nodes(self, *nodes: str, timeout: timedelta = timedelta(minutes=3)) -> None:
        """Restart the plugin of each node with the run's node access (a native plugin: its
        restart command on that node, e.g. over SSH; a DaemonSet plugin: that node's plugin pod),
        one node after the other, each waiting for its sync line, all within ``timeout``; then
        wait until the API server answers and the target node is Ready again (``systemctl
        restart k3s`` on a server node takes the API down for a while).

        Example:
        | Mark Plugin Logs Of Nodes | before-restart | @{NODES} |
        | Restart Plugins On Nodes | @{NODES} | timeout=3 min |
        | Wait Until Plugins Have Synchronized | before-restart | @{NODES} | pods=${PODS} |
        """
        from .plugin import wait_for_api_after_restart

        deadline = time.monotonic() + timeout.total_seconds()
        for node in nodes:
            access = access_for_node(self.ctx, node)
            if node == self.ctx.require_node().name:
                self.ctx.requested_plugin_restarts += 1
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no time left within {timeout.total_seconds():g} s to restart the plugin on "
                                     f"{node} (restarted before it: {', '.join(nodes[:nodes.index(node)])})")
            result = access.restart_plugin(left)
            logger.info(f"Plugin on {node} restarted and synchronized in {result.seconds:.2f} s via "
                        f"{access.describe()}")
        wait_for_api_after_restart(self.ctx, deadline - time.monotonic())
