"""Reading the plugin's own words: its log lines and the refusals it returns to containerd.

Formats follow the plugin at upstream HEAD: log lines as its native wrapper writes them
(``[YYYY-MM-DD HH:MM:SS] `` prefix, Go slices as ``[1 2 3]``, mostly 12-character container ids)."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_TIMESTAMP = re.compile(r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] ")
_INSUFFICIENT = re.compile(
    r"insufficient free CPUs: need (?P<need>\d+), have (?P<have>\d+)"
    r"(?: \(reserved: \[(?P<reserved>[\d ]*)\]\))?"
)
_GO_SLICE = r"\[(?P<cpus>[\d ]*)\]"
_INTEGER_GRANT = re.compile(
    r"DEBUG: Successfully allocated integer container (?P<cid>[0-9a-f]{12,64}) with CPUs:? " + _GO_SLICE
)
_INTEGER_RECORD_PRE = re.compile(  # upstream PRE (7132bc2) only, full id
    r"DEBUG: Recorded integer container (?P<cid>[0-9a-f]{12,64}) with CPUs " + _GO_SLICE
)
_ANNOTATED_RECORD = re.compile(
    r"DEBUG: Recorded annotated container (?P<cid>[0-9a-f]{12,64}) with CPUs " + _GO_SLICE
)
_REMOVING = re.compile(r"Removing container (?P<name>\S+) from pod (?P<pod>\S+/\S+)$")
_CREATE_CALLED = re.compile(  # from the fix on; names the pod, not the container
    r"DEBUG: CreateContainer called for \S+ container (?P<pod>\S+/\S+) \(container (?P<cid>[0-9a-f]{12,64})\)"
)
_SYNC_INTEGER = re.compile(
    r"DEBUG: Synchronizing integer container (?P<cid>[0-9a-f]{12,64}) with existing CPUs " + _GO_SLICE
)
_SYNC_ANNOTATED = re.compile(
    r"DEBUG: Adding CPU restriction update for annotated container (?P<cid>[0-9a-f]{12,64})"
)
CORRUPTION_MARKERS = ("State corruption", "ownership mismatch")


#: the lines that decide a verdict: admissions, refusals, releases, resynchronization, moves
DECISIVE = re.compile(
    r"Successfully allocated integer container|Recorded (?:annotated|integer) container|"
    r"HandleAnnotatedContainerWithIntegerConflictCheck returning|insufficient free CPUs|"
    r"Removing container|RemoveContainer \S+ complete|Synchronizing integer container|"
    r"Adding CPU restriction update|Conflicts detected|cannot reallocate|Successfully planned reallocation|"
    r"invalid CPU list|State corruption|ownership mismatch|ERROR"
)


def is_decisive(line: str) -> bool:
    return DECISIVE.search(line) is not None


def strip_timestamp(line: str) -> str:
    """Drop the native wrapper's ``[YYYY-MM-DD HH:MM:SS] `` prefix."""
    return _TIMESTAMP.sub("", line, count=1)


def short_id(container_id: str) -> str:
    """The 12-character id most plugin lines print."""
    return container_id[:12]


def _cpus(text: str) -> frozenset[int]:
    return frozenset(int(t) for t in text.split())


@dataclass(frozen=True)
class Refusal:
    """An ``insufficient free CPUs`` refusal: what the plugin believes."""

    need: int
    have: int
    reserved: frozenset[int] | None


def parse_refusal(message: str) -> Refusal | None:
    match = _INSUFFICIENT.search(message or "")
    if not match:
        return None
    reserved = match.group("reserved")
    return Refusal(int(match.group("need")), int(match.group("have")),
                   _cpus(reserved) if reserved is not None else None)


def grants(lines: list[str]) -> dict[str, frozenset[int]]:
    """Latest CPUs the plugin says it gave each container (short id -> CPUs), from admission
    and synchronization lines."""
    found: dict[str, frozenset[int]] = {}
    for line in lines:
        for pattern in (_INTEGER_GRANT, _INTEGER_RECORD_PRE, _ANNOTATED_RECORD, _SYNC_INTEGER):
            match = pattern.search(line)
            if match:
                found[short_id(match.group("cid"))] = _cpus(match.group("cpus"))
    return found


_ANNOTATION_RETURN = re.compile(  # PRE and HEAD, direct admission path; names no container
    r"DEBUG: HandleAnnotatedContainerWithIntegerConflictCheck returning CPUs: " + _GO_SLICE
    + r" for annotation: (?P<annotation>\S*)"
)


def annotation_grants(lines: list[str]) -> dict[str, frozenset[int]]:
    """CPUs the plugin said it returns for each annotation value (latest line wins)."""
    found: dict[str, frozenset[int]] = {}
    for line in lines:
        match = _ANNOTATION_RETURN.search(line)
        if match:
            found[match.group("annotation")] = _cpus(match.group("cpus"))
    return found


def removed_pod_containers(lines: list[str]) -> set[tuple[str, str]]:
    """``(namespace/pod, container name)`` of every RemoveContainer the plugin handled. Every
    plugin version logs this line (upstream PRE has no per-id line), and NRI serialises hooks,
    so once it is written no later admission can see the container's CPUs reserved."""
    found = set()
    for line in lines:
        match = _REMOVING.search(strip_timestamp(line).rstrip())
        if match:
            found.add((match.group("pod"), match.group("name")))
    return found


def reserving_admissions(lines: list[str]) -> Counter[str]:
    """``namespace/pod`` -> how many of its containers the plugin admitted with CPUs it
    reserves (an annotated record or an integer grant of a container whose create line names
    the pod). Plugin versions before the fix do not name the pod at create: nothing is found."""
    return Counter(reserving_admitted_ids(lines).values())


def reserving_admitted_ids(lines: list[str]) -> dict[str, str]:
    """Short id -> ``namespace/pod`` of every container counted by ``reserving_admissions``."""
    pod_of: dict[str, str] = {}
    admitted: dict[str, str] = {}
    for line in lines:
        match = _CREATE_CALLED.search(line)
        if match:
            pod_of[short_id(match.group("cid"))] = match.group("pod")
            continue
        for pattern in (_INTEGER_GRANT, _ANNOTATED_RECORD):
            match = pattern.search(line)
            if match and short_id(match.group("cid")) in pod_of:
                admitted[short_id(match.group("cid"))] = pod_of[short_id(match.group("cid"))]
    return admitted


_REMOVE_BY_ID = re.compile(r"DEBUG: RemoveContainer (?:called for unknown container )?(?P<cid>[0-9a-f]{12,64})\b")


def removed_ids(lines: list[str]) -> set[str]:
    """Short ids named by the plugin's per-container RemoveContainer debug lines (from the fix on)."""
    return {short_id(match.group("cid")) for line in lines if (match := _REMOVE_BY_ID.search(line))}


def removals_per_pod(lines: list[str]) -> Counter[str]:
    """``namespace/pod`` -> how many RemoveContainer calls the plugin handled for it."""
    found: Counter[str] = Counter()
    for line in lines:
        match = _REMOVING.search(strip_timestamp(line).rstrip())
        if match:
            found[match.group("pod")] += 1
    return found


def admitted_not_removed(lines: list[str], pods: set[str]) -> set[str]:
    """The pods (``namespace/name``) of ``pods`` with a container the plugin, since its last
    start in ``lines``, admitted with reserved CPUs and has not removed yet (matched by id; by
    a per-pod count when the build logs no per-container removal lines)."""
    lines = since_last_start(lines)
    removed_by_id = removed_ids(lines)
    if removed_by_id:  # per container: a pod's other (shared) container's removal does not count
        return {pod for cid, pod in reserving_admitted_ids(lines).items() if pod in pods and cid not in removed_by_id}
    admitted = reserving_admissions(lines)  # a build without the debug lines: counted per pod
    removed = removals_per_pod(lines)
    return {pod for pod in pods if admitted[pod] > removed[pod]}


def last_start(lines: list[str]) -> int | None:
    """Index of the last ``Synchronizing state with`` line (the plugin (re)started), or None."""
    for index in range(len(lines) - 1, -1, -1):
        if SYNC_START in lines[index]:
            return index
    return None


def since_last_start(lines: list[str]) -> list[str]:
    """The lines from the plugin's last (re)start on: what it recorded before that is not in
    its state any more (all of ``lines`` when it did not restart in them)."""
    start = last_start(lines)
    return lines if start is None else lines[start:]


def synchronized(lines: list[str]) -> set[str]:
    """Short ids of containers the plugin re-recorded during Synchronize."""
    ids = set()
    for line in lines:
        match = _SYNC_INTEGER.search(line) or _SYNC_ANNOTATED.search(line)
        if match:
            ids.add(short_id(match.group("cid")))
    return ids


def corruption_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if any(marker in line for marker in CORRUPTION_MARKERS)]


def decisive_lines(lines: list[str], marks: list[str]) -> list[str]:
    """The lines that decide a verdict about the run's containers (lines containing one of
    ``marks``: container ids, ``namespace/pod``), plus every error and corruption line."""
    return [line for line in lines if is_decisive(line)
            and (any(m in line for m in marks) or "ERROR" in line or "corruption" in line
                 or "mismatch" in line)]


# ---- the plugin's own view of what it reserves ------------------------------------------

_SNAPSHOT = re.compile(r"DEBUG: Memory state - reserved: " + _GO_SLICE)  # annotRef ∪ intOwner
_SNAPSHOT_SPLIT = re.compile(
    r"DEBUG: Memory state - integer reserved: \[(?P<integer>[\d ]*)\], annotated reserved: \[(?P<annotated>[\d ]*)\]"
)
_RELEASED_CPU = re.compile(r"DEBUG: Released (?:annotated|integer) CPU (?P<cpu>\d+) from container (?P<cid>[0-9a-f]{12,64})")
_REMOVE_DONE = re.compile(r"DEBUG: RemoveContainer (?P<cid>[0-9a-f]{12,64}) complete")
SYNC_START = "Synchronizing state with"
_GRANTS = (_INTEGER_GRANT, _INTEGER_RECORD_PRE, _ANNOTATED_RECORD, _SYNC_INTEGER)


@dataclass(frozen=True)
class PluginReservation:
    """What the plugin's log says it reserves now.

    ``by_container``: CPUs granted or recorded per container (short id) and not released since;
    ``snapshot``: the last reserved set the plugin printed itself (``Memory state - reserved``),
    brought up to date with the grants and releases logged after it (None when it printed none).
    """

    by_container: dict[str, frozenset[int]]
    snapshot: frozenset[int] | None

    @property
    def cpus(self) -> frozenset[int]:
        return frozenset().union(self.snapshot or frozenset(), *self.by_container.values())


def plugin_reservation(lines: list[str]) -> PluginReservation:
    """Replay the log: grants and records add a container's CPUs, per-CPU releases and
    ``RemoveContainer <id> complete`` take them away, a printed reserved set replaces the
    picture, and Synchronize starts it again from nothing (the plugin rebuilds its state).

    A plugin that logs a release but keeps the CPUs booked (a leak) shows them again in its
    next printed reserved set, which is why both views are kept."""
    by_container: dict[str, set[int]] = {}
    snapshot: set[int] | None = None
    for raw in lines:
        line = strip_timestamp(raw)
        if SYNC_START in line:
            by_container, snapshot = {}, None
            continue
        match = _SNAPSHOT.search(line)
        if match:
            snapshot = set(_cpus(match.group("cpus")))
            continue
        match = _SNAPSHOT_SPLIT.search(line)
        if match:
            snapshot = set(_cpus(match.group("integer"))) | set(_cpus(match.group("annotated")))
            continue
        for pattern in _GRANTS:
            match = pattern.search(line)
            if match:
                cpus = set(_cpus(match.group("cpus")))
                by_container[short_id(match.group("cid"))] = cpus
                if snapshot is not None:
                    snapshot |= cpus
                break
        else:
            match = _RELEASED_CPU.search(line)
            if match:
                cpu, cid = int(match.group("cpu")), short_id(match.group("cid"))
                by_container.get(cid, set()).discard(cpu)
                if snapshot is not None and not any(cpu in cpus for cpus in by_container.values()):
                    snapshot.discard(cpu)  # an annotated CPU stays booked while another holder has it
                continue
            match = _REMOVE_DONE.search(line)
            if match:
                by_container.pop(short_id(match.group("cid")), None)
    return PluginReservation({cid: frozenset(c) for cid, c in by_container.items() if c},
                             None if snapshot is None else frozenset(snapshot))
