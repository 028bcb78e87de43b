"""The defect models the single-node catalog procedures catch: each shows its defect where
HEAD does not (the suites' verdict rows show which procedure catches it)."""
import pytest

from nrisim.plugin.defects import (
    ImpossibleMoveAdmittedModel,
    MoveOffFirstConflictOnlyModel,
    RefusedAnnotationReservesModel,
    SiblingsIgnoredModel,
)
from nrisim.plugin.head import HeadModel
from nrisim.plugin.interface import PluginError
from nrisim.topology import Topology

from plugin_fakes import annotated, cpuset, integer, shared, start


@pytest.mark.parametrize(("model", "stranded"), [(HeadModel, set()), (RefusedAnnotationReservesModel, {0})])
def test_a_refused_partly_online_annotation_reserves_nothing_at_head(model, stranded):
    h = start(model, Topology(8, 2, 1))
    for value in ("0,999", "999", "not-a-number"):
        with pytest.raises(PluginError, match=f"invalid CPU list in annotation '{value}'"):
            h.model.create_container(annotated(value))
    assert cpuset(h.model.create_container(shared()).cpus) == set(range(8)) - stranded


def test_the_stranded_cpus_come_back_only_with_a_restart():
    h = start(RefusedAnnotationReservesModel, Topology(8, 2, 1))
    with pytest.raises(PluginError):
        h.model.create_container(annotated("1,999"))
    assert 1 not in cpuset(h.model.create_container(shared()).cpus)
    h.model.synchronize([])
    assert cpuset(h.model.create_container(shared()).cpus) == set(range(8))


@pytest.mark.parametrize(("model", "first", "second"), [(HeadModel, {1, 5}, {2, 6}),
                                                       (SiblingsIgnoredModel, {1, 2}, {3, 4})])
def test_integer_pods_get_one_core_each_at_head(model, first, second):
    m = start(model, Topology(8, 2, 1)).model  # siblings i and i+4
    assert cpuset(m.create_container(integer(2)).cpus) == first
    assert cpuset(m.create_container(integer(2)).cpus) == second


@pytest.mark.parametrize(("model", "refused"), [(HeadModel, True), (ImpossibleMoveAdmittedModel, False)])
def test_an_impossible_move_is_refused_at_head(model, refused):
    m = start(model, Topology(4, 2, 1)).model  # siblings i and i+2
    x = integer(2)
    assert cpuset(m.create_container(x).cpus) == {1, 3}
    assert cpuset(m.create_container(annotated("0,2")).cpus) == {0, 2}  # no conflict: the rest of the node
    if refused:
        with pytest.raises(PluginError, match=f"cannot reallocate conflicting containers: cannot reallocate "
                                              f"integer container {x.container_id}"):
            m.create_container(annotated("1"))
    else:
        assert cpuset(m.create_container(annotated("1")).cpus) == {1}
        assert m.by_cid[x.container_id].cpus == [1, 3]  # the integer container was not moved


def test_a_possible_move_is_made_as_at_head():
    m = start(ImpossibleMoveAdmittedModel, Topology(8, 2, 1)).model
    x = integer(2)
    first = cpuset(m.create_container(x).cpus)
    assert cpuset(m.create_container(annotated(str(min(first)))).cpus) == {min(first)}
    assert not set(m.by_cid[x.container_id].cpus) & {min(first)}


@pytest.mark.parametrize(("model", "shared"), [(HeadModel, set()), (MoveOffFirstConflictOnlyModel, {2})])
def test_a_move_avoids_every_annotated_cpu_at_head(model, shared):
    m = start(model).model  # 64 CPUs, siblings i and i+32
    x = integer(4)
    assert cpuset(m.create_container(x).cpus) == {1, 2, 33, 34}
    assert cpuset(m.create_container(annotated("1,2")).cpus) == {1, 2}
    moved = set(m.by_cid[x.container_id].cpus)
    assert len(moved) == 4 and moved & {1, 2} == shared
