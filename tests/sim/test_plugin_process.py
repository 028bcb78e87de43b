"""The plugin pod's restartCount and the plugin process exiting 0 when containerd closes its
NRI connection (a request over plugin_request_timeout), through the API and the CLI."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kubernetes import client, config

from nrisim.latency import profile

LIBRARIES = str(Path(__file__).resolve().parents[2] / "libraries")


def plugin_status(api):
    pod = api.list_namespaced_pod("kube-system", label_selector="app=weka-nri-cpuset").items[0]
    return pod, pod.status.container_statuses[0]


def test_stalled_plugin_is_closed_exits_0_and_kubelet_restarts_it(tmp_path, h):
    lat = profile("fast").with_overrides({"plugin_request_timeout": 0.3})
    with h.make_sim(tmp_path, cpus=16, latencies=lat) as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
        h.eventually(lambda: plugin_status(api)[1].ready)
        before_pod, before = plugin_status(api)
        assert before.restart_count == 0
        starts = sim.plugin_log_path.read_text().count("Starting Weka NRI Plugin")
        env = {**os.environ, "PYTHONPATH": LIBRARIES}
        out = subprocess.run([sys.executable, "-m", "nrisim", "stall-plugin", "--kubeconfig",
                              str(sim.kubeconfig_path)], capture_output=True, text=True, env=env, timeout=30)
        assert out.returncode == 0, out.stderr
        # the next NRI request times out: containerd closes the plugin, the pod is created unpinned
        api.create_namespaced_pod("default", h.pod_body("during", cpu="2", annotations={"weka.io/cores-ids": "4,5"}))
        h.wait_running(api, "during")
        pod, status = h.eventually(lambda: (s := plugin_status(api))[1].restart_count == 1 and s[1].ready and s)
        assert pod.metadata.name == before_pod.metadata.name, "same pod, container restarted"
        assert status.last_state.terminated.exit_code == 0
        assert status.last_state.terminated.reason == "Completed"
        assert sim.plugin_log_path.read_text().count("Starting Weka NRI Plugin") == starts + 1
        # the restarted plugin's Synchronize pins the annotated container to its CPUs
        h.eventually(lambda: h.exec_cpus(api, "during") == "4-5")
        previous = api.read_namespaced_pod_log(pod.metadata.name, "kube-system", previous=True)
        assert "Synchronizing state" in previous


def test_stall_endpoint_names_unknown_node(sim):
    import json
    import urllib.error
    import urllib.request
    req = urllib.request.Request(sim.api_url + "/nrisim/v1/stall-plugin?node=nope", data=b"", method="POST")
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("expected 404")
    except urllib.error.HTTPError as err:
        assert err.code == 404
        assert 'nodes "nope" not found (nodes: sim-node-1)' in json.loads(err.read())["message"]


def test_an_old_silent_plugin_that_is_already_gone_does_not_end_its_replacement(tmp_path):
    """The plugin pod is deleted: its silent process is stopped while containerd still waits on it
    for a hook. When that wait ends, no process exit is reported again: the replacement pod (already
    created by then) must not be marked as terminated and restarted (a false restart that the
    per-test check of the plugin would report on a correct plugin)."""
    import asyncio

    from nrisim.latency import profile
    from nrisim.node.pluginlog import PluginLogSink
    from nrisim.node.runtime import SimRuntime
    from nrisim.plugin.head import HeadModel
    from nrisim.topology import Topology

    sink = PluginLogSink(tmp_path / "plugin.log")
    runtime = SimRuntime(Topology(8, 2, 1, frozenset()), HeadModel, sink, profile("fast"))
    exits: list[int] = []
    runtime.on_plugin_exited = exits.append

    async def scenario() -> None:
        await runtime.start_plugin()
        runtime.make_unresponsive(0.3)  # the deleted pod's process shuts down, silent
        hook = asyncio.create_task(runtime.run_pod_sandbox("default", "p"))
        await asyncio.sleep(0.1)
        runtime.stop_plugin()  # the pod is replaced: its process is gone
        await hook
        await runtime.start_plugin()  # the replacement's process

    asyncio.run(scenario())
    sink.close()
    assert exits == [], exits
    assert runtime.model is not None
