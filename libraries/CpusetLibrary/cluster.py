"""The Kubernetes side: one isolated API client per cluster, pods, nodes, events, exec, waits.

Everything here talks to the cluster only through the ``kubernetes`` client, so the same
code drives a real k3s cluster and the simulated one. Nothing here logs to Robot (that is
the keyword layer's job), so these methods are safe to call from worker threads.
"""
from __future__ import annotations

import binascii
import functools
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
from urllib3 import Retry
from urllib3.exceptions import HTTPError as Urllib3Error

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


#: how a request the API server failed to answer is retried (reads, deletes, replaces: never a
#: create, see Cluster._create_checked); back-off 0.25, 0.5, 1, 2, 2 s; 429 honours Retry-After
RETRIES = 5
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: a broken watch stream is re-established this many times in a row, with back-off, before giving up
WATCH_RETRIES = 5


def read_retries() -> Retry:
    return Retry(total=RETRIES, connect=RETRIES, read=RETRIES, status=RETRIES, backoff_factor=0.25,
                 backoff_max=2.0, status_forcelist=RETRY_STATUS, respect_retry_after_header=True,
                 allowed_methods=frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}), raise_on_status=False)


def _backoff(attempt: int) -> float:
    return min(2.0, 0.25 * 2 ** attempt)


def _cause(err: BaseException) -> str:
    """The root cause of a transport error, without urllib3's wrapping."""
    reason = getattr(err, "reason", None)
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}"
    return f"{type(err).__name__}: {err}"


class _GuardedApi:
    """An API object whose calls fail with a ClusterError naming the cause, the retries done
    and the step that was running once the transport gave up (the retries themselves are
    urllib3's, configured on the ApiClient)."""

    def __init__(self, api: object, cluster: "Cluster") -> None:
        self._api = api
        self._cluster = cluster

    def __getattr__(self, name: str):
        attr = getattr(self._api, name)
        if name.startswith("_") or not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except ApiException as err:
                if err.status in RETRY_STATUS:
                    raise self._cluster.gave_up(name, err) from None
                raise
            except (Urllib3Error, OSError) as err:
                raise self._cluster.gave_up(name, err) from None
        return call


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


def load_kubeconfig(path: str, context: str | None) -> client.ApiClient:
    """An ApiClient for ``path``/``context`` that leaves the client's global default untouched.
    No error message contains a credential of the file."""
    secrets = kubeconfig_secrets(read_kubeconfig(path, context))
    try:
        configuration = client.Configuration()
        config.load_kube_config(config_file=path, context=context or None, client_configuration=configuration,
                                persist_config=False)
        configuration.retries = read_retries()  # idempotent requests only; creates are checked by name
        return client.ApiClient(configuration)
    except (config.ConfigException, ValueError, KeyError, TypeError, binascii.Error) as err:
        text = str(err)
        for value in secrets:
            text = text.replace(value, "***")
        raise ClusterError(f"KUBECONFIG '{path}' is not usable: {text}") from None


class Cluster:
    """A connection to one cluster (an isolated ApiClient; exec gets its own client because
    ``kubernetes.stream`` temporarily patches the client it is given)."""

    def __init__(self, kubeconfig: str, context: str | None = None, request_timeout: float = 30.0):
        self.kubeconfig = kubeconfig
        self.context = context
        self.request_timeout = request_timeout
        #: credentials of the kubeconfig, for the library to mask in every output
        self.secrets = tuple(kubeconfig_secrets(read_kubeconfig(kubeconfig, context)))
        self._api_client = load_kubeconfig(kubeconfig, context)
        self._raw_core = client.CoreV1Api(self._api_client)
        self.core = _GuardedApi(self._raw_core, self)
        #: the procedure step running now (set by the library's listener); named in failures
        self.step = ""
        #: the step during which the API server first became unreachable
        self.unreachable_since = ""
        self._exec_core = client.CoreV1Api(load_kubeconfig(kubeconfig, context))
        #: where long waits report progress (the console in a robot run; None: silent)
        self.progress: Emit | None = None

    def gave_up(self, what: str, err: BaseException) -> ClusterError:
        """The error once retries are exhausted: cause, bound and the step it happened in."""
        where = f"while running '{self.step}'" if self.step else "outside a procedure step (suite setup/teardown)"
        if isinstance(err, ApiException):
            cause = f"answered {_api_reason(err)}"
        else:
            cause = f"is unreachable ({_cause(err)})"
            self.unreachable_since = self.unreachable_since or (self.step or "suite setup/teardown")
        since = (f"; it has been unreachable since '{self.unreachable_since}'"
                 if self.unreachable_since and self.unreachable_since != self.step else "")
        return ClusterError(f"API server {self.server} {cause} on {what}, after {RETRIES} retries with back-off, "
                            f"{where}{since}")

    def _create_checked(self, what: str, create: Callable[[], object], exists: Callable[[], bool]) -> None:
        """Create once; when the answer is an error that may hide a success (5xx, 429, a reset
        connection), check by name before trying again, so nothing is created twice."""
        for attempt in range(RETRIES + 1):
            try:
                create()
                return
            except ApiException as err:
                if err.status not in RETRY_STATUS:
                    raise
                last: BaseException = err
            except (Urllib3Error, OSError) as err:
                last = err
            try:
                if exists():
                    return  # the create took effect; only its answer was lost
            except ClusterError:
                pass
            time.sleep(_backoff(attempt))  # back-off before trying again
        raise self.gave_up(f"creating {what}", last)

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
        except ApiException as err:
            if err.status in RETRY_STATUS:
                raise self.gave_up("reading its version", err) from None
            raise ClusterError(f"API server {self.server} answered {_api_reason(err)}") from err
        except (Urllib3Error, OSError) as err:
            raise ClusterError(
                f"API server {self.server} (KUBECONFIG '{self.kubeconfig}') is unreachable: {err}"
            ) from err
        return info.git_version

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

    def pods_on_node(self, node: str) -> list[client.V1Pod]:
        """Pods bound to ``node`` that still hold resources (not Succeeded/Failed)."""
        pods = self.core.list_pod_for_all_namespaces(
            field_selector=f"spec.nodeName={node}", _request_timeout=self.request_timeout
        ).items
        return [p for p in pods if (p.status.phase or "") not in ("Succeeded", "Failed")]

    # ---- namespaces ---------------------------------------------------------------------

    def create_namespace(self, name: str, labels: Mapping[str, str]) -> None:
        body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=dict(labels)))
        def exists() -> bool:
            return bool(self.core.list_namespace(field_selector=f"metadata.name={name}",
                                                 _request_timeout=self.request_timeout).items)
        try:
            self._create_checked(f"namespace '{name}'", lambda: self._raw_core.create_namespace(
                body, _request_timeout=self.request_timeout), exists)
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
        broken = 0  # watch streams broken in a row
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
                    broken = 0
                    if event["type"] == "DELETED":
                        break
            except (Urllib3Error, OSError) as err:  # the watch broke: list again, watch again
                broken += 1
                if broken > WATCH_RETRIES:
                    raise self.gave_up(f"watching {what}", err) from None
                time.sleep(_backoff(broken))

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
            except (Urllib3Error, OSError) as err:
                return f"pod '{name}': API server {self.server} unreachable: {err}"
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
            name = body["metadata"]["name"]

            def exists() -> bool:
                return bool(self.core.list_namespaced_pod(namespace, field_selector=f"metadata.name={name}",
                                                          _request_timeout=self.request_timeout).items)
            self._create_checked(f"pod '{namespace}/{name}'", lambda: self._raw_core.create_namespaced_pod(
                namespace, body, _request_timeout=self.request_timeout), exists)
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
        broken = 0  # watch streams broken in a row
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
                        broken = 0
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
            except (Urllib3Error, OSError) as err:  # the watch broke: list again, watch again
                broken += 1
                if broken > WATCH_RETRIES or time.monotonic() >= deadline:
                    raise self.gave_up(f"watching pods in '{namespace}'", err) from None
                time.sleep(_backoff(broken))

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
            time.sleep(_backoff(attempt))
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
