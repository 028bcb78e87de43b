"""The node object and its resource accounting."""
from __future__ import annotations

from typing import Any

from ..quantity import cpu_millis, format_millis, parse_quantity, to_int_ceil
from ..clock import now_rfc3339

TERMINATED_PHASES = ("Succeeded", "Failed")


def build_node(name: str, cpus: int, reserved_millis: int, memory_bytes: int, index: int = 0,
               reserved_memory_bytes: int = 0) -> dict[str, Any]:
    """A k3s Node object; ``index`` numbers the node in the cluster (pod CIDR, address)."""
    now = now_rfc3339()
    alloc_cpu = format_millis(max(0, cpus * 1000 - reserved_millis))
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": "k3s",
                # k3s labels its server node only; the others are agents
                **({"node-role.kubernetes.io/control-plane": "true"} if index == 0 else {}),
            },
            "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
        },
        "spec": {"podCIDR": f"10.42.{index}.0/24", "podCIDRs": [f"10.42.{index}.0/24"], "providerID": f"k3s://{name}"},
        "status": {
            "capacity": {"cpu": str(cpus), "memory": f"{memory_bytes // 1024}Ki", "pods": "110",
                         "ephemeral-storage": "102400000Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0"},
            "allocatable": {"cpu": alloc_cpu, "memory": f"{max(0, memory_bytes - reserved_memory_bytes) // 1024}Ki",
                            "pods": "110",
                            "ephemeral-storage": "99614720Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0"},
            "conditions": [
                _cond("MemoryPressure", "False", "KubeletHasSufficientMemory",
                      "kubelet has sufficient memory available", now),
                _cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now),
                _cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available",
                      now),
                _cond("Ready", "True", "KubeletReady", "kubelet is posting ready status", now),
            ],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64", "bootID": "5f0e9a0e-7d0c-4a57-9a59-6b1a1c0de001",
                "containerRuntimeVersion": "containerd://2.0.5-k3s1", "kernelVersion": "6.8.0-60-generic",
                "kubeProxyVersion": "v1.36.1+k3s1", "kubeletVersion": "v1.36.1+k3s1",
                "machineID": "0123456789abcdef0123456789abcdef", "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04.2 LTS", "systemUUID": "4c4c4544-0031-3310-8051-b2c04f4e5a31",
            },
            "images": [{"names": ["docker.io/library/busybox:latest"], "sizeBytes": 2166802}],
        },
    }


def _cond(type_: str, status: str, reason: str, message: str, now: str) -> dict[str, str]:
    return {"type": type_, "status": status, "reason": reason, "message": message,
            "lastHeartbeatTime": now, "lastTransitionTime": now}


def pod_requests(pod: dict[str, Any]) -> tuple[int, int]:
    """(cpu millis, memory bytes) requested by a pod's containers."""
    cpu = mem = 0
    for c in pod["spec"]["containers"]:
        req = (c.get("resources") or {}).get("requests") or {}
        if "cpu" in req:
            cpu += cpu_millis(req["cpu"])
        if "memory" in req:
            mem += to_int_ceil(parse_quantity(req["memory"]))
    return cpu, mem


def allocatable(node: dict[str, Any]) -> tuple[int, int]:
    alloc = node["status"]["allocatable"]
    return cpu_millis(alloc["cpu"]), to_int_ceil(parse_quantity(alloc["memory"]))


def occupies_node(pod: dict[str, Any], node_name: str) -> bool:
    return pod["spec"].get("nodeName") == node_name and pod.get("status", {}).get("phase") not in TERMINATED_PHASES
