"""The plugin's side: its log (marked per step and attached to log.html), the release of
removed containers, its restart and resynchronization, and its view against reality."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn

from .. import grantlog, pluginlog
from ..apiwait import wait_until_api_answers
from ..context import LibraryContext
from ..cpusets import format_cpu_list
from ..evidence import log_lines_html
from .tables import table as _table
from ..nodeaccess.base import SYNC_DONE
from ..podstate import view
from ..progress import Progress
from ..releases import UnseenPod, dropped_by_restart, resynced_since_restart, unreleased_unseen, wait_until_released

POLL_INTERVAL = 0.05  # seconds between reads of the plugin log while waiting on it


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "unnamed"


def _release_progress(wanted: dict[tuple[str, str], str], pending: set[tuple[str, str]]) -> str:
    """``1 of 2 containers released; not yet: b (container c)``: a release wait's progress line."""
    waiting = ", ".join(sorted(f"{wanted[key]} (container {key[1]})" for key in pending))
    return f"{len(wanted) - len(pending)} of {len(wanted)} containers released; not yet: {waiting}"


def wait_for_api_after_restart(ctx: LibraryContext, seconds: float) -> None:
    """`systemctl restart k3s` takes the API server down too: wait, within what is left of the
    restart's bound, until it answers and the target node is Ready, and say so when it was down."""
    api = wait_until_api_answers(ctx.require_cluster(), ctx.require_node().name, seconds)
    if api.failures:
        logger.info(f"The API server was unreachable after the restart; it answered again, node Ready, "
                    f"after {api.seconds:.2f} s ({api.failures} attempts; last problem: {api.last_problem})")


class PluginKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context
        self._deleted_at: float | None = None

    # ---- log marks and evidence ---------------------------------------------------------

    @keyword
    def mark_plugin_log_for_step(self) -> None:
        """Remember where the plugin log ends now; the step's evidence starts here.

        Example:
        | Test Setup | Mark Plugin Log For Step |
        """
        from .health import take_baseline

        self.ctx.step_mark = self.ctx.require_node_access().mark()
        self.ctx.cleaned_up_ids.clear()
        take_baseline(self.ctx)  # what Plugin Should Have Stayed Up During The Test compares with

    @keyword
    def plugin_log_since_step_start(self) -> list[str]:
        """The plugin log lines written since the current step started.

        Example:
        | ${lines} = | Plugin Log Since Step Start |
        """
        access = self.ctx.require_node_access()
        return access.read_since(self.ctx.step_mark or access.mark())

    def _run_lines(self) -> list[str]:
        access = self.ctx.require_node_access()
        return access.read_since(self.ctx.run_mark or access.mark())

    def _tracked_ids(self) -> list[str]:
        """Container IDs of this run's pods: remembered ones and those in the namespace now."""
        ids = {cid for group in self.ctx.container_ids.values() for cid in group}
        if self.ctx.cluster is not None and self.ctx.namespace:
            for pod in self.ctx.cluster.list_pods(self.ctx.namespace):
                pod_view = view(pod)
                if pod_view.container_ids:
                    self.ctx.container_ids[pod_view.name] = pod_view.container_ids
                ids.update(pod_view.container_ids)
        return sorted(ids)

    @keyword
    def attach_plugin_log_of_step(self) -> int:
        """Attach the plugin log lines written during this step to log.html, with the decisive
        lines about this run's containers highlighted (admissions, refusals, releases,
        resynchronization; errors and corruption always), and save them under ``evidence/``.
        Returns the number of lines.

        Example:
        | Test Teardown | Attach Plugin Log Of Step |
        """
        if self.ctx.node_access is None or self.ctx.step_mark is None:
            logger.info("No plugin log for this step: no node access yet.")
            return 0
        lines = self.plugin_log_since_step_start()
        marks = [pluginlog.short_id(cid) for cid in self._tracked_ids()]
        # lines that name the pod but not the container ID (e.g. "Removing container c from
        # pod ns/p", the release evidence) are about the containers under test too
        if self.ctx.namespace:
            marks += [f"{self.ctx.namespace}/{pod}" for pod in self.ctx.container_names]
        ours = [line for line in lines if any(m in line for m in marks)]
        # highlight only what decides a verdict: admissions, refusals, releases, resyncs, errors
        decisive = [line for line in lines if pluginlog.is_decisive(line)
                    and (line in ours or "ERROR" in line or "corruption" in line or "mismatch" in line)]
        logger.info(f"Plugin log during this step: {len(lines)} lines, {len(ours)} about this run's containers, "
                    f"{len(decisive)} decisive ones highlighted ({self.ctx.node_access.describe()})<br>"
                    + log_lines_html(lines, decisive), html=True)
        self._save_evidence(lines)
        return len(lines)

    def _save_evidence(self, lines: list[str]) -> None:
        try:
            out_dir = Path(BuiltIn().get_variable_value("${OUTPUT DIR}"))
            suite = BuiltIn().get_variable_value("${SUITE NAME}") or "suite"
            test = BuiltIn().get_variable_value("${TEST NAME}") or "setup"
        except Exception:  # noqa: BLE001 - outside a robot run
            return
        relative = Path("evidence") / _file_name(suite) / f"{_file_name(test)}.plugin.log"
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
        logger.info(f'Raw plugin log of this step: <a href="{relative.as_posix()}">{relative.as_posix()}</a>',
                    html=True)

    # ---- release ------------------------------------------------------------------------

    @keyword
    def note_deletion_time(self) -> None:
        """Start the clock for the release latency reported by the next release wait.

        Example:
        | Note Deletion Time
        | Delete Pods Together | @{pods} |
        | ${latency} = | Wait Until Plugin Has Released Pods | @{pods} |
        """
        self._deleted_at = time.monotonic()

    @keyword
    def wait_until_plugin_has_released_pods(self, *pods: str,
                                            timeout: timedelta = timedelta(minutes=2)) -> float:
        """Wait until the plugin log shows it handled RemoveContainer for every container of
        the pods (the plugin frees a container's CPUs only then, not when it stops), or that it
        restarted since the deletion and did not record the pod's containers again (a container
        removed while no plugin was connected gets no RemoveContainer, and nothing of it is
        reserved). Returns the release latency in seconds, measured from the deletion when
        ``Note Deletion Time`` was used.

        Example:
        | Delete Pods Together | annotated-a | annotated-b |
        | ${latency} = | Wait Until Plugin Has Released Pods | annotated-a | annotated-b |
        """
        namespace = self.ctx.require_namespace()
        unknown = [pod for pod in pods if pod not in self.ctx.container_ids]
        if unknown:
            raise AssertionError(f"no containers known for {', '.join(unknown)}: were they Running when deleted?")
        wanted = {(f"{namespace}/{pod}", name): pod for pod in pods for name in self.ctx.container_names[pod]}
        access = self.ctx.require_node_access()
        mark = self._earliest_deletion_mark(pods) or self.ctx.run_mark or access.mark()
        start = self._deleted_at or time.monotonic()
        deadline = time.monotonic() + timeout.total_seconds()
        progress = Progress(f"waiting up to {timeout.total_seconds():g} s for the plugin to release "
                            f"{', '.join(pods)} (RemoveContainer in its log)",
                            getattr(access, "progress", None))
        while True:
            lines = access.read_since(mark)
            resynced = resynced_since_restart(lines)
            pending = {key for key in set(wanted) - pluginlog.removed_pod_containers(lines)
                       if not dropped_by_restart(self.ctx.container_ids[wanted[key]], resynced)}
            if not pending:
                break
            progress(lambda: _release_progress(wanted, pending))
            if time.monotonic() > deadline:
                ids = {pod: ", ".join(pluginlog.short_id(c) for c in self.ctx.container_ids[pod]) for pod in pods}
                raise AssertionError(
                    f"plugin did not release within {timeout.total_seconds():g} s (no RemoveContainer in its log): "
                    + "; ".join(f"{pod} container {name} (id {ids[pod]})" for (_, name), pod in sorted(
                        ((k, v) for k, v in wanted.items() if k in pending), key=str)))
            time.sleep(POLL_INTERVAL)  # polling the log file: a bounded wait on state
        took = time.monotonic() - start
        self._deleted_at = None
        logger.info(f"Plugin released {len(wanted)} containers of {', '.join(pods)}; "
                    f"release latency {took:.2f} s")
        return took

    def wait_for_unseen_admissions(self, pods: list[str], timeout: timedelta) -> None:
        """Release wait for containers of ``pods`` the library never saw Running: a create the
        plugin admitted while the pod was being deleted (a refused pod's retry that succeeds once
        the pod holding its CPUs is removed first). Such a container reserves CPUs until its own
        RemoveContainer, which comes after the pod is gone (``releases.unreleased_unseen``: judged
        from the plugin's last start on; plugin versions whose create line names no pod are not
        covered)."""
        if not pods or self.ctx.node_access is None or not self.ctx.namespace:
            return
        access = self.ctx.node_access
        node = self.ctx.require_node().name
        unseen = {UnseenPod(node, f"{self.ctx.namespace}/{pod}") for pod in pods}
        mark = self.ctx.run_mark or access.mark()
        awaited = unreleased_unseen(unseen, {node: access.read_since(mark)})
        if not awaited:  # the usual case: nothing admitted behind the test's back
            return
        waited, pending = wait_until_released(set(), {node: access}, {node: mark}, timeout.total_seconds(),
                                              getattr(access, "progress", None), awaited)
        names = ", ".join(sorted(item.pod.split("/", 1)[1] for item in (pending or awaited)))
        if pending:
            raise AssertionError(
                f"plugin did not release within {timeout.total_seconds():g} s the containers it admitted for "
                f"{names} while they were being deleted (no RemoveContainer in its log)")
        logger.info(f"The plugin admitted a container for {names} while the pod was being deleted (the test "
                    f"never saw it Running); released {waited:.2f} s later")

    def _earliest_deletion_mark(self, pods: tuple[str, ...]):
        """The plugin log mark taken just before the earliest deletion of any of ``pods``
        (each pod's own mark, so pods deleted by earlier calls are found too)."""
        marks = [self.ctx.deletion_marks[pod] for pod in pods if pod in self.ctx.deletion_marks]
        if len(marks) < len(pods):
            return None  # a pod deleted by other means: read from the start of the run
        return min(marks, key=lambda taken: taken[0])[1]  # (sequence number, mark)

    # ---- restart ------------------------------------------------------------------------

    @keyword
    def restart_plugin(self, timeout: timedelta = timedelta(minutes=3)) -> list[str]:
        """Restart the plugin (native: the restart command, e.g. ``systemctl restart k3s``;
        DaemonSet: delete its pod) and wait until it logs the sync line, then until the API
        server answers and the node is Ready again (a k3s restart takes the API down for a while),
        all within ``timeout``. Returns the log lines of the restart.

        Example:
        | ${lines} = | Restart Plugin | timeout=3 min |
        """
        access = self.ctx.require_node_access()
        self._restart_mark = access.mark()
        started = time.monotonic()
        self.ctx.requested_plugin_restarts += 1
        result = access.restart_plugin(timeout.total_seconds())
        # when the wait ended on the end-of-sync line, every Synchronize line is already written
        self._sync_complete = any(SYNC_DONE in line for line in result.log_lines)
        logger.info(f"Plugin restarted and synchronized in {result.seconds:.2f} s via {access.describe()}")
        wait_for_api_after_restart(self.ctx, timeout.total_seconds() - (time.monotonic() - started))
        return list(result.log_lines)

    @keyword
    def plugin_should_have_synchronized_pods(self, *pods: str, timeout: timedelta = timedelta(seconds=30)) -> None:
        """The plugin log since the last ``Restart Plugin`` shows the plugin re-recorded every
        container of the pods during Synchronize. Checked at once when the restart wait ended on
        the end-of-sync line; otherwise (``PLUGIN_SYNC_LINE`` set to an earlier line) waited for,
        bounded by ``timeout``.

        Example:
        | Restart Plugin
        | Plugin Should Have Synchronized Pods | integer-a | annotated-a |
        """
        access = self.ctx.require_node_access()
        mark = getattr(self, "_restart_mark", None) or self.ctx.run_mark or access.mark()
        wanted = {pluginlog.short_id(cid): pod for pod in pods for cid in self.ctx.container_ids.get(pod, ())}
        deadline = time.monotonic() + (0 if getattr(self, "_sync_complete", False) else timeout.total_seconds())
        while (missing := set(wanted) - pluginlog.synchronized(access.read_since(mark))):
            if time.monotonic() >= deadline:
                raise AssertionError("plugin did not synchronize: " + ", ".join(
                    f"{wanted[c]} (container {c})" for c in sorted(missing, key=lambda c: wanted[c])))
            time.sleep(POLL_INTERVAL)  # polling the log: a bounded wait on state
        logger.info(f"Plugin synchronized every container of: {', '.join(pods)}")

    # ---- plugin view vs reality ---------------------------------------------------------

    @keyword
    def mark_plugin_log(self, name: str) -> None:
        """Remember where the plugin log ends now under ``name``, for keywords that take
        ``since`` (e.g. ``Plugin Log Should Not Report Corruption``).

        Example:
        | Mark Plugin Log | before-restart |
        | Restart Plugin
        | Plugin Log Should Not Report Corruption | since=before-restart |
        """
        self.ctx.named_marks[name] = self.ctx.require_node_access().mark()

    def _lines_since(self, since: str) -> list[str]:
        access = self.ctx.require_node_access()
        if since == "run":
            mark = self.ctx.run_mark
        elif since in ("step", "test"):
            mark = self.ctx.step_mark
        elif since in self.ctx.named_marks:
            mark = self.ctx.named_marks[since]
        else:
            known = ", ".join(["run", "step", "test", *sorted(self.ctx.named_marks)])
            raise ValueError(f"since '{since}' is not a plugin log mark; expected one of: {known} "
                             "(name a mark with 'Mark Plugin Log' first)")
        return access.read_since(mark or access.mark())

    @keyword
    def plugin_log_should_not_report_corruption(self, since: str = "run") -> None:
        """No ``State corruption`` or ``ownership mismatch`` line in the plugin log since
        ``since``: ``run`` (the connection to the plugin), ``step``/``test`` (the current test
        or step, marked by ``Mark Plugin Log For Step``) or a name given to ``Mark Plugin Log``.
        With ``since=test`` a corruption caused by an earlier test does not fail this one.

        Example:
        | Plugin Log Should Not Report Corruption | since=test |
        """
        bad = pluginlog.corruption_lines(self._lines_since(since))
        if bad:
            raise AssertionError(f"plugin reported state corruption {len(bad)} times since {since}: "
                                 + " | ".join(bad[:5]))

    @keyword
    def plugin_log_of_step_should_not_contain(self, *texts: str) -> None:
        """None of ``texts`` appears in the plugin log written since the step started.

        Example:
        | Plugin Log Of Step Should Not Contain | Conflicts detected | State corruption |
        """
        lines = self.plugin_log_since_step_start()
        found = [line for line in lines if any(text in line for text in texts)]
        if found:
            raise AssertionError(f"plugin log of this step has {len(found)} unexpected lines: " + " | ".join(found[:5]))

    @keyword
    def plugin_should_have_logged_the_annotated_allocations(self, sets: dict) -> None:
        """For each annotated pod (pod -> CPUs it really has), the plugin logged the CPUs it
        admitted it with: ``Recorded annotated container <id> with CPUs [...]`` (upstream FIX and
        later) or ``HandleAnnotatedContainerWithIntegerConflictCheck returning CPUs: [...] for
        annotation: <value>`` (every version), equal to what the container has.

        Example:
        | ${sets} = | Pods Should Have Their Annotated Cpus | annotated-a |
        | Plugin Should Have Logged The Annotated Allocations | ${sets} |
        """
        lines = self._run_lines()
        by_container = pluginlog.grants(lines)
        by_annotation = pluginlog.annotation_grants(lines)
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        rows, problems = [], []
        for pod, cpus in sets.items():
            annotation = view(cluster.get_pod(namespace, pod)).cores_annotation or ""
            said = None
            for cid in self.ctx.container_ids.get(pod, ()):
                said = by_container.get(pluginlog.short_id(cid), said)
            if said is None:
                said = by_annotation.get(annotation)
            rows.append((pod, annotation, format_cpu_list(cpus), "(no line)" if said is None else format_cpu_list(said)))
            if said is None:
                problems.append(f"{pod}: no allocation line for annotation '{annotation}'")
            elif said != frozenset(cpus):
                problems.append(f"{pod}: plugin says {format_cpu_list(said)}, container has {format_cpu_list(cpus)}")
        logger.info(_table(["pod", "annotation", "container has", "plugin says"], rows), html=True)
        if problems:
            raise AssertionError("plugin's log differs from the annotated containers: " + "; ".join(problems))

    @keyword
    def plugin_grants_should_match_pod_cpus(self, sets: dict) -> None:
        """For each pod (pod -> CPUs it really has), what the plugin last said about the pod's
        container agrees with the CPUs the container has: its latest logged grant, or, when it
        last moved the container live (it logs no CPUs for a move), the same CPU count as
        before and none of the CPUs it moved the container off.

        Example:
        | ${sets} = | Get Cpus Of Pods | integer-a | integer-b |
        | Plugin Grants Should Match Pod Cpus | ${sets} |
        """
        words = grantlog.latest_words(self._run_lines())
        rows, problems = [], []
        for pod, cpus in sets.items():
            actual = frozenset(cpus)
            for cid in self.ctx.container_ids.get(pod, ()):
                said = words.get(pluginlog.short_id(cid))
                if said is None:
                    text = "(no line)"
                elif said.moved:
                    text = (f"moved off {format_cpu_list(said.left)}, keeping {len(said.cpus)} CPUs "
                            f"(was {format_cpu_list(said.cpus)})")
                else:
                    text = format_cpu_list(said.cpus)
                rows.append((pod, pluginlog.short_id(cid), format_cpu_list(actual), text))
                if said is None:
                    problems.append(f"{pod}: no allocation line for container {pluginlog.short_id(cid)}")
                elif not said.matches(actual):
                    problems.append(f"{pod}: plugin says {text}, container has {format_cpu_list(actual)}")
        logger.info(_table(["pod", "container", "container has", "plugin says"], rows), html=True)
        if problems:
            raise AssertionError("plugin's view differs from the containers: " + "; ".join(problems))
