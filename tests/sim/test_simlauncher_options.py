"""The simulator options the library passes (``Connect To Cluster`` sim_* parameters) reach
``python -m nrisim`` and come back in what it publishes."""
from __future__ import annotations

import re

import pytest
from kubernetes import client, config

from CpusetLibrary.simlauncher import SimulatorError, start_simulator


def test_numa_offline_and_map_order_seed_reach_the_simulator(tmp_path):
    sim = start_simulator(tmp_path / "sim", cpus=16, numa_nodes=2, offline_cpus="5,7",
                          shuffle_map_order=True, map_order_seed=7)
    try:
        assert (sim.numa_nodes, sim.offline_cpus, sim.map_order_seed) == (2, "5,7", 7)
        api = client.CoreV1Api(config.new_client_from_config(sim.kubeconfig))
        assert api.read_node(sim.node).status.capacity["cpu"] == "14"
    finally:
        sim.stop()


def test_default_map_order_is_not_shuffled(tmp_path):
    sim = start_simulator(tmp_path / "sim", cpus=8)
    try:
        assert (sim.numa_nodes, sim.offline_cpus, sim.map_order_seed) == (1, "", None)
    finally:
        sim.stop()


def test_bad_numa_nodes_fails_naming_it(tmp_path):
    with pytest.raises(SimulatorError, match=r"numa_nodes=3 must divide cores=4"):
        start_simulator(tmp_path / "sim", cpus=8, numa_nodes=3)
    with pytest.raises(SimulatorError, match=r"map_order_seed needs shuffle_map_order"):
        start_simulator(tmp_path / "sim2", cpus=8, map_order_seed=3)


@pytest.mark.parametrize("kwargs, message", [
    ({"sim_map_order_seed": "abc", "sim_shuffle_map_order": True},
     "sim_map_order_seed 'abc' is not an integer (or empty for a random seed)"),
    ({"sim_shuffle_map_order": "maybe"}, "sim_shuffle_map_order 'maybe' is not True or False"),
])
def test_connect_to_cluster_names_a_bad_sim_option_and_starts_nothing(kwargs, message):
    from CpusetLibrary import CpusetLibrary

    library = CpusetLibrary()
    with pytest.raises(ValueError, match=re.escape(message)):
        library.run_keyword("connect_to_cluster", [], kwargs)
    assert library._context.cluster is None and library._context.simulator is None
