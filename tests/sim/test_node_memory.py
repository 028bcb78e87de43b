"""Node memory capacity and allocatable (--memory, --reserved-memory), checked by the scheduler."""
from __future__ import annotations

import pytest
from kubernetes import client, config


def test_memory_capacity_allocatable_and_insufficient_memory(tmp_path, h):
    with h.make_sim(tmp_path, cpus=16, memory="4Gi", reserved_memory="1Gi") as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
        node = api.read_node("sim-node-1")
        assert node.status.capacity["memory"] == "4194304Ki"
        assert node.status.allocatable["memory"] == "3145728Ki"
        # the plugin pod requests 64Mi of the 3Gi allocatable
        api.create_namespaced_pod("default", h.pod_body("fits", cpu="1", memory="3008Mi"))
        h.wait_running(api, "fits")
        api.create_namespaced_pod("default", h.pod_body("over", cpu="1", memory="1Mi"))
        ev = h.eventually(lambda: [e for e in api.list_namespaced_event("default").items
                                   if e.reason == "FailedScheduling" and e.involved_object.name == "over"])
        assert ev[0].message == "0/1 nodes are available: 1 Insufficient memory."
        pod = api.read_namespaced_pod("over", "default")
        assert pod.status.phase == "Pending" and pod.spec.node_name is None
        api.delete_namespaced_pod("fits", "default")
        h.wait_running(api, "over")


@pytest.mark.parametrize("kwargs, message", [
    ({"memory": "lots"}, "memory 'lots' is not a memory quantity"),
    ({"memory": "1Gi", "reserved_memory": "2Gi"}, "reserved_memory in [0, memory)"),
])
def test_bad_memory_is_refused(tmp_path, h, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        h.make_sim(tmp_path, **kwargs).start()
