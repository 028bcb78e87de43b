"""The plugin's DaemonSet pod on one node (kube-system): its status follows the plugin
process, its ``/log`` is the process's output, and deleting it restarts the plugin."""
from __future__ import annotations

import asyncio
import secrets
from typing import Any

from ..clock import now_rfc3339
from .podstatus import set_condition
from .pluginlog import PluginInstanceLog
from .port import ClusterPort
from .runtime import SimRuntime, new_container_id

NAMESPACE = "kube-system"
LABELS = {"app": "weka-nri-cpuset", "controller-revision-hash": "6d8f7c9b5d", "pod-template-generation": "1"}
IMAGE = "quay.io/weka.io/weka-nri-cpuset:v1.0.0"


def _suffix() -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(secrets.choice(alphabet) for _ in range(5))


class PluginPod:
    def __init__(self, port: ClusterPort, node_name: str, runtime: SimRuntime) -> None:
        self.port = port
        self.node_name = node_name
        self.runtime = runtime
        self.pod_name: str | None = None
        #: set by the DaemonSet controller from the plugin DaemonSet (template labels + revision)
        self.pod_labels: dict[str, str] = dict(LABELS)
        self.owner_uid = "d0c5e7a1-0000-4000-8000-000000000001"
        self.instance: PluginInstanceLog | None = None
        self.previous: PluginInstanceLog | None = None

    def create_pod(self) -> dict[str, Any]:
        name = f"weka-nri-cpuset-{_suffix()}"
        node = self.node_name
        pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": dict(self.pod_labels),
                         "generateName": "weka-nri-cpuset-",
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                                              "name": "weka-nri-cpuset", "uid": self.owner_uid,
                                              "controller": True, "blockOwnerDeletion": True}]},
            "spec": {
                "nodeName": node, "hostNetwork": True, "hostPID": True, "restartPolicy": "Always",
                "serviceAccountName": "weka-nri-cpuset", "serviceAccount": "weka-nri-cpuset",
                "terminationGracePeriodSeconds": 30, "schedulerName": "default-scheduler",
                "dnsPolicy": "ClusterFirst", "priority": 0, "enableServiceLinks": True,
                "tolerations": [{"operator": "Exists"}],
                "containers": [{
                    "name": "weka-nri-cpuset", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                    "args": ["--socket=/var/run/nri/nri.sock", "--log-level=info"],
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                  "limits": {"cpu": "500m", "memory": "2Gi"}},
                    "securityContext": {"privileged": True, "runAsUser": 0},
                    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                }],
            },
            "status": {"phase": "Pending", "qosClass": "Burstable", "hostIP": "127.0.0.1",
                       "podIP": "127.0.0.1", "podIPs": [{"ip": "127.0.0.1"}], "startTime": now_rfc3339(),
                       "containerStatuses": [{"name": "weka-nri-cpuset", "image": IMAGE, "imageID": "",
                                              "ready": False, "restartCount": 0, "started": False,
                                              "state": {"waiting": {"reason": "ContainerCreating"}},
                                              "lastState": {}}]},
        }
        set_condition(pod, "PodScheduled", "True")
        set_condition(pod, "Initialized", "True")
        set_condition(pod, "Ready", "False")
        set_condition(pod, "ContainersReady", "False")
        self.pod_name = name
        self.instance = None
        return self.port.store.create("pods", pod)

    def current_pod(self) -> dict[str, Any] | None:
        return self.port.store.get("pods", NAMESPACE, self.pod_name) if self.pod_name else None

    def is_plugin_pod(self, namespace: str, name: str) -> bool:
        return namespace == NAMESPACE and name == self.pod_name

    def plugin_started(self, inst: PluginInstanceLog) -> None:
        """A plugin process registered (first start, runtime restart or new pod)."""
        pod = self.current_pod()
        if pod is None:
            return
        status = pod["status"]["containerStatuses"][0]
        if self.instance is not None and self.instance is not inst:
            self.previous = self.instance
            status["restartCount"] += 1
            terminated = (status.get("state") or {}).get("terminated") or {
                "exitCode": 0, "reason": "Completed", "finishedAt": now_rfc3339()}
            status["lastState"] = {"terminated": terminated}
        self.instance = inst
        status.update(ready=True, started=True, containerID=f"containerd://{new_container_id()}",
                      imageID=IMAGE + "@sha256:" + "cd" * 32,
                      state={"running": {"startedAt": now_rfc3339()}})
        pod["status"]["phase"] = "Running"
        set_condition(pod, "Ready", "True")
        set_condition(pod, "ContainersReady", "True")
        self.port.store.update("pods", pod)

    def delete_pod(self, grace: int) -> dict[str, Any]:
        """The DaemonSet controller replaces the pod; the old plugin process gets SIGTERM.
        It stays connected but answers nothing for ``plugin_shutdown`` (at most the grace
        period), then exits; the new pod's process registers and synchronizes."""
        pod = self.current_pod()
        assert pod is not None
        pod["metadata"]["deletionTimestamp"] = now_rfc3339()
        pod["metadata"]["deletionGracePeriodSeconds"] = grace
        self.port.store.update("pods", pod)
        self.port.spawn(self._replace(pod, grace))
        return pod

    async def _replace(self, old: dict[str, Any], grace: int) -> None:
        shutdown = min(self.port.latencies.plugin_shutdown, float(grace))
        if shutdown > 0 and self.runtime.model is not None:
            self.runtime.make_unresponsive(shutdown)
            await asyncio.sleep(shutdown)
        self.runtime.stop_plugin()
        self.previous = self.instance
        self.port.store.delete("pods", NAMESPACE, old["metadata"]["name"])
        self.create_pod()
        await asyncio.sleep(self.port.latencies.plugin_restart)
        await self.runtime.start_plugin()

    def plugin_exited(self, code: int) -> None:
        """The plugin process ended by itself (its NRI connection closed): the container is
        terminated and kubelet restarts it (restartPolicy Always) after ``plugin_restart``."""
        pod = self.current_pod()
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return  # the pod is being replaced: nothing restarts in it
        status = pod["status"]["containerStatuses"][0]
        started = (status.get("state") or {}).get("running", {}).get("startedAt", now_rfc3339())
        status.update(ready=False, started=False, state={"terminated": {
            "exitCode": code, "reason": "Completed" if code == 0 else "Error", "startedAt": started,
            "finishedAt": now_rfc3339(), "containerID": status.get("containerID")}})
        set_condition(pod, "Ready", "False", "ContainersNotReady",
                      "containers with unready status: [weka-nri-cpuset]")
        set_condition(pod, "ContainersReady", "False", "ContainersNotReady",
                      "containers with unready status: [weka-nri-cpuset]")
        self.port.store.update("pods", pod)
        self.port.spawn(self._restart_container())

    async def _restart_container(self) -> None:
        await asyncio.sleep(self.port.latencies.plugin_restart)
        if self.runtime.model is None:
            await self.runtime.start_plugin()
