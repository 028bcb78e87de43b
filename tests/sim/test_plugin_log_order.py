"""CPU lists in log lines are printed in upstream's order (HEAD ``645b11f``).

A slice printed with ``%v`` before ``numa.FormatCPUList`` / ``formatCPUListCommaSeparated``
keeps its order (annotation order, allocator order); both formatters sort their argument in
place, so the same slice printed or recorded after them is ascending."""
from __future__ import annotations

from nrisim.plugin.head import HeadModel
from nrisim.topology import Topology

from plugin_fakes import annotated, integer, start


def _index(lines: list[str], fragment: str) -> int:
    return next(i for i, line in enumerate(lines) if fragment in line)


def test_annotated_direct_path_prints_annotation_order_then_sorted():
    h = start(HeadModel, Topology(16, 2, 1))
    info = annotated("5,1,3")
    h.model.create_container(info)
    sid = info.container_id[:12]
    assert "DEBUG: HandleAnnotatedContainerWithIntegerConflictCheck returning CPUs: [5 1 3] for annotation: 5,1,3" \
        in h.lines
    assert "DEBUG: createAnnotatedAdjustment received CPUs: [1 3 5], formatted as: 1,3,5 (comma-separated)" in h.lines
    assert f"DEBUG: Recorded annotated container {sid} with CPUs [1 3 5]" in h.lines


def test_integer_no_ht_records_cpu_zero_last_then_sorted_after_formatting():
    h = start(HeadModel, Topology(4, 1, 1))
    blocker = integer(2, "blocker")
    h.model.create_container(blocker)  # 1,2 (CPU 0 avoided)
    info = integer(2)
    adj = h.model.create_container(info)  # 3 then 0: selectAvoidingCPUZero puts 0 last
    sid = info.container_id[:12]
    assert adj.cpus == "0,3"
    assert f"DEBUG: StatelessAllocateInteger - recorded container {sid} in state with CPUs [3 0]" in h.lines
    assert f"DEBUG: Successfully allocated integer container {sid} with CPUs [0 3]" in h.lines
    h.model.remove_container(info)
    assert any(line.startswith(f"DEBUG: RemoveContainer {sid} mode=integer CPUs=[0 3]") for line in h.lines)
    released = [line for line in h.lines if line.startswith("DEBUG: Released integer CPU")]
    assert released == [f"DEBUG: Released integer CPU 0 from container {sid}",
                        f"DEBUG: Released integer CPU 3 from container {sid}"]


def test_reallocation_walks_requested_cpus_in_annotation_order():
    h = start(HeadModel, Topology(16, 2, 1))
    a = integer(2, "a", container_id="a" * 64)
    b = integer(2, "b", container_id="b" * 64)
    h.model.create_container(a)  # 1,9
    h.model.create_container(b)  # 2,10
    info = annotated("10,1")
    adj = h.model.create_container(info)
    first = _index(h.lines, f"Found conflicting integer container {b.container_id[:12]} on CPU 10")
    second = _index(h.lines, f"Found conflicting integer container {a.container_id[:12]} on CPU 1")
    assert first < second
    assert adj.cpus == "1,10"
    assert f"DEBUG: Recorded annotated container {info.container_id[:12]} with CPUs [1 10]" in h.lines


def test_synchronize_prints_annotation_order_then_the_sorted_update():
    existing = annotated("7,2", current_cpus="2,7")
    h = start(HeadModel, Topology(16, 2, 1), existing=[existing])
    sid = existing.container_id[:12]
    assert "DEBUG: HandleAnnotatedContainerWithIntegerConflictCheck returning CPUs: [7 2] for annotation: 7,2" \
        in h.lines
    assert f"DEBUG: Adding CPU restriction update for annotated container {sid}: [2 7]" in h.lines
    assert h.model.snapshot().cpus_of(existing.container_id) == (2, 7)


def test_synchronize_integer_reallocated_on_no_ht_node_prints_allocator_order_then_sorted():
    # 6 CPUs, no hyper-threading: an integer container found on annotated CPUs is moved to the
    # free 0,3,5, which the allocator returns with CPU 0 last
    ann = annotated("1,2,4", current_cpus="1-2,4")
    moved = integer(3, "moved", current_cpus="1-3", container_id="c" * 64)
    h = start(HeadModel, Topology(6, 1, 1), existing=[ann, moved])
    cid = moved.container_id
    assert (f"DEBUG: Successfully reallocated integer container {cid} from [1 2 3] to [3 5 0] during sync"
            in h.lines)
    assert f"DEBUG: Adding CPU restriction update for integer container {cid[:12]}: [0 3 5]" in h.lines
    assert h.model.snapshot().cpus_of(cid) == (0, 3, 5)
