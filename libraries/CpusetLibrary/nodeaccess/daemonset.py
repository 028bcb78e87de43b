"""Node access for a plugin deployed as a DaemonSet: its pod log through the Kubernetes API,
and a restart by deleting the pod and waiting for its Ready, synchronized replacement."""
from __future__ import annotations

import time
from typing import Any

from kubernetes import watch
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError as Urllib3Error

from ._common import (Deadline, non_empty_str, poll_until, positive_seconds, quote_lines, split_log,
                      through_line)
from ..apiretry import WATCH_PAUSE
from .base import SYNC_DONE, LogMark, NodeAccess, NodeAccessError, RestartResult


def _is_ready(pod: Any) -> bool:
    if pod.metadata.deletion_timestamp is not None or pod.status is None:
        return False
    return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))


def _restarts(pod: Any) -> int:
    statuses = (pod.status.container_statuses if pod.status else None) or []
    return sum(s.restart_count or 0 for s in statuses)


class DaemonSetNodeAccess(NodeAccess):
    """The plugin pod on one node, found by namespace + label selector + ``spec.nodeName``.

    A mark is the pod uid and container restart count plus the number of log bytes seen; a
    replaced pod or restarted container is read from its start.
    """

    def __init__(self, core_v1: Any, node: str, namespace: str = "kube-system",
                 label: str = "app=weka-nri-cpuset", timeout: float = 30.0, *,
                 container: str | None = None, sync_line: str = SYNC_DONE,
                 poll_interval: float = 0.2) -> None:
        if core_v1 is None:
            raise ValueError("core_v1 must be a kubernetes.client.CoreV1Api, got None")
        self.core_v1 = core_v1
        self.node = non_empty_str("node", node)
        self.namespace = non_empty_str("namespace", namespace)
        self.label = non_empty_str("label", label)
        self.timeout = positive_seconds("timeout", timeout)
        self.container = container or None
        self.sync_line = non_empty_str("sync_line", sync_line)
        self.poll_interval = positive_seconds("poll_interval", poll_interval)

    def describe(self) -> str:
        return f"daemonset pod {self.namespace}/{self.label} on node {self.node}"

    def _api_error(self, what: str, err: ApiException) -> NodeAccessError:
        return NodeAccessError(f"{self.describe()}: {what} failed: HTTP {err.status} {err.reason}: "
                               f"{(err.body or '')[:300] if isinstance(err.body, str) else ''}".rstrip(": "))

    # -- pods --------------------------------------------------------------------------
    def _pods(self) -> tuple[list[Any], str]:
        try:
            result = self.core_v1.list_namespaced_pod(
                self.namespace, label_selector=self.label, field_selector=f"spec.nodeName={self.node}",
                _request_timeout=self.timeout)
        except ApiException as err:
            raise self._api_error(f"listing pods with label {self.label!r} in namespace {self.namespace}",
                                  err) from None
        return list(result.items), result.metadata.resource_version

    def _live(self, pods: list[Any]) -> list[Any]:
        return sorted((p for p in pods if p.metadata.deletion_timestamp is None),
                      key=lambda p: p.metadata.creation_timestamp or 0)

    def _pod(self) -> Any:
        live = self._live(self._pods()[0])
        if not live:
            raise NodeAccessError(f"no plugin pod with label {self.label!r} in namespace {self.namespace} "
                                  f"on node {self.node} (is the DaemonSet deployed and scheduled there?)")
        return live[-1]

    def _source(self, pod: Any) -> str:
        return f"pod {self.namespace}/{pod.metadata.name} uid={pod.metadata.uid} restarts={_restarts(pod)}"

    def _log_bytes(self, pod: Any) -> bytes:
        kwargs: dict[str, Any] = {"_preload_content": False, "_request_timeout": self.timeout}
        if self.container:
            kwargs["container"] = self.container
        try:
            response = self.core_v1.read_namespaced_pod_log(pod.metadata.name, self.namespace, **kwargs)
            return response.data
        except ApiException as err:
            raise self._api_error(f"reading the log of pod {pod.metadata.name}", err) from None

    # -- NodeAccess --------------------------------------------------------------------
    def mark(self) -> LogMark:
        pod = self._pod()
        return LogMark(source=self._source(pod), offset=len(self._log_bytes(pod)))

    def read_since(self, mark: LogMark) -> list[str]:
        return self._read_pod_since(self._pod(), mark)

    def _read_pod_since(self, pod: Any, mark: LogMark) -> list[str]:
        data = self._log_bytes(pod)
        if self._source(pod) == mark.source and len(data) >= mark.offset:
            data = data[mark.offset:]
        return split_log(data)

    def restart_plugin(self, timeout: float) -> RestartResult:
        timeout = positive_seconds("timeout", timeout)
        deadline = Deadline(timeout)
        started = time.monotonic()
        old = self._pod()
        before = LogMark(source=self._source(old), offset=len(self._log_bytes(old)))
        try:
            self.core_v1.delete_namespaced_pod(old.metadata.name, self.namespace,
                                               _request_timeout=self.timeout)
        except ApiException as err:
            if err.status != 404:
                raise self._api_error(f"deleting pod {old.metadata.name}", err) from None
        new = self._wait_ready_replacement(old.metadata.uid, deadline, timeout)
        seen: list[str] = []

        def synced() -> tuple[str, ...] | None:
            lines = self._read_pod_since(new, before)
            seen[:] = lines
            return through_line(lines, self.sync_line)

        lines = poll_until(synced, deadline, self.poll_interval, self._sync_progress(timeout, seen))
        if lines is None:
            raise NodeAccessError(f"{self.describe()}: replacement pod {new.metadata.name} is Ready but did not "
                                  f"log {self.sync_line!r} within {timeout:g}s after deleting pod "
                                  f"{old.metadata.name}; {quote_lines(seen)}")
        return RestartResult(seconds=time.monotonic() - started, log_lines=lines)

    def _wait_ready_replacement(self, old_uid: str, deadline: Deadline, timeout: float) -> Any:
        """Watch (bounded) until a pod other than ``old_uid`` on the node is Ready."""
        last_seen = "no replacement pod appeared"
        while not deadline.expired():
            pods, version = self._pods()
            for pod in self._live(pods):
                if pod.metadata.uid != old_uid and _is_ready(pod):
                    return pod
            remaining = deadline.remaining()
            stream = watch.Watch()
            try:
                for event in stream.stream(
                        self.core_v1.list_namespaced_pod, self.namespace, label_selector=self.label,
                        field_selector=f"spec.nodeName={self.node}", resource_version=version,
                        timeout_seconds=max(1, int(remaining)), _request_timeout=remaining + 1):
                    pod = event["object"]
                    if pod.metadata.uid == old_uid:
                        continue
                    phase = pod.status.phase if pod.status else None
                    last_seen = f"pod {pod.metadata.name} is {phase}, not Ready"
                    if event["type"] != "DELETED" and _is_ready(pod):
                        return pod
                    if deadline.expired():
                        break
            except ApiException as err:
                if err.status != 410:  # 410 Gone: resource version too old, list again
                    raise self._api_error("watching the plugin pods", err) from None
            except (Urllib3Error, OSError):  # the stream broke: list (retried) and watch again
                time.sleep(min(WATCH_PAUSE, deadline.remaining()))
            except Exception as err:  # a read timeout at the end of the watch window
                if deadline.expired():
                    break
                if "timed out" not in str(err).lower():
                    raise NodeAccessError(f"{self.describe()}: watching the plugin pods failed: {err}") from None
            finally:
                stream.stop()
        raise NodeAccessError(f"{self.describe()}: no Ready replacement for the deleted plugin pod within "
                              f"{timeout:g}s ({last_seen})")
