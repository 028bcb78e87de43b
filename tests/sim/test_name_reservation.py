"""containerd's container name reservation: a CreateContainer still in flight when kubelet
retries (after its runtime request timeout) fails with containerd's message, transiently.

Reached in the manual's scenario: five annotated 1-CPU pods created while the node's plugin
pod is deleted, with latencies that make the old plugin's shutdown outlast kubelet's timeout."""
from __future__ import annotations

import re

from kubernetes import client, config

from nrisim.latency import profile

RESERVED = re.compile(r'failed to reserve container name "(weka-container_(\S+?)_default_[0-9a-f-]+_0)": '
                      r'name "\1" is reserved for "[0-9a-f]{64}"')


def test_five_annotated_pods_while_plugin_pod_is_deleted(tmp_path, h):
    lat = profile("fast").with_overrides({"plugin_shutdown": 1.5, "plugin_request_timeout": 2.0,
                                          "runtime_request_timeout": 0.4, "image_pull": 0.5})
    with h.make_sim(tmp_path, cpus=16, latencies=lat) as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
        plugin = h.eventually(lambda: [p for p in api.list_namespaced_pod(
            "kube-system", label_selector="app=weka-nri-cpuset").items if p.status.phase == "Running"])[0]
        for i in range(5):
            api.create_namespaced_pod("default", h.pod_body(f"reserve-{i}", cpu="1",
                                                            annotations={"weka.io/cores-ids": str(i)}))
        api.delete_namespaced_pod(plugin.metadata.name, "kube-system")
        for i in range(5):
            h.wait_running(api, f"reserve-{i}", timeout=20)
        h.eventually(lambda: [h.exec_cpus(api, f"reserve-{i}") for i in range(5)] == ["0", "1", "2", "3", "4"],
                     timeout=10)
        messages = [e.message for e in api.list_namespaced_event("default").items if e.reason == "Failed"]
        reserved = [m for m in messages if RESERVED.search(m)]
        assert reserved, f"no name reservation error among {messages}"
        assert any("context deadline exceeded" in m for m in messages)
        for m in reserved:  # the reserved name is that pod's own first attempt
            pod_name = RESERVED.search(m).group(2)
            assert pod_name.startswith("reserve-")
        new_plugin = [p for p in api.list_namespaced_pod("kube-system", label_selector="app=weka-nri-cpuset").items]
        assert [p.metadata.name != plugin.metadata.name and p.status.phase for p in new_plugin] == ["Running"]


def test_no_reservation_error_with_default_timeouts(tmp_path, h):
    """With kubelet's 2 min timeout the same scenario shows no such error (what the suite must
    also accept: the error is allowed, not required)."""
    lat = profile("fast").with_overrides({"plugin_shutdown": 0.5, "image_pull": 0.2})
    with h.make_sim(tmp_path, cpus=16, latencies=lat) as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
        plugin = h.eventually(lambda: api.list_namespaced_pod("kube-system").items)[0]
        for i in range(5):
            api.create_namespaced_pod("default", h.pod_body(f"calm-{i}", cpu="1",
                                                            annotations={"weka.io/cores-ids": str(i)}))
        api.delete_namespaced_pod(plugin.metadata.name, "kube-system")
        for i in range(5):
            h.wait_running(api, f"calm-{i}", timeout=20)
        assert not [e for e in api.list_namespaced_event("default").items if e.reason == "Failed"]
