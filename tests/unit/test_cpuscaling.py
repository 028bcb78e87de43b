"""A manual's CPU numbers moved onto the node at hand."""
import pytest

from CpusetLibrary.cpuscaling import ScalingError, scale_cpus


def test_the_manual_node_keeps_the_manual_cpus():
    assert scale_cpus([15, 16], 64, range(64), range(64)) == [15, 16]


@pytest.mark.parametrize(("size", "expected"), [(16, [3, 4]), (128, [30, 32])])
def test_positions_scale_with_the_online_count(size, expected):
    assert scale_cpus([15, 16], 64, range(size), range(size)) == expected


def test_busy_and_colliding_cpus_move_to_the_nearest_free_one():
    assert scale_cpus([0, 1, 2, 3, 4], 64, range(16), range(2, 16)) == [2, 3, 4, 5, 6]
    assert scale_cpus([15, 16], 64, range(16), {0, 1, 2}) == [2, 1]


def test_too_few_free_cpus_name_the_numbers():
    with pytest.raises(ScalingError, match="needs 5 free CPUs for \\[0, 1, 2, 3, 4\\], the node has 3 free of 16"):
        scale_cpus(range(5), 64, range(16), {7, 8, 9})
