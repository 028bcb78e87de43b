"""The simulator options the library passes (``Connect To Cluster`` sim_* parameters) reach
``python -m nrisim`` and come back in what it publishes."""
from __future__ import annotations

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
