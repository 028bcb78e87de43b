"""The Kubernetes side: one isolated API client per cluster, pods, nodes, events, exec, waits.

Everything here talks to the cluster only through the ``kubernetes`` client, so the same
code drives a real k3s cluster and the simulated one. Nothing here logs to Robot (that is
the keyword layer's job), so these methods are safe to call from worker threads.
"""
from __future__ import annotations

import binascii
import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import yaml
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream
from urllib3.exceptions import HTTPError as Urllib3Error

from .apiretry import RETRIES, RETRY_STATUS, WATCH_PAUSE, ApiRefused, RetryingApiClient, backoff
from .progress import Emit, Progress, describe_pods
from .quantity import parse_cpu
from .secrets import kubeconfig_secrets

# The client's DEBUG records (every request and response body) would flood output.xml at
# robot's DEBUG level; our keywords log what matters.
for _name in ("kubernetes", "urllib3", "websocket"):
    logging.getLogger(_name).setLevel(logging.INFO)
# urllib3 warns on every retry; a retry is routine here, and giving up is reported with its cause.
logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)


class ClusterError(Exception):
    """A cluster-side action failed; the message names the object and the cause."""


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    rc: int


@dataclass(frozen=True)
class NodeSummary:
    name: str
    ready: bool
    cpu_capacity: float
    cpu_allocatable: float
    address: str
    runtime: str
    kubelet: str


def _api_reason(err: ApiException) -> str:
    """The Status message of an ApiException, or its reason."""
    try:
        body = yaml.safe_load(err.body or "") or {}
        if isinstance(body, dict) and body.get("message"):
            return f"{err.status} {body['message']}"
    except yaml.YAMLError:
        pass
    return f"{err.status} {err.reason}"


def _cause(err: BaseException) -> str:
    """The root cause of a transport error, without urllib3's wrapping."""
    reason = getattr(err, "reason", None)
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}"
    return f"{type(err).__name__}: {err}"


def _yaml_error_position(err: yaml.YAMLError) -> str:
    """Where a YAML error is, without the snippet of the file yaml quotes (it may hold a token)."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or type(err).__name__
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else str(problem)


def read_kubeconfig(path: str, context: str | None) -> dict:
    """The parsed kubeconfig, checked to have ``context``; errors never quote its content."""
    if not path:
        raise ClusterError("KUBECONFIG is empty: name a kubeconfig file")
    if not os.path.isfile(path):
        raise ClusterError(f"KUBECONFIG '{path}' is not a readable file")
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as err:
        raise ClusterError(f"KUBECONFIG '{path}' cannot be read: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ClusterError(f"KUBECONFIG '{path}' cannot be read as YAML: {_yaml_error_position(err)}") from None
    if not isinstance(data, dict) or not data.get("contexts"):
        raise ClusterError(f"KUBECONFIG '{path}' is not a kubeconfig: it has no 'contexts'")
    names = [c.get("name") for c in data["contexts"] if isinstance(c, dict)]
    if context and context not in names:
        raise ClusterError(
            f"KUBE_CONTEXT '{context}' is not in KUBECONFIG '{path}'; contexts: {', '.join(map(str, names))}"
        )
    return data


def load_configuration(path: str, context: str | None) -> client.Configuration:
    """The client configuration of ``path``/``context``, leaving the client's global default
    untouched. No error message contains a credential of the file."""
    secrets = kubeconfig_secrets(read_kubeconfig(path, context))
    try:
        configuration = client.Configuration()
        config.load_kube_config(config_file=path, context=context or None, client_configuration=configuration,
                                persist_config=False)
    except (config.ConfigException, ValueError, KeyError, TypeError, binascii.Error) as err:
        text = str(err)
        for value in secrets:
            text = text.replace(value, "***")
        raise ClusterError(f"KUBECONFIG '{path}' is not usable: {text}") from None
    configuration.retries = False  # urllib3 retries nothing: apiretry does, knowing what is safe to repeat
    return configuration


class Cluster:
    """A connection to one cluster: one :class:`RetryingApiClient` under every API object
    (``core``, ``apps``, and whatever else is built on ``api_client``), so every request is
    retried in one place. Exec gets a client of its own because ``kubernetes.stream``
    temporarily patches the client it is given, and retries its handshake itself."""

    def __init__(self, kubeconfig: str, context: str | None = None, request_timeout: float = 30.0):
        self.kubeconfig = kubeconfig
        self.context = context
        self.request_timeout = request_timeout
        #: credentials of the kubeconfig, for the library to mask in every output
        self.secrets = tuple(kubeconfig_secrets(read_kubeconfig(kubeconfig, context)))
        self._api_client = RetryingApiClient(load_configuration(kubeconfig, context), gave_up=self.gave_up)
        self.core = client.CoreV1Api(self._api_client)
        self.apps = client.AppsV1Api(self._api_client)
        #: the procedure step running now (set by the library's listener); named in failures
        self.step = ""
        #: the step during which the API server first became unreachable
        self.unreachable_since = ""
        self._exec_core = client.CoreV1Api(client.ApiClient(load_configuration(kubeconfig, context)))
        #: where long waits report progress (the console in a robot run; None: silent)
        self.progress: Emit | None = None

    def gave_up(self, what: str, err: BaseException, retries: int = RETRIES) -> ClusterError:
        """The error once retries are exhausted: cause, bound and the step it happened in."""
        where = f"while running '{self.step}'" if self.step else "outside a procedure step (suite setup/teardown)"
        if isinstance(err, ApiException):
            cause = f"answered {_api_reason(err)}"
        else:
            cause = f"is unreachable ({_cause(err)})"
            self.unreachable_since = self.unreachable_since or (self.step or "suite setup/teardown")
        since = (f"; it has been unreachable since '{self.unreachable_since}'"
                 if self.unreachable_since and self.unreachable_since != self.step else "")
        return ClusterError(f"API server {self.server} {cause} on {what}, after {retries} retries with back-off, "
                            f"{where}{since}")

    @property
    def api_client(self) -> client.ApiClient:
        return self._api_client

    @property
    def server(self) -> str:
        return self._api_client.configuration.host

    def close(self) -> None:
        for api in (self.core, self._exec_core):
            try:
                api.api_client.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass

    # ---- cluster and node -------------------------------------------------------------

    def version(self) -> str:
        try:
            info = client.VersionApi(self._api_client).get_code(_request_timeout=self.request_timeout)
        except ApiRefused as err:
            raise ClusterError(str(err)) from None
        except ClusterError as err:  # the retries are spent: name the kubeconfig that points there
            raise ClusterError(f"{err} (KUBECONFIG '{self.kubeconfig}')") from None
        return info.git_version

    def simulator_info(self) -> dict | None:
        """What a simulated cluster (nrisim) says about itself on its own API, ``/nrisim/v1/info``
        (``plugin_model``, ``nodes``), whoever started it; None for any other API server (a real
        one answers that path 404 or 403)."""
        api = self._api_client
        request = api.param_serialize("GET", "/nrisim/v1/info", header_params={"Accept": "application/json"},
                                      auth_settings=["BearerToken"])
        try:
            response = api.call_api(*request, _request_timeout=self.request_timeout)
            info = json.loads(response.data or b"null")
        except (ApiException, ClusterError, ConnectionError, ValueError):
            return None
        return info if isinstance(info, dict) and "plugin_model" in info else None

    def node_names(self) -> list[str]:
        """The names of the cluster's nodes, sorted."""
        return sorted(n.metadata.name for n in self.core.list_node(_request_timeout=self.request_timeout).items)

    def node(self, name: str) -> NodeSummary:
        try:
            node = self.core.read_node(name, _request_timeout=self.request_timeout)
        except ApiException as err:
            if err.status == 404:
                names = [n.metadata.name for n in self.core.list_node().items]
                raise ClusterError(
                    f"TARGET_NODE '{name}' does not exist; nodes: {', '.join(names) or 'none'}"
                ) from err
            raise ClusterError(f"reading node '{name}': {_api_reason(err)}") from err
        conditions = {c.type: c.status for c in (node.status.conditions or [])}
        addresses = {a.type: a.address for a in (node.status.addresses or [])}
        info = node.status.node_info
        return NodeSummary(
            name=name,
            ready=conditions.get("Ready") == "True",
            cpu_capacity=parse_cpu(node.status.capacity["cpu"]),
            cpu_allocatable=parse_cpu(node.status.allocatable["cpu"]),
            address=addresses.get("InternalIP") or addresses.get("Hostname") or name,
            # "containerd://2.0.5-k3s1" would be rendered as a dead link in log.html
            runtime=(info.container_runtime_version or "").replace("://", " ") if info else "",
            kubelet=info.kubelet_version if info else "",
        )

    def pods_on_node(self, node: str, ended: bool = False) -> list[client.V1Pod]:
        """Pods bound to ``node`` that still hold resources for the scheduler (not
        Succeeded/Failed); with ``ended`` also those (their containers exist, and hold their
        CPUs in the plugin, until the pod is deleted)."""
        pods = self.core.list_pod_for_all_namespaces(
            field_selector=f"spec.nodeName={node}", _request_timeout=self.request_timeout
        ).items
        return [p for p in pods if ended or (p.status.phase or "") not in ("Succeeded", "Failed")]

    # ---- namespaces ---------------------------------------------------------------------

    def create_namespace(self, name: str, labels: Mapping[str, str]) -> None:
        body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=dict(labels)))
        try:
            self.core.create_namespace(body, _request_timeout=self.request_timeout)
        except ApiException as err:
            raise ClusterError(f"creating namespace '{name}': {_api_reason(err)}") from err

    def delete_namespace(self, name: str, timeout: float) -> float:
        """Delete ``name`` and wait until it is gone; returns the seconds it took."""
        start = time.monotonic()
        try:
            self.core.delete_namespace(name, _request_timeout=self.request_timeout)
        except ApiException as err:
            if err.status == 404:
                return 0.0
            raise ClusterError(f"deleting namespace '{name}': {_api_reason(err)}") from err
        self._wait_gone(
            lambda **kw: self.core.list_namespace(field_selector=f"metadata.name={name}", **kw),
            f"namespace '{name}'",
            timeout,
        )
        return time.monotonic() - start

    def _wait_gone(self, lister: Callable, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        progress = Progress(f"waiting up to {timeout:g} s for {what} to be gone", self.progress)
        while True:
            listing = lister(_request_timeout=self.request_timeout)
            if not listing.items:
                return
            progress(lambda: f"still there ({getattr(listing.items[0].status, 'phase', None) or 'exists'})")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ClusterError(f"{what} still exists after {timeout:g} s")
            watch_for = min(remaining, max(1.0, progress.due_in()))  # back in time to report progress
            stream_ = watch.Watch().stream(
                lister,
                resource_version=listing.metadata.resource_version,
                timeout_seconds=max(1, int(watch_for)),
                _request_timeout=watch_for + 5,
            )
            try:
                for event in stream_:
                    if event["type"] == "DELETED":
                        break
            except (Urllib3Error, OSError):  # the watch broke: list again, watch again
                time.sleep(WATCH_PAUSE)

    # ---- pods ---------------------------------------------------------------------------

    def _for_each_pod(self, action: str, namespace: str, items: Sequence, call: Callable) -> None:
        """Run ``call(item)`` for all items at once (like one ``kubectl apply``/``delete`` of
        several pods). Every item is attempted; failures are reported together."""

        def attempt(item) -> str | None:
            name = item if isinstance(item, str) else item.get("metadata", {}).get("name", "?")
            try:
                call(item)
            except ApiException as err:
                if action == "deleting" and err.status == 404:
                    return None
                return f"pod '{name}': {_api_reason(err)}"
            except ClusterError as err:
                return f"pod '{name}': {err}"
            return None

        with ThreadPoolExecutor(max_workers=max(1, min(16, len(items)))) as pool:
            errors = [e for e in pool.map(attempt, items) if e]
        if errors:
            raise ClusterError(f"{action} pods in namespace '{namespace}' failed: " + "; ".join(errors))

    def create_pods(self, namespace: str, bodies: Sequence[dict]) -> list[str]:
        """Create all pods concurrently; returns their names."""
        def create(body: dict) -> None:
            self.core.create_namespaced_pod(namespace, body, _request_timeout=self.request_timeout)
        self._for_each_pod("creating", namespace, list(bodies), create)
        return [b["metadata"]["name"] for b in bodies]

    def delete_pods(self, namespace: str, names: Iterable[str], grace_seconds: int) -> None:
        """Delete all pods concurrently with the grace period; a pod already gone is fine."""
        self._for_each_pod("deleting", namespace, list(names), lambda name: self.core.delete_namespaced_pod(
            name, namespace, grace_period_seconds=grace_seconds, _request_timeout=self.request_timeout))

    def get_pod(self, namespace: str, name: str) -> client.V1Pod:
        try:
            return self.core.read_namespaced_pod(name, namespace, _request_timeout=self.request_timeout)
        except ApiException as err:
            raise ClusterError(f"reading pod '{namespace}/{name}': {_api_reason(err)}") from err

    def list_pods(self, namespace: str, label_selector: str = "") -> list[client.V1Pod]:
        return self.core.list_namespaced_pod(
            namespace, label_selector=label_selector or None, _request_timeout=self.request_timeout
        ).items

    def pod_events(self, namespace: str, name: str) -> list[client.CoreV1Event]:
        events = self.core.list_namespaced_event(
            namespace,
            field_selector=f"involvedObject.name={name},involvedObject.kind=Pod",
            _request_timeout=self.request_timeout,
        ).items
        return sorted(events, key=lambda e: (e.last_timestamp or e.event_time or e.metadata.creation_timestamp or 0))

    def watch_pods(
        self,
        namespace: str,
        names: Iterable[str],
        judge: Callable[[dict[str, client.V1Pod | None]], bool],
        timeout: float,
    ) -> tuple[dict[str, client.V1Pod | None], bool]:
        """Feed ``judge`` the latest state of the named pods (None = gone) after a list and
        after every watch event, until it returns True or ``timeout`` passes.

        Returns the last state and whether ``judge`` was satisfied; ``judge`` may raise to
        fail fast."""
        wanted = set(names)
        deadline = time.monotonic() + timeout
        progress = Progress(f"waiting up to {timeout:g} s for pods {', '.join(sorted(wanted))}", self.progress)
        while True:
            listing = self.core.list_namespaced_pod(namespace, _request_timeout=self.request_timeout)
            state: dict[str, client.V1Pod | None] = dict.fromkeys(wanted)
            for pod in listing.items:
                if pod.metadata.name in wanted:
                    state[pod.metadata.name] = pod
            if judge(state):
                return state, True
            version = listing.metadata.resource_version
            try:
                while (remaining := deadline - time.monotonic()) > 0:
                    progress(lambda: describe_pods(state))
                    watch_for = min(remaining, max(1.0, progress.due_in()))  # back in time to report progress
                    for event in watch.Watch().stream(
                        self.core.list_namespaced_pod,
                        namespace,
                        resource_version=version,
                        timeout_seconds=max(1, int(watch_for + 0.999)),
                        _request_timeout=watch_for + 5,
                    ):
                        pod = event["object"]
                        version = pod.metadata.resource_version
                        if pod.metadata.name in wanted:
                            state[pod.metadata.name] = None if event["type"] == "DELETED" else pod
                            if judge(state):
                                return state, True
                        progress(lambda: describe_pods(state))
                        if time.monotonic() >= deadline:
                            break
                return state, False
            except ApiException as err:
                if err.status != 410:  # 410: resourceVersion too old, list again
                    raise ClusterError(f"watching pods in '{namespace}': {_api_reason(err)}") from err
            except (Urllib3Error, OSError):  # the watch broke: list again (retried), watch again
                time.sleep(WATCH_PAUSE)

    # ---- exec ---------------------------------------------------------------------------

    def exec(self, namespace: str, pod: str, command: Sequence[str], timeout: float = 30.0,
             container: str | None = None) -> ExecResult:
        """Run ``command`` in the pod; returns stdout, stderr and the exit status separately."""
        what = f"exec {' '.join(command)!r} in pod '{namespace}/{pod}'"
        kwargs = {"container": container} if container else {}
        for attempt in range(RETRIES + 1):  # our commands only read: a failed handshake is retried
            try:
                resp = stream(
                    self._exec_core.connect_get_namespaced_pod_exec, pod, namespace,
                    command=list(command), stderr=True, stdin=False, stdout=True, tty=False,
                    _preload_content=False, _request_timeout=timeout, **kwargs,
                )
                break
            except ApiException as err:  # status 0: the websocket handshake failed (reset, lost)
                if (err.status not in RETRY_STATUS and err.status != 0) or attempt == RETRIES:
                    raise ClusterError(f"{what}: {_api_reason(err)}") from err
            except Exception as err:  # websocket handshake errors come as various types
                status = getattr(err, "status_code", None)
                if (status is not None and status not in RETRY_STATUS) or attempt == RETRIES:
                    raise ClusterError(f"{what}: {err}") from err
            time.sleep(backoff(attempt))
        out: list[str] = []
        err_out: list[str] = []
        deadline = time.monotonic() + timeout
        try:
            while resp.is_open():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ClusterError(f"{what}: no exit status within {timeout:g} s")
                resp.update(timeout=min(remaining, 1.0))
                if resp.peek_stdout():
                    out.append(resp.read_stdout())
                if resp.peek_stderr():
                    err_out.append(resp.read_stderr())
            out.append(resp.read_stdout() or "")
            err_out.append(resp.read_stderr() or "")
            rc = resp.returncode
        finally:
            resp.close()
        return ExecResult("".join(out), "".join(err_out), -1 if rc is None else rc)
