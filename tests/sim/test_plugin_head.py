"""HEAD plugin model: admission, reallocation, release, update hook and Synchronize."""
import pytest

from nrisim.plugin.head import HeadModel
from nrisim.plugin.interface import PluginError
from nrisim.topology import Topology

from plugin_fakes import cpuset, annotated, integer, shared, start


def test_configure_and_sync_log_lines():
    h = start(HeadModel)
    assert h.lines[0] == "weka-cpuset plugin configured (runtime: containerd, version: v2.0.0)"
    assert "Synchronizing state with 0 pods and 0 containers" in h.lines
    assert h.log_has("CRITICAL DEBUG: Synchronize() CLEARING STATE - before clear: intOwner=0 entries")
    assert "DEBUG: Synchronize() completed - state manager now synchronized" in h.lines


def test_annotated_verbatim_comma_list_and_mems():
    h = start(HeadModel, Topology(64, 2, 2))
    info = annotated("3,1-2,56")
    adj = h.model.create_container(info)
    assert adj.cpus == "1,2,3,56"
    assert adj.mems == "0-1"  # CPU 56 is core 24 -> NUMA node 1
    sid = info.container_id[:12]
    assert f"DEBUG: CreateContainer called for annotated container test/{info.pod_name} (container {sid})" in h.lines
    assert f"DEBUG: Recorded annotated container {sid} with CPUs [1 2 3 56]" in h.lines


@pytest.mark.parametrize(("cores", "mems"), [("0,1", "0"), ("16,17", "1"), ("0,16", "0-1"), ("48", "1")])
def test_annotated_mems_follow_numa_nodes(cores, mems):
    model = start(HeadModel, Topology(64, 2, 2)).model
    assert model.create_container(annotated(cores)).mems == mems


@pytest.mark.parametrize(
    ("value", "cause"),
    [
        ("999", "CPU(s) not online: [999] (valid range: 0-63)"),
        ("not-a-number", "invalid CPU range format: not-a-number"),
        ("0,,2", "empty CPU value in list: 0,,2"),
        ("5-2", "invalid CPU range 5-2: start > end"),
        ("0-", 'invalid end CPU in range 0-: strconv.Atoi: parsing "": invalid syntax'),
    ],
)
def test_invalid_annotation_is_refused_with_exact_message(value, cause):
    h = start(HeadModel)
    info = annotated(value)
    with pytest.raises(PluginError) as err:
        h.model.create_container(info)
    message = f"invalid CPU list in annotation '{value}': {cause}"
    assert str(err.value) == message
    assert f"DEBUG: Invalid annotation for annotated container {info.container_id[:12]}: {message}" in h.lines
    assert info.container_id not in h.model.by_cid


def test_empty_annotation_runs_unpinned_and_is_tracked():
    model = start(HeadModel).model
    info = annotated("")
    assert model.create_container(info).cpus == ""
    assert model.snapshot().by_cid[info.container_id] == ("annotated", ())


def test_annotated_sharing_uses_refcounts_and_release_only_on_remove():
    h = start(HeadModel)
    a, b = annotated("0,2"), annotated("0,2")
    assert h.model.create_container(a).cpus == h.model.create_container(b).cpus == "0,2"
    assert h.model.annot_ref == {0: 2, 2: 2}
    h.model.remove_container(a)
    assert h.model.annot_ref == {0: 1, 2: 1}
    assert "DEBUG: Decremented annotation count for CPU 0 to 1" in h.lines
    h.model.remove_container(b)
    assert h.model.annot_ref == {}
    assert f"DEBUG: Released annotated CPU 2 from container {b.container_id[:12]}" in h.lines
    assert not h.log_has("State corruption")


def test_integer_insufficient_exact_message():
    h = start(HeadModel, Topology(8, 2, 1))
    h.model.create_container(annotated("0-4"))
    info = integer(4)
    with pytest.raises(PluginError) as err:
        h.model.create_container(info)
    assert str(err.value) == (
        "failed to allocate CPUs: failed to allocate exclusive CPUs (avoiding forbidden cores): "
        "insufficient free CPUs: need 4, have 3 (reserved: [0 1 2 3 4])"
    )
    assert ("ERROR: CPU allocation failed - need 4 CPUs, have 3 available. Reserved CPUs: [0 1 2 3 4]. "
            "Online CPUs: [0 1 2 3 4 5 6 7]") in h.lines


def test_integer_success_lines_and_state():
    h = start(HeadModel)
    info = integer(2)
    assert h.model.create_container(info).cpus == "1,33"
    sid = info.container_id[:12]
    assert f"DEBUG: Successfully allocated integer container {sid} with CPUs [1 33]" in h.lines
    assert h.model.int_owner == {1: info.container_id, 33: info.container_id}


def test_shared_pool_excludes_reserved_and_forbidden_and_empty_pool_refused():
    model = start(HeadModel, Topology(8, 2, 1)).model
    model.create_container(integer(2))  # 1,5
    adj = model.create_container(shared(annotations={"weka.io/forbid-core-ids": "0"}))
    assert cpuset(adj.cpus) == {2, 3, 4, 6, 7}
    assert adj.mems == ""
    model.create_container(annotated("0,2-4,6,7"))
    with pytest.raises(PluginError, match="^shared CPU pool is empty$"):
        model.create_container(shared())


def test_reallocation_moves_integer_and_queues_update():
    h = start(HeadModel)
    x = integer(4)
    assert h.model.create_container(x).cpus == "1-2,33-34"
    adj = h.model.create_container(annotated("1,2"))
    assert adj.cpus == "1,2" and adj.mems == ""  # no mems on the reallocation path
    moved = set(h.model.by_cid[x.container_id].cpus)
    assert len(moved) == 4 and not moved & {1, 2}
    assert {cpu for cpu, owner in h.model.int_owner.items() if owner == x.container_id} == moved
    assert [u.container_id for r in h.runtime.queue for u in r.updates] == [x.container_id]
    h.runtime.drain()
    assert cpuset(h.runtime.cpusets[x.container_id]) == moved
    assert "Successfully applied 1 background updates for annotated container reallocation" in h.lines


def test_reallocation_impossible_names_full_container_id():
    h = start(HeadModel, Topology(8, 2, 1))
    x = integer(4)
    h.model.create_container(x)
    h.model.create_container(integer(3))  # one CPU left free
    with pytest.raises(PluginError) as err:
        h.model.create_container(annotated("1,2"))
    assert str(err.value) == f"cannot reallocate conflicting containers: cannot reallocate integer container {x.container_id}"
    assert 1 in h.model.int_owner


def test_update_container_reasserts_tracked_only():
    model = start(HeadModel).model
    a = annotated("3,1")
    model.create_container(a)
    assert model.update_container(a).cpus == "1,3"
    assert model.update_container(shared()) is None


def test_remove_unknown_and_debounced_shared_refresh():
    h = start(HeadModel, Topology(8, 2, 1), existing=[shared("old", current_cpus="0-7")])
    old_id = next(iter(h.model.by_cid))
    x, y = integer(2), integer(2)
    h.model.create_container(x)
    h.model.create_container(y)
    h.model.remove_container(shared("new"))
    assert h.runtime.queue == []  # unknown container schedules nothing
    h.model.remove_container(x)
    h.model.remove_container(y)  # same burst
    h.runtime.drain()
    refreshes = [u for u in h.runtime.applied if u.container_id == old_id]
    assert [u.cpus for u in refreshes] == ["0-7"]  # one refresh, after the whole burst
    assert sum("Queued 1 container updates for background processing (debounced shared pool update)" == line
               for line in h.lines) == 1


def test_synchronize_rebuilds_and_drops_exited():
    h = start(HeadModel)
    live = integer(2, current_cpus="1,33")
    gone = integer(4, current_cpus="2-3,34-35", exited=True)
    ann = annotated("10-11")
    sh = shared()
    updates = h.model.synchronize([live, gone, ann, sh])
    assert h.model.int_owner == {1: live.container_id, 33: live.container_id}
    assert gone.container_id not in h.model.by_cid
    by_id = {u.container_id: u for u in updates}
    assert by_id[ann.container_id].cpus == "10-11" and by_id[ann.container_id].mems == "0"
    assert by_id[live.container_id].cpus == "1,33"
    assert cpuset(by_id[sh.container_id].cpus) == set(range(64)) - {1, 33, 10, 11}
    assert (f"DEBUG: Synchronizing integer container {live.container_id} with existing CPUs [1 33] "
            "(expected ~2 CPUs)") in h.lines
    assert f"Skipping stopped container {gone.container_id[:12]}" in h.lines
    # the CPUs of the exited container are free again
    assert cpuset(h.model.create_container(integer(4)).cpus) & {2, 3, 34, 35}


def test_synchronize_invalid_annotation_tracked_and_integer_conflict_reallocated():
    h = start(HeadModel)
    bad = annotated("999")
    ann = annotated("1")
    clash = integer(2, current_cpus="1,33")
    h.model.synchronize([clash, bad, ann])
    assert h.model.by_cid[bad.container_id].mode == "invalid-annotated"
    assert f"State synchronization completed with 1 skipped containers: [{bad.container_id}]" in h.lines
    new = set(h.model.by_cid[clash.container_id].cpus)
    assert len(new) == 2 and 1 not in new
    assert h.log_has(f"WARNING: CPU 1 conflict detected - integer container {clash.container_id}")


def test_create_before_synchronize_is_a_clear_error():
    from plugin_fakes import FakeRuntime
    model = HeadModel(Topology(), lambda line: None, FakeRuntime())
    with pytest.raises(RuntimeError, match="before Synchronize"):
        model.create_container(integer(1))
