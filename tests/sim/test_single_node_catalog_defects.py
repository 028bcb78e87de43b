"""The defect models the single-node catalog procedures catch: each shows its defect where
HEAD does not (the suites' verdict rows show which procedure catches it)."""
import pytest

from nrisim.plugin.defects import RefusedAnnotationReservesModel, SiblingsIgnoredModel
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
