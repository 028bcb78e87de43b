"""What the cluster imposed on each wait of a robot run, computed from the latency values of
the simulator's profile and what the run did as output.xml records it; never from the time
the run measured.

The run is replayed on a clock that only the imposed waits advance (``Timeline.clock``): the
library's own work between the waits counts as taking no time. Every action the run logged
(pods created, pods deleted, DaemonSets created, the plugin restarted) is stamped with that
clock, and a wait on a state the cluster reaches ``d`` seconds after such an action imposes
``max(0, stamp + d - clock)``: what is left of ``d`` once the earlier imposed waits have run.
So waits that overlap (pods created together and checked one by one, pods created before
another wait) count once, and the sum of the imposed waits is the shortest time the
procedure could take on this cluster if the library's own work took none.

How the simulator applies each latency (``libraries/nrisim``): the scheduler binds a pod
``schedule`` after it is created; the kubelet waits ``sandbox_start``, then ``image_pull``,
then calls CreateContainer (the plugin answers at once), then the container runs
``container_start`` later and the pod is Ready. Refused CreateContainer calls are retried
after ``backoff(1)``, ``backoff(2)``, ... A deleted pod's containers stop as their command does
on SIGTERM (at once for the test pods' command, else killed at the grace period, at least
``min_kill_grace``) and are removed ``removal_lag`` after that, when the plugin releases their
CPUs. A DaemonSet's pods go through the same scheduler and kubelet. A replaced plugin pod's
process answers nothing for ``plugin_shutdown`` (at most its grace period), then the new
process registers, synchronizes and is Ready ``plugin_restart`` later.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from nrisim.latency import Latencies
from robot.utils import timestr_to_secs

LIBRARY = "CpusetLibrary"
PLUGIN_DAEMONSET = "kube-system/weka-nri-cpuset"
#: what ``Delete Test Namespace`` logs once the plugin released the deleted pods' containers
RELEASED_ALL = "The plugin released all"
#: the grace period the simulated API server gives a plugin pod deleted without one (its
#: ``terminationGracePeriodSeconds``); only ``plugin_shutdown`` longer than it is cut short
PLUGIN_POD_GRACE = 30.0

GRACE_RE = re.compile(r"Deleted together \(grace (\d+) s\): (.*)")
CREATED_RE = re.compile(r"Created together: (?!DaemonSets )(.*)")
DS_CREATED_RE = re.compile(r"Created together: DaemonSets (.*)")
RESTARTED_RE = re.compile(r"DaemonSet (\S+) restarted at ")
READY_RE = re.compile(r"Ready in [\d.]+ s: (.*)")
SUCCEEDED_RE = re.compile(r"Succeeded in [\d.]+ s: (.*)")
REFUSED_RE = re.compile(r"Plugin refused pod (\S+) (\d+) times")
DAEMONSETS_DELETED = "Deleted DaemonSets (no pod of theirs is recreated)"
RELEASED_RE = re.compile(r"Plugin released \d+ containers of (.*); release latency")
ASSIGN_RE = re.compile(r"(\$\{\w+\}) = (.*)", re.S)
BODY_NAME_RE = re.compile(r"'metadata': \{'name': '([^']+)'")
VARIABLE_RE = re.compile(r"\$\{(\w+)\}")
TOPOLOGY_PROBE = "node-topology-probe"

START_HOW = "schedule + sandbox_start + image_pull + container_start"
CREATE_HOW = "schedule + sandbox_start + image_pull"


# ---- walking output.xml -------------------------------------------------------------------


@dataclass
class KeywordRecord:
    where: str  # test name, or "suite setup" / "suite teardown"
    name: str
    start: datetime
    end: datetime
    status: str
    messages: list[str] = field(default_factory=list)
    owner: str = ""  # the library or resource file the keyword comes from; "" for a VAR
    args: tuple[str, ...] = ()
    kind: str = "KEYWORD"  # or "VAR" (a ``VAR`` statement: name is the variable)

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def keywords(result) -> list[KeywordRecord]:
    """Every keyword and ``VAR`` statement run, in order, with where it ran and its own
    messages. ``result``: a ``robot.api.ExecutionResult``."""
    out: list[KeywordRecord] = []

    def walk(items, where: str) -> None:
        for child in items:
            kind = getattr(child, "type", "")
            if kind in ("KEYWORD", "SETUP", "TEARDOWN", "VAR"):
                msgs = [m.message for m in child.body if getattr(m, "type", "") == "MESSAGE"]
                out.append(KeywordRecord(where, child.name, child.start_time, child.end_time, child.status, msgs,
                                         getattr(child, "owner", "") or "",
                                         tuple(map(str, child.args)) if kind != "VAR" else (),
                                         "VAR" if kind == "VAR" else "KEYWORD"))
            walk(getattr(child, "body", ()), where)

    suite = result.suite
    for s in [suite, *suite.suites]:
        walk([s.setup] if s.setup else [], "suite setup")
        for test in s.tests:
            walk([test.setup] if test.setup else [], test.name)
            walk(test.body, test.name)
            walk([test.teardown] if test.teardown else [], test.name)
        walk([s.teardown] if s.teardown else [], "suite teardown")
    return out


# ---- the pods' commands ---------------------------------------------------------------------


def default_command() -> list[str]:
    """The command of every test pod the run does not give one (the manifests' and ``Pod Body``'s)."""
    from CpusetLibrary.manifests import TEST_POD_COMMAND
    return list(TEST_POD_COMMAND)


def process_of(command: list[str] | None):
    """The simulated kubelet's model of what ``command`` does over time."""
    from nrisim.node.process import model_command
    return model_command(command if command is not None else default_command(), None)


def test_pods_stop_on_sigterm() -> bool:
    """Whether the test pods' command (the one every manifest and ``Pod Body`` use) stops at once
    on SIGTERM, as the simulated kubelet decides it from the command line."""
    return process_of(None).on_term == "exit"


def start_time(lat: Latencies) -> float:
    return lat.schedule + lat.sandbox_start + lat.image_pull + lat.container_start


def create_time(lat: Latencies) -> float:
    """Pod created -> the kubelet's first CreateContainer (where the plugin refuses or moves)."""
    return lat.schedule + lat.sandbox_start + lat.image_pull


def stop_time(lat: Latencies, grace: float, command: list[str] | None = None, ran: float = 0.0) -> float:
    """Container stop as the simulated kubelet does it: SIGTERM; the command's model says when it
    is gone given ``ran`` seconds of run time (at once for one that honours SIGTERM; one that
    ignores it is killed at the grace period, at least ``min_kill_grace``, or ends by itself
    before); a kill waits at most ``container_stop``."""
    from nrisim.node.process import KILLED
    process = process_of(command)
    after, code = process.stop_after(ran, max(float(grace), lat.min_kill_grace))
    if code == KILLED or (process.on_term == "ignore" and after > 0):
        after = min(after, lat.container_stop)
    return after


def stop_how() -> str:
    return ("stop: the test pods exit on SIGTERM" if test_pods_stop_on_sigterm()
            else "min(container_stop, max(grace, min_kill_grace))")


# ---- the replayed run -------------------------------------------------------------------------


class Imposed(NamedTuple):
    seconds: float
    how: str
    by_test: float = 0.0  # the part of ``seconds`` the test chose (a duration it watches)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


@dataclass
class Timeline:
    """The run's actions on a clock that only the imposed waits advance (see the module doc)."""

    lat: Latencies
    clock: float = 0.0
    created: dict[str, float] = field(default_factory=dict)  # pod -> clock at its creation
    last_created: float | None = None
    deleted: dict[str, tuple[float, int]] = field(default_factory=dict)  # pod -> (clock, grace)
    last_deleted: tuple[float, int] | None = None
    ds_created: float | None = None  # the last DaemonSets created together
    restarted: tuple[str, float] | None = None  # a DaemonSet rollout restart not yet waited for
    plugin_replaced: float | None = None  # plugin pod deleted or restarted: the new one not yet waited for
    plugin_restarted: float | None = None  # the last time a new plugin process was started
    variables: dict[str, str] = field(default_factory=dict)
    commands: dict[str, list[str] | None] = field(default_factory=dict)  # pod -> its command (None: default)

    # -- what the run did ---------------------------------------------------------------
    def observe(self, record: KeywordRecord) -> None:
        """Stamp what the record did (creations, deletions, restarts, variables) with the clock."""
        if record.kind == "VAR":
            for message in record.messages:
                if m := ASSIGN_RE.fullmatch(message):
                    self.variables[m.group(1)] = m.group(2)
            return
        if record.owner != LIBRARY:
            return
        if record.name == "Pod Body":
            self._pod_body(record)
        for message in record.messages:
            if m := CREATED_RE.match(message):
                for name in _names(m.group(1)):
                    self.created[name] = self.clock
                self.last_created = self.clock
            elif m := GRACE_RE.match(message):
                grace = int(m.group(1))
                for name in _names(m.group(2)):
                    self.deleted[name] = (self.clock, grace)
                self.last_deleted = (self.clock, grace)
            elif DS_CREATED_RE.match(message):
                self.ds_created = self.clock
            elif m := RESTARTED_RE.match(message):
                self.restarted = (m.group(1), self.clock)
                if m.group(1) == PLUGIN_DAEMONSET:
                    self.plugin_restarted = self.clock
            elif message.startswith("Deleted plugin pod "):
                self.plugin_replaced = self.clock
                self.plugin_restarted = self.clock

    def _pod_body(self, record: KeywordRecord) -> None:
        name = next((m.group(1) for msg in record.messages if (m := BODY_NAME_RE.search(msg))), None)
        if name is None:
            return
        command: list[str] | None = None
        for arg in record.args:
            if arg.startswith("command="):
                text = self._resolve(arg.split("=", 1)[1])
                command = ["sh", "-c", text] if text is not None else ["<unresolved>", arg]
        self.commands[name] = command

    def _resolve(self, text: str) -> str | None:
        """``text`` with ``${name}`` replaced by the values the run's ``VAR`` statements logged;
        None when one is not known (a keyword argument or a suite variable)."""
        unknown = [v for v in VARIABLE_RE.findall(text) if f"${{{v}}}" not in self.variables]
        if unknown:
            return None
        return VARIABLE_RE.sub(lambda m: self.variables[m.group(0)], text)

    # -- helpers for the rules ---------------------------------------------------------------
    def left(self, due: float) -> float:
        """What is left to wait of a state the cluster reaches at ``due``."""
        return max(0.0, due - self.clock)

    def creation(self, record: KeywordRecord, names: list[str]) -> float:
        missing = [n for n in names if n not in self.created]
        if missing:
            raise ValueError(f"{record.where}: '{record.name}' waits on {', '.join(missing)}, whose creation "
                             "output.xml does not show (no 'Created together' message before it)")
        return max(self.created[n] for n in names)

    def command_of(self, record: KeywordRecord, name: str) -> list[str] | None:
        command = self.commands.get(name)
        if command is not None and command[0] == "<unresolved>":
            raise ValueError(f"{record.where}: pod {name} was given {command[1]}, whose value output.xml "
                             "does not show (only VAR statements' values are logged)")
        return command

    def run_time_at(self, name: str, at: float) -> float:
        """How long the pod's container had run at clock ``at`` (0 before it started)."""
        started = self.created.get(name, at) + start_time(self.lat)
        return max(0.0, at - started)

    def release_due(self, record: KeywordRecord, names: list[str]) -> float:
        dues = []
        for name in names:
            if name not in self.deleted:
                raise ValueError(f"{record.where}: '{record.name}' waits for the release of {name}, whose "
                                 "deletion output.xml does not show (no 'Deleted together' message before it)")
            at, grace = self.deleted[name]
            stop = stop_time(self.lat, grace, self.command_of(record, name), self.run_time_at(name, at))
            dues.append(at + stop + self.lat.removal_lag)
        return max(dues)


# ---- the rules, one per library keyword that waits on the cluster ----------------------------------


def _arg(record: KeywordRecord, name: str, default: str) -> str:
    for arg in record.args:
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return default


def _message(record: KeywordRecord, pattern: re.Pattern) -> re.Match:
    for message in record.messages:
        if m := pattern.search(message):
            return m
    raise ValueError(f"{record.where}: '{record.name}' logged no message matching '{pattern.pattern}', "
                     "which its imposed wait is computed from")


def _ready(record: KeywordRecord, t: Timeline) -> Imposed:
    names = _names(_message(record, READY_RE).group(1))
    return Imposed(t.left(t.creation(record, names) + start_time(t.lat)), START_HOW + " after the creation")


def _ready_despite_errors(record: KeywordRecord, t: Timeline) -> Imposed:
    if t.last_created is None:
        raise ValueError(f"{record.where}: '{record.name}' with no pod created before it")
    return Imposed(t.left(t.last_created + start_time(t.lat)), START_HOW + " after the last creation")


def _gone(record: KeywordRecord, t: Timeline) -> Imposed:
    if t.last_deleted is None:
        raise ValueError(f"{record.where}: a pod wait with no 'Deleted together (grace N s)' before it")
    at, grace = t.last_deleted
    return Imposed(t.left(at + stop_time(t.lat, grace)), f"{stop_how()} (grace {grace} s)")


def _released(record: KeywordRecord, t: Timeline) -> Imposed:
    names = _names(_message(record, RELEASED_RE).group(1))
    return Imposed(t.left(t.release_due(record, names)), "stop + removal_lag after the deletion "
                                                         "(RemoveContainer comes after the stop)")


def _succeeded(record: KeywordRecord, t: Timeline) -> Imposed:
    names = [part.split(": ", 1)[0].strip() for part in _message(record, SUCCEEDED_RE).group(1).split("; ")]
    dues = [t.creation(record, [n]) + start_time(t.lat) + process_of(t.command_of(record, n)).duration
            for n in names]
    return Imposed(t.left(max(dues)), START_HOW + " + the command's run time (its model in the kubelet)")


def _stay_refused(record: KeywordRecord, t: Timeline) -> Imposed:
    m = _message(record, REFUSED_RE)
    name, refusals = m.group(1), int(m.group(2))
    first = t.creation(record, [name]) + create_time(t.lat)
    retries = sum(t.lat.backoff(i) for i in range(1, refusals))
    imposed = t.left(first + retries)
    return Imposed(imposed, f"{CREATE_HOW} + backoff(1..{refusals - 1}): the kubelet's retries of the "
                            f"{refusals} refusals the test watches", by_test=min(imposed, retries))


def _refused_by_plugin(record: KeywordRecord, t: Timeline) -> Imposed:
    if t.last_created is None:
        raise ValueError(f"{record.where}: '{record.name}' with no pod created before it")
    return Imposed(t.left(t.last_created + create_time(t.lat)), CREATE_HOW)


def _refused_genuinely(record: KeywordRecord, t: Timeline) -> Imposed:
    if t.last_created is None:
        raise ValueError(f"{record.where}: '{record.name}' with no pod created before it")
    text = " ".join(record.messages)
    if "Insufficient cpu" in text or "FailedScheduling" in text:
        return Imposed(t.left(t.last_created + t.lat.schedule), "schedule (refused by the scheduler)")
    return Imposed(t.left(t.last_created + create_time(t.lat)), CREATE_HOW + " (refused by the plugin)")


def _leave_cpus(record: KeywordRecord, t: Timeline) -> Imposed:
    if t.last_created is None:
        raise ValueError(f"{record.where}: '{record.name}' with no pod created before it")
    # the live update is queued at the annotated container's CreateContainer
    return Imposed(t.left(t.last_created + create_time(t.lat) + t.lat.update_apply),
                   CREATE_HOW + " + update_apply after the annotated pod's creation")


def _restart_plugin(record: KeywordRecord, t: Timeline) -> Imposed:
    t.plugin_restarted = t.clock
    return Imposed(t.lat.plugin_restart, "plugin_restart")


def _plugin_pod_ready(record: KeywordRecord, t: Timeline) -> Imposed:
    if t.plugin_replaced is None:
        return Imposed(0.0, "the plugin pod was Ready (not replaced)")
    due = t.plugin_replaced + min(t.lat.plugin_shutdown, PLUGIN_POD_GRACE) + t.lat.plugin_restart
    t.plugin_replaced = None
    return Imposed(t.left(due), "min(plugin_shutdown, grace) + plugin_restart after the plugin pod's deletion")


def _daemonsets_ready(record: KeywordRecord, t: Timeline) -> Imposed:
    if t.restarted is not None and (t.ds_created is None or t.ds_created <= t.restarted[1]):
        name, at = t.restarted
        t.restarted = None
        if name != PLUGIN_DAEMONSET:
            raise ValueError(f"{record.where}: no rule for the rolling restart of DaemonSet {name} "
                             "(one node at a time)")
        return Imposed(t.left(at + min(t.lat.plugin_shutdown, PLUGIN_POD_GRACE) + t.lat.plugin_restart),
                       "rollout restart of the plugin: min(plugin_shutdown, grace) + plugin_restart "
                       "(every node at once: maxUnavailable 100%)")
    if t.ds_created is None:
        raise ValueError(f"{record.where}: '{record.name}' with no DaemonSet created or restarted before it")
    return Imposed(t.left(t.ds_created + start_time(t.lat)), START_HOW + " after the DaemonSets' creation")


def _plugins_synchronized(record: KeywordRecord, t: Timeline) -> Imposed:
    if t.plugin_restarted is None:
        return Imposed(0.0, "no plugin restarted")
    due = t.plugin_restarted + min(t.lat.plugin_shutdown, PLUGIN_POD_GRACE) + t.lat.plugin_restart
    return Imposed(t.left(due), "the new plugins synchronize when they register: plugin_restart after the restart")


def _daemonsets_released(record: KeywordRecord, t: Timeline) -> Imposed:
    if not test_pods_stop_on_sigterm():
        raise ValueError(f"{record.where}: no rule for DaemonSet pods that ignore SIGTERM (their grace period "
                         "is not in output.xml)")
    return Imposed(t.lat.removal_lag, f"{stop_how()} + removal_lag")


def _stay_ready(record: KeywordRecord, t: Timeline) -> Imposed:
    seconds = timestr_to_secs(record.args[1] if len(record.args) > 1 and "=" not in record.args[1]
                              else _arg(record, "duration", "5 s"))
    return Imposed(seconds, "the duration the test watches", by_test=seconds)


def _clean_up(record: KeywordRecord, t: Timeline) -> Imposed:
    grace = [int(m.group(1)) for msg in record.messages if (m := GRACE_RE.search(msg))]
    if not grace:
        return Imposed(0.0, "no pod to clean up")
    return Imposed(stop_time(t.lat, grace[-1]) + t.lat.removal_lag, f"{stop_how()} + removal_lag")


def _reserved_probe(record: KeywordRecord, t: Timeline) -> Imposed:
    started = "shared CPU pool is empty" not in " ".join(record.messages)
    lat = t.lat
    return Imposed((start_time(lat) if started else create_time(lat)) + stop_time(lat, 0)
                   + (lat.removal_lag if started else 0.0),
                   f"probe: {START_HOW if started else 'refusal'}, stop, removal_lag")


def _delete_namespace(record: KeywordRecord, t: Timeline) -> Imposed:
    # the keyword deletes the pods still there with the step grace period, then the namespace
    grace = [int(m.group(1)) for msg in record.messages if (m := GRACE_RE.search(msg))]
    released = any(RELEASED_ALL in msg for msg in record.messages)
    if not grace:
        if released and any(DAEMONSETS_DELETED in msg for msg in record.messages):
            # the DaemonSets' deletion deleted their pods (the garbage collector), then the release
            if not test_pods_stop_on_sigterm():
                raise ValueError(f"{record.where}: no rule for DaemonSet pods that ignore SIGTERM (their grace "
                                 "period is not in output.xml)")
            return Imposed(t.lat.removal_lag, f"the DaemonSets' pods: {stop_how()} + removal_lag (release)")
        return Imposed(0.0, "no pod left to stop")
    # then it waits until the plugin has released the pods' containers (removal_lag after the stop)
    return Imposed(stop_time(t.lat, grace[-1]) + (t.lat.removal_lag if released else 0.0),
                   f"{stop_how()} (grace {grace[-1]} s)" + (" + removal_lag (release)" if released else ""))


def _log_line(record: KeywordRecord, t: Timeline) -> Imposed:
    return Imposed(0.0, "the line is written when the plugin handles the call an earlier wait saw")


def _topology_probe(record: KeywordRecord, t: Timeline) -> Imposed:
    return Imposed(start_time(t.lat) + stop_time(t.lat, 0) + t.lat.removal_lag,
                   f"topology probe pod: {START_HOW}, stop (grace 0), removal_lag (its release)")


RULES = {
    "Wait Until Pods Are Ready": _ready,
    "Wait Until Pods Are Ready Despite Errors": _ready_despite_errors,
    "Wait Until Pods Are Gone": _gone,
    "Wait Until Plugin Has Released Pods": _released,
    "Wait Until Plugin Has Released Pods Without Restarting": _released,
    "Wait Until Pods Have Succeeded": _succeeded,
    "Pod Should Stay Refused By The Plugin": _stay_refused,
    "Pod Should Be Refused By The Plugin": _refused_by_plugin,
    "Pod Should Be Refused Genuinely": _refused_genuinely,
    "Wait Until Pods Leave Cpus": _leave_cpus,
    "Restart Plugin": _restart_plugin,
    "Wait Until Plugin Pod Is Ready": _plugin_pod_ready,
    "Wait Until Daemonsets Are Ready": _daemonsets_ready,
    "Wait Until Plugins Have Synchronized": _plugins_synchronized,
    "Delete Daemonsets And Wait Released": _daemonsets_released,
    "Pod Should Stay Ready": _stay_ready,
    "Clean Up Test Pods": _clean_up,
    "Cpus Reserved For No Pod": _reserved_probe,
    "Delete Test Namespace": _delete_namespace,
    "Plugin Log Should Have Line Matching": _log_line,
}


def imposed_wait(record: KeywordRecord, timeline: Timeline) -> Imposed | None:
    """Seconds the cluster imposes on this library keyword, how that figure was found and what
    part of it the test chose; None for a keyword that does not wait on the cluster.

    Pods are started and stopped concurrently by the kubelet, so a wait on many pods costs
    what one pod costs. Every pod of the procedures has one container."""
    if record.kind != "KEYWORD" or record.owner != LIBRARY or record.status not in ("PASS", "FAIL"):
        return None  # NOT RUN: an IF branch not taken
    rule = RULES.get(record.name)
    if rule is not None:
        return rule(record, timeline)
    if any(m.startswith(f"Created together: {TOPOLOGY_PROBE}") for m in record.messages):
        return _topology_probe(record, timeline)
    return None


def imposed_table(records: list[KeywordRecord], lat: Latencies) -> list[tuple[KeywordRecord, Imposed]]:
    """Every wait of the run with what the cluster imposed on it, the run replayed in order."""
    timeline = Timeline(lat)
    rows = []
    for record in records:
        if record.status not in ("PASS", "FAIL"):
            continue
        found = imposed_wait(record, timeline)
        timeline.observe(record)
        if found is not None:
            rows.append((record, found))
            timeline.clock += found.seconds
    return rows
