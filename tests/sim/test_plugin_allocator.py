"""Sibling-aware exclusive allocation: worked examples of the upstream allocator's behaviour."""
import pytest

from nrisim.plugin.allocator import AllocationError, ExclusiveAllocator
from nrisim.plugin.cpulist import format_ranges
from nrisim.plugin.head import HeadModel
from nrisim.topology import Topology

from plugin_fakes import annotated, integer, start


def grant(model, info):
    return model.create_container(info).cpus


@pytest.mark.parametrize(
    ("requests", "expected_last"),
    [
        ([2], "1,33"),
        ([2, 2], "2,34"),
        ([4], "1-2,33-34"),
        ([1], "32"),
        ([1, 1], "0"),
        ([25], "1-12,32-44"),
    ],
)
def test_worked_examples_empty_node(requests, expected_last):
    model = start(HeadModel, Topology(64, 2, 1)).model
    results = [grant(model, integer(n)) for n in requests]
    assert results[-1] == expected_last


def test_orphan_siblings_of_annotated_cpus_first():
    model = start(HeadModel, Topology(64, 2, 1)).model
    grant(model, annotated("0,1"))
    assert grant(model, integer(2)) == "32-33"


def test_orphan_siblings_of_forbidden_cpus():
    model = start(HeadModel, Topology(64, 2, 1)).model
    assert grant(model, integer(2, annotations={"weka.io/forbid-core-ids": "1,3,5"})) == "33,35"


def test_no_hyperthreading_puts_cpu0_last():
    alloc = ExclusiveAllocator(Topology(8, 1, 1), lambda line: None)
    assert alloc.allocate(3, []) == [1, 2, 3]
    assert sorted(alloc.allocate(8, [])) == list(range(8))
    assert alloc.allocate(2, [1, 2, 3, 4, 5, 6]) == [7, 0]  # the plugin keeps this order


def test_insufficient_message_and_log():
    lines = []
    alloc = ExclusiveAllocator(Topology(4, 2, 1), lines.append)
    with pytest.raises(AllocationError) as err:
        alloc.allocate(3, [3, 1])
    assert str(err.value) == "insufficient free CPUs: need 3, have 2 (reserved: [3 1])"
    assert lines[-1] == ("ERROR: CPU allocation failed - need 3 CPUs, have 2 available. "
                         "Reserved CPUs: [3 1]. Online CPUs: [0 1 2 3]")


def test_result_is_disjoint_from_reserved_and_exact_size():
    alloc = ExclusiveAllocator(Topology(64, 2, 1), lambda line: None)
    reserved = {0, 5, 6, 40, 41, 63}
    for count in range(1, 58):
        cpus = alloc.allocate(count, sorted(reserved))
        assert len(cpus) == count == len(set(cpus))
        assert not reserved & set(cpus)


def test_1024_cpu_node_allocates_many_containers():
    """Sanity (no timing): 1024 CPUs, 512 cores; fill the node with integer containers."""
    topo = Topology(1024, 2, 4)
    alloc = ExclusiveAllocator(topo, lambda line: None)
    used: set[int] = set()
    for count in [7, 100, 300, 1, 2, 500]:
        cpus = alloc.allocate(count, sorted(used))
        assert len(cpus) == count and not used & set(cpus)
        used |= set(cpus)
    assert len(used) == 910
    with pytest.raises(AllocationError, match="need 115, have 114"):
        alloc.allocate(115, sorted(used))


def test_phase2_ignores_cores_beyond_score_zero():
    """Quirk kept from the plugin: cores with index > 100 are never taken whole in phase 2."""
    alloc = ExclusiveAllocator(Topology(512, 2, 1), lambda line: None)
    cpus = alloc.allocate(204, [])
    # cores 0..100 whole (202 CPUs); phase 3 breaks core 101 (CPU 101), then takes CPU 102
    assert format_ranges(cpus) == "0-102,256-356"
