"""apps/v1 DaemonSets through the real kubernetes client (and kubectl for the manual's commands)."""
from __future__ import annotations

import datetime
import os
import subprocess
import sys

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

KUBECTL = os.path.join(os.path.dirname(sys.executable), "kubectl")
NODES = ["sim-node-1", "sim-node-2", "sim-node-3"]


@pytest.fixture
def sim3(tmp_path, h):
    with h.make_sim(tmp_path, nodes=3, cpus=16) as cluster:
        api_client = config.new_client_from_config(str(cluster.kubeconfig_path))
        yield cluster, client.CoreV1Api(api_client), client.AppsV1Api(api_client)


def ds_body(name: str, cpu: str = "2", node_selector: dict | None = None, annotations: dict | None = None,
            command: list[str] | None = None) -> dict:
    spec = {"containers": [{"name": "weka-container", "image": "busybox:latest",
                            "command": command or ["sleep", "3600"],
                            "resources": {"requests": {"cpu": cpu, "memory": "512Mi"},
                                          "limits": {"cpu": cpu, "memory": "512Mi"}}}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}, "annotations": annotations or {}},
                                  "spec": spec}}}


def pods_of(core, name: str, namespace: str = "default"):
    return [p for p in core.list_namespaced_pod(namespace, label_selector=f"app={name}").items
            if not p.metadata.deletion_timestamp]


def test_one_pod_per_node_named_like_real_ones_with_status(sim3, h):
    sim, core, apps = sim3
    apps.create_namespaced_daemon_set("default", ds_body("integer-ds"))
    ds = h.eventually(lambda: (d := apps.read_namespaced_daemon_set("integer-ds", "default")).status.number_ready == 3
                      and d)
    assert (ds.status.desired_number_scheduled, ds.status.current_number_scheduled,
            ds.status.updated_number_scheduled, ds.status.number_available) == (3, 3, 3, 3)
    assert ds.status.observed_generation == 1
    pods = pods_of(core, "integer-ds")
    assert sorted(p.spec.node_name for p in pods) == NODES
    for p in pods:
        assert p.metadata.name.startswith("integer-ds-") and len(p.metadata.name) == len("integer-ds-") + 5
        ref = p.metadata.owner_references[0]
        assert (ref.kind, ref.name, ref.uid, ref.controller) == ("DaemonSet", "integer-ds", ds.metadata.uid, True)
        assert p.status.phase == "Running"
        assert p.metadata.labels["controller-revision-hash"] and p.metadata.labels["pod-template-generation"] == "1"
    created = [e for e in core.list_namespaced_event("default").items if e.reason == "SuccessfulCreate"]
    assert len(created) == 3
    assert {(e.involved_object.kind, e.involved_object.api_version, e.source.component) for e in created} == {
        ("DaemonSet", "apps/v1", "daemonset-controller")}


def test_node_selector_follows_node_labels(sim3, h):
    sim, core, apps = sim3
    apps.create_namespaced_daemon_set("default", ds_body("workers", node_selector={"cpuset-test/worker": "true"}))
    ds = h.eventually(lambda: (d := apps.read_namespaced_daemon_set("workers", "default")).status.observed_generation
                      and d)
    assert ds.status.desired_number_scheduled == 0 and pods_of(core, "workers") == []
    for node in ("sim-node-1", "sim-node-3"):
        core.patch_node(node, {"metadata": {"labels": {"cpuset-test/worker": "true"}}})
    h.eventually(lambda: sorted(p.spec.node_name for p in pods_of(core, "workers")
                                if p.status.phase == "Running") == ["sim-node-1", "sim-node-3"])
    core.patch_node("sim-node-3", {"metadata": {"labels": {"cpuset-test/worker": None}}})
    h.eventually(lambda: [p.spec.node_name for p in pods_of(core, "workers")] == ["sim-node-1"])
    assert "cpuset-test/worker" not in core.read_node("sim-node-3").metadata.labels


def test_rollout_restart_replaces_every_pod(sim3, h):
    sim, core, apps = sim3
    apps.create_namespaced_daemon_set("default", ds_body("roll"))
    h.eventually(lambda: apps.read_namespaced_daemon_set("roll", "default").status.number_ready == 3)
    before = {p.metadata.name for p in pods_of(core, "roll")}
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    apps.patch_namespaced_daemon_set("roll", "default", {"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": stamp}}}}})

    def rolled():
        ds = apps.read_namespaced_daemon_set("roll", "default")
        pods = pods_of(core, "roll")
        return (ds.status.observed_generation == 2 and ds.status.updated_number_scheduled == 3
                and ds.status.number_ready == 3 and len(pods) == 3
                and not before & {p.metadata.name for p in pods} and pods)
    pods = h.eventually(rolled, timeout=15)
    assert all(p.metadata.annotations["kubectl.kubernetes.io/restartedAt"] == stamp for p in pods)
    assert all(p.metadata.labels["pod-template-generation"] == "2" for p in pods)


def test_delete_cascades_to_pods_and_frees_their_cpus(sim3, h):
    sim, core, apps = sim3
    apps.create_namespaced_daemon_set("default", ds_body("big", cpu="15"))
    h.eventually(lambda: apps.read_namespaced_daemon_set("big", "default").status.number_ready == 3)
    apps.delete_namespaced_daemon_set("big", "default")
    with pytest.raises(ApiException) as err:
        apps.read_namespaced_daemon_set("big", "default")
    assert err.value.status == 404
    h.eventually(lambda: core.list_namespaced_pod("default", label_selector="app=big").items == [])
    apps.create_namespaced_daemon_set("default", ds_body("again", cpu="15"))
    h.eventually(lambda: apps.read_namespaced_daemon_set("again", "default").status.number_ready == 3)


def test_invalid_daemonset_is_refused_naming_the_field(sim3):
    sim, core, apps = sim3
    body = ds_body("bad")
    body["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    with pytest.raises(ApiException) as err:
        apps.create_namespaced_daemon_set("default", body)
    assert err.value.status == 422 and "selector` does not match template `labels`" in err.value.body
    assert apps.list_namespaced_daemon_set("default").items == []


def test_plugin_daemonset_is_an_apps_v1_object(sim3, h):
    sim, core, apps = sim3
    ds = h.eventually(lambda: (d := apps.read_namespaced_daemon_set("weka-nri-cpuset", "kube-system"))
                      .status.number_ready == 3 and d)
    assert ds.status.desired_number_scheduled == 3
    uids = {p.metadata.owner_references[0].uid for p in core.list_namespaced_pod(
        "kube-system", label_selector="app=weka-nri-cpuset").items}
    assert uids == {ds.metadata.uid}


def kubectl(sim, *args):
    if not os.path.exists(KUBECTL):
        pytest.skip(f"kubectl not found at {KUBECTL}")
    env = {**os.environ, "KUBECONFIG": str(sim.kubeconfig_path)}
    return subprocess.run([KUBECTL, *args], capture_output=True, text=True, env=env, timeout=60)


def test_kubectl_rollout_restart_of_the_plugin_synchronizes_every_node(sim3, h):
    sim, core, apps = sim3
    h.eventually(lambda: apps.read_namespaced_daemon_set("weka-nri-cpuset", "kube-system").status.number_ready == 3)
    before = {p.metadata.name for p in core.list_namespaced_pod("kube-system").items}
    logs = {e["name"]: e["plugin_log"] for e in sim.info()["nodes"]}
    starts = {n: open(p).read().count("Starting Weka NRI Plugin") for n, p in logs.items()}
    result = kubectl(sim, "rollout", "restart", "-n", "kube-system", "daemonset/weka-nri-cpuset")
    assert result.returncode == 0, result.stderr
    assert "daemonset.apps/weka-nri-cpuset restarted" in result.stdout
    status = kubectl(sim, "rollout", "status", "-n", "kube-system", "daemonset/weka-nri-cpuset", "--timeout=30s")
    assert status.returncode == 0, status.stderr
    assert "successfully rolled out" in status.stdout
    pods = h.eventually(lambda: (ps := [p for p in core.list_namespaced_pod("kube-system").items
                                        if p.status.phase == "Running"]) and len(ps) == 3 and ps)
    assert not before & {p.metadata.name for p in pods}
    for node, path in logs.items():
        text = open(path).read()
        assert text.count("Starting Weka NRI Plugin") == starts[node] + 1
        assert text.rstrip().splitlines()[-1].endswith("releasing global allocation lock") or \
            "Synchronize() completed" in text


def test_kubectl_label_node_get_and_delete_daemonset(sim3, h, tmp_path):
    sim, core, apps = sim3
    assert kubectl(sim, "label", "node", "sim-node-2", "cpuset-test/worker=true").returncode == 0
    assert core.read_node("sim-node-2").metadata.labels["cpuset-test/worker"] == "true"
    import yaml
    manifest = tmp_path / "ds.yaml"
    manifest.write_text(yaml.safe_dump(ds_body("labelled", node_selector={"cpuset-test/worker": "true"})))
    created = kubectl(sim, "apply", "-f", str(manifest))
    assert created.returncode == 0, created.stderr
    h.eventually(lambda: [p.spec.node_name for p in pods_of(core, "labelled") if p.status.phase == "Running"]
                 == ["sim-node-2"])
    table = kubectl(sim, "get", "ds", "labelled")
    assert table.returncode == 0, table.stderr
    assert table.stdout.split("\n")[1].split()[:6] == ["labelled", "1", "1", "1", "1", "1"]
    deleted = kubectl(sim, "delete", "daemonset", "labelled")
    assert deleted.returncode == 0, deleted.stderr
    h.eventually(lambda: core.list_namespaced_pod("default", label_selector="app=labelled").items == [])
    assert kubectl(sim, "label", "node", "sim-node-2", "cpuset-test/worker-").returncode == 0
    assert "cpuset-test/worker" not in core.read_node("sim-node-2").metadata.labels
