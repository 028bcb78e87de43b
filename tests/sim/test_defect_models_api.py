"""The defect models for the shared pool, forbid-core-ids, memory nodes and invalid
annotations, seen through the real kubernetes client: each breaks its behaviour where
``head`` keeps it."""
from __future__ import annotations

import pytest
from kubernetes import client, config
from kubernetes.stream import stream

from nrisim.procfs import parse_cpu_list

CORES, FORBID = "weka.io/cores-ids", "weka.io/forbid-core-ids"


@pytest.fixture
def cluster(tmp_path, h, request):
    """A 16-CPU node (siblings i, i+8), 2 NUMA nodes, with the model named by the test's param."""
    with h.make_sim(tmp_path, cpus=16, numa_nodes=2, plugin_model=request.param) as sim:
        yield client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))


def _cpus(api, h, name: str) -> set[int]:
    h.wait_running(api, name)
    return parse_cpu_list(h.exec_cpus(api, name))


def _mems(api, name: str) -> set[int]:
    text = stream(api.connect_get_namespaced_pod_exec, name, "default", command=["cat", "/proc/1/status"],
                  stdout=True, stderr=True, stdin=False, tty=False)
    return parse_cpu_list(next(line.split("\t", 1)[1] for line in text.splitlines()
                               if line.startswith("Mems_allowed_list:")))


@pytest.mark.parametrize("cluster, broken", [("head", False), ("shared-includes-integer", True)],
                         indirect=["cluster"])
def test_shared_pool_and_integer_cpus(cluster, h, broken):
    api = cluster
    api.create_namespaced_pod("default", h.pod_body("int-2", cpu="2"))
    integer = _cpus(api, h, "int-2")
    api.create_namespaced_pod("default", h.pod_body("shared", cpu="500m"))
    shared = _cpus(api, h, "shared")
    assert bool(shared & integer) is broken
    assert shared | integer == set(range(16))


@pytest.mark.parametrize("cluster, broken", [("head", False), ("forbid-ignored", True)], indirect=["cluster"])
def test_forbid_core_ids_for_integer_and_shared(cluster, h, broken):
    api = cluster
    # on an empty node the first 2-CPU integer pod gets core 1 (1,9); forbid exactly that core
    api.create_namespaced_pod("default", h.pod_body("int-2", cpu="2", annotations={FORBID: "1,9"}))
    api.create_namespaced_pod("default", h.pod_body("shared", cpu="500m", annotations={FORBID: "0-3"}))
    assert bool(_cpus(api, h, "int-2") & {1, 9}) is broken
    assert bool(_cpus(api, h, "shared") & {0, 1, 2, 3}) is broken


@pytest.mark.parametrize("cluster, broken", [("head", False), ("annotated-mems-missing", True)],
                         indirect=["cluster"])
def test_annotated_memory_nodes_on_the_direct_path(cluster, h, broken):
    api = cluster
    api.create_namespaced_pod("default", h.pod_body("ann", cpu="100m", annotations={CORES: "0,1"}))
    assert _cpus(api, h, "ann") == {0, 1}
    assert _mems(api, "ann") == ({0, 1} if broken else {0})


@pytest.mark.parametrize("cluster, broken", [("head", False), ("annotation-not-validated", True)],
                         indirect=["cluster"])
def test_annotation_naming_a_cpu_that_is_not_online(cluster, h, broken):
    api = cluster
    api.create_namespaced_pod("default", h.pod_body("ann", cpu="100m", annotations={CORES: "999"}))

    def state():
        statuses = api.read_namespaced_pod("ann", "default").status.container_statuses or []
        return statuses and (statuses[0].state.waiting or statuses[0].state.terminated)

    got = h.eventually(lambda: (s := state()) and s.reason in ("CreateContainerError", "StartError") and s)
    if broken:  # admitted by the plugin, refused by runc when the container starts
        assert (got.reason, got.exit_code) == ("StartError", 128)
        assert 'failed to write "999": write /sys/fs/cgroup/kubepods/pod' in got.message
    else:
        assert got.reason == "CreateContainerError"
        assert got.message.endswith("invalid CPU list in annotation '999': CPU(s) not online: [999] "
                                    "(valid range: 0-15)")
