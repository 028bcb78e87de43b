"""The ``realloc-splits-cores`` defect model: a live move lands on two different cores where
HEAD keeps the container on one core's two threads; count and exclusivity stay right."""
import pytest

from nrisim.plugin.defects import ReallocationSplitsCoresModel
from nrisim.plugin.head import HeadModel
from nrisim.plugin.registry import MODEL_NAMES, load_model
from nrisim.topology import Topology

from plugin_fakes import annotated, cpuset, integer, start


def _moved(model_cls):
    """A 2-CPU integer container on an idle 8-core/16-thread node, then an annotated one on its
    CPUs: returns (its CPUs before, its CPUs after the move, the topology)."""
    topology = Topology(16, 2, 1)
    h = start(model_cls, topology)
    x = integer(2)
    before = cpuset(h.model.create_container(x).cpus)
    h.model.create_container(annotated(",".join(str(c) for c in sorted(before))))
    h.runtime.drain()
    return before, cpuset(h.runtime.cpusets[x.container_id]), topology, h


def _whole_cores(cpus, topology) -> bool:
    return all(set(topology.siblings(cpu)) <= cpus for cpu in cpus)


@pytest.mark.parametrize(("model", "whole"), [(HeadModel, True), (ReallocationSplitsCoresModel, False)])
def test_the_moved_container_keeps_or_splits_its_core(model, whole):
    before, after, topology, h = _moved(model)
    assert _whole_cores(before, topology)  # admitted the same way by both
    assert len(after) == 2 and not after & before  # moved, count kept
    assert _whole_cores(after, topology) is whole
    assert h.log_has("DEBUG: Successfully planned reallocation of 1 containers")


def test_the_model_is_built_in():
    assert "realloc-splits-cores" in MODEL_NAMES
    assert load_model("realloc-splits-cores") is ReallocationSplitsCoresModel
