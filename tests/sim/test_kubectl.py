"""The manual procedure's kubectl commands, unchanged, against `python -m nrisim` (a subprocess)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.kubectl

KUBECTL = os.path.join(os.path.dirname(sys.executable), "kubectl")
LIBRARIES = str(Path(__file__).resolve().parents[2] / "libraries")

POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: annotated-state-test
  annotations:
    weka.io/cores-ids: "{cores}"
spec:
  nodeSelector:
    kubernetes.io/hostname: sim-node-1
  containers:
  - name: weka-container
    image: busybox:latest
    command: ["sleep", "3600"]
    resources:
      requests: {{cpu: "{n}", memory: "1Gi"}}
      limits: {{cpu: "{n}", memory: "1Gi"}}
  restartPolicy: Never
"""


@pytest.fixture(scope="module")
def cli_sim(tmp_path_factory):
    if not os.path.exists(KUBECTL):
        pytest.skip(f"kubectl not found at {KUBECTL}")
    workdir = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "PYTHONPATH": LIBRARIES}
    proc = subprocess.Popen([sys.executable, "-m", "nrisim", "--workdir", str(workdir)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    try:
        info = json.loads(line)
    except ValueError:
        proc.kill()
        raise AssertionError(f"first stdout line is not JSON: {line!r}; stderr: {proc.stderr.read()}")
    yield info
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


def kubectl(info, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "KUBECONFIG": info["kubeconfig"]}
    result = subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60)
    if check:
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def test_cli_json_line_and_files(cli_sim):
    for key in ("api_url", "kubeconfig", "node", "plugin_log", "restart_command", "plugin_model", "cpus", "pid"):
        assert key in cli_sim
    assert cli_sim["api_url"].startswith("http://127.0.0.1:")
    assert json.loads((Path(cli_sim["kubeconfig"]).parent / "cluster.json").read_text()) == cli_sim
    assert os.access(cli_sim["restart_command"], os.X_OK)


def test_manual_procedure_commands(cli_sim, tmp_path):
    ns_yaml = kubectl(cli_sim, "create", "namespace", "annotated-state-test", "--dry-run=client", "-o", "yaml").stdout
    assert "created" in kubectl(cli_sim, "apply", "-f", "-", stdin=ns_yaml).stdout
    assert "unchanged" in kubectl(cli_sim, "apply", "-f", "-", stdin=ns_yaml).stdout
    manifest = tmp_path / "pods.yaml"
    manifest.write_text("---\n".join(POD.format(name=n, cores=c, n=k) for n, c, k in
                                     (("annotated-compute-1", "0-14", 15), ("annotated-drive-1", "32-43", 12))))
    kubectl(cli_sim, "apply", "-f", str(manifest))
    kubectl(cli_sim, "wait", "--for=condition=Ready", "pod/annotated-compute-1", "pod/annotated-drive-1",
            "-n", "annotated-state-test", "--timeout=30s")
    status = kubectl(cli_sim, "exec", "-n", "annotated-state-test", "annotated-compute-1", "--",
                     "cat", "/proc/1/status").stdout
    assert "Cpus_allowed_list:\t0-14\n" in status and "Cpus_allowed:\t00000000,00007fff\n" in status
    wide = kubectl(cli_sim, "get", "pods", "-o", "wide", "-n", "annotated-state-test").stdout
    assert "annotated-drive-1" in wide and "Running" in wide and "sim-node-1" in wide
    described = kubectl(cli_sim, "describe", "pod", "annotated-compute-1", "-n", "annotated-state-test").stdout
    assert "Successfully assigned annotated-state-test/annotated-compute-1 to sim-node-1" in described
    node = kubectl(cli_sim, "describe", "node", "sim-node-1").stdout
    assert "Allocated resources:" in node and "annotated-drive-1" in node
    kubectl(cli_sim, "delete", "pod", "annotated-compute-1", "annotated-drive-1", "-n", "annotated-state-test",
            "--grace-period=5")
    assert "No resources found" in kubectl(cli_sim, "get", "pods", "-n", "annotated-state-test").stderr
    logs = kubectl(cli_sim, "logs", "-n", "kube-system", "-l", "app=weka-nri-cpuset", "--tail=-1").stdout
    assert "Removing container weka-container from pod annotated-state-test/annotated-compute-1" in logs
    kubectl(cli_sim, "delete", "namespace", "annotated-state-test")
    assert "annotated-state-test" not in kubectl(cli_sim, "get", "namespaces").stdout


def test_exec_unknown_command_exit_code(cli_sim, tmp_path):
    kubectl(cli_sim, "run", "shared-1", "--image=busybox:latest", "--restart=Never", "--", "sleep", "3600")
    kubectl(cli_sim, "wait", "--for=condition=Ready", "pod/shared-1", "--timeout=30s")
    result = kubectl(cli_sim, "exec", "shared-1", "--", "frobnicate", check=False)
    assert result.returncode == 127 and "frobnicate" in result.stderr


def test_kubectl_top_says_metrics_api_is_missing(cli_sim):
    result = kubectl(cli_sim, "top", "pods", check=False)
    assert result.returncode != 0 and "Metrics API not available" in result.stderr


def test_restart_runtime_subcommand(cli_sim):
    env = {**os.environ, "PYTHONPATH": LIBRARIES}
    result = subprocess.run([sys.executable, "-m", "nrisim", "restart-runtime", "--kubeconfig",
                             cli_sim["kubeconfig"]], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert Path(cli_sim["plugin_log"]).read_text().count("Starting Weka NRI Plugin") >= 2


def test_help_documents_nodes():
    env = {**os.environ, "PYTHONPATH": LIBRARIES}
    out = subprocess.run([sys.executable, "-m", "nrisim", "--help"], capture_output=True, text=True, env=env,
                         timeout=30).stdout
    assert "--nodes" in out and "restart-k3s-<node>" in out and "--reserved-memory" in out
    assert "stall-plugin" in out and "apps/v1 DaemonSets" in out and "failed to reserve container name" in out


def test_manual_commands_on_the_standalone_simulator(cli_sim):
    """The commands a QA engineer types from the manual: kubectl's typed `create namespace` sends
    its object as protobuf; the simulator decodes it as an API server does."""
    assert "namespace/qa-manual created" in kubectl(cli_sim, "create", "namespace", "qa-manual").stdout
    assert "qa-manual" in kubectl(cli_sim, "get", "namespaces").stdout
    assert "Status:       Active" in kubectl(cli_sim, "describe", "namespace", "qa-manual").stdout
    kubectl(cli_sim, "run", "qa-pod", "-n", "qa-manual", "--image=busybox:latest", "--restart=Never", "--",
            "sleep", "3600")
    kubectl(cli_sim, "wait", "--for=condition=Ready", "pod/qa-pod", "-n", "qa-manual", "--timeout=30s")
    assert "Running" in kubectl(cli_sim, "get", "pod", "qa-pod", "-n", "qa-manual").stdout
    assert "qa-manual/qa-pod" in kubectl(cli_sim, "describe", "pod", "qa-pod", "-n", "qa-manual").stdout
    logs = kubectl(cli_sim, "logs", "-n", "kube-system", "-l", "app=weka-nri-cpuset", "--tail=-1").stdout
    assert "qa-manual/qa-pod" in logs
    deleted = kubectl(cli_sim, "delete", "namespace", "qa-manual", "--wait")
    assert 'namespace "qa-manual" deleted' in deleted.stdout
    assert "qa-manual" not in kubectl(cli_sim, "get", "namespaces").stdout


def test_a_protobuf_body_of_a_kind_not_decoded_is_refused_with_415(cli_sim):
    """kubectl create configmap would send protobuf too; the simulator serves no ConfigMap, but a
    protobuf body it cannot decode is answered 415 naming the kind, never a JSON decode error."""
    import urllib.error
    import urllib.request

    type_meta = b"\x0a\x02v1\x12\x09ConfigMap"
    body = b"k8s\x00" + b"\x0a" + bytes([len(type_meta)]) + type_meta + b"\x12\x00"
    request = urllib.request.Request(f"{cli_sim['api_url']}/api/v1/namespaces", data=body, method="POST",
                                     headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    status = json.loads(err.value.read())
    assert err.value.code == 415 and status["reason"] == "UnsupportedMediaType"
    assert "ConfigMap" in status["message"] and "application/json" in status["message"]
