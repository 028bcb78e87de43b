"""containerd + NRI as the plugin sees it: serialised hooks, containers' modeled cpusets,
background UpdateContainers, plugin (re)starts and Synchronize."""
from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from ..latency import Latencies
from ..plugin.interface import (Adjustment, ContainerInfo, ContainerUpdate, PluginError,
                               PluginExit, PluginModel)
from ..plugin.maporder import MapOrder
from .connection import (RUNTIME_NAME, RUNTIME_VERSION, ModelLauncher, PluginConnection,  # noqa: F401
                         PluginGone, PluginLauncher, RuntimeSide)
from .pluginlog import PLUGIN_ID, PluginInstanceLog, PluginLogSink
from .procfs import format_cpu_list, parse_cpu_list
from ..topology import Topology

log = logging.getLogger("nrisim.runtime")


def new_container_id() -> str:
    return secrets.token_hex(32)


class NameReserved(Exception):
    """containerd's CRI refuses a CreateContainer whose name another request or container holds."""


@dataclass
class SimContainer:
    info: ContainerInfo
    cri_name: str = ""
    cpus: frozenset[int] | None = None  # None = unpinned (all online CPUs)
    mems: frozenset[int] | None = None  # None = all NUMA nodes
    state: str = "created"  # created, running, exited, removed
    cpus_text: str = ""  # cpuset.cpus as written in the OCI spec (what runc writes)


class ContainerStartError(Exception):
    """runc could not start the container; ``str(err)`` is containerd's message as kubelet
    reports it (``StartError``, exit code 128)."""


def runc_cpuset_error(cgroup_dir: str, cpus_text: str) -> str:
    """containerd's wrapping of runc's failure to write an invalid ``cpuset.cpus``."""
    return ("failed to create containerd task: failed to create shim task: OCI runtime create failed: "
            "runc create failed: unable to start container process: error during container init: "
            f'error setting cgroup config for procHooks process: failed to write "{cpus_text}": '
            f"write {cgroup_dir}/cpuset.cpus: invalid argument: unknown")


class SimRuntime(RuntimeSide):
    """All mutation happens on the simulator loop. ``lock`` is FIFO (asyncio.Lock), so hook
    calls and background updates reach the plugin in arrival order, as the NRI adaptation's
    mutex does. The plugin is whatever ``launcher`` starts (a model, or a binary)."""

    def __init__(self, topology: Topology, model_cls: type[PluginModel] | None, sink: PluginLogSink,
                 latencies: Latencies, map_order: MapOrder | None = None,
                 launcher: PluginLauncher | None = None) -> None:
        self.topology = topology
        if launcher is None:
            assert model_cls is not None, "a plugin model or a launcher"
            launcher = ModelLauncher(model_cls)
        self.launcher = launcher
        self.sink = sink
        self.latencies = latencies
        self.request_timeout = latencies.plugin_request_timeout
        self.map_order = map_order or MapOrder()
        self.lock = asyncio.Lock()
        self.containers: dict[str, SimContainer] = {}
        self.connection: PluginConnection | None = None
        self.instance: PluginInstanceLog | None = None
        self._tasks: set[asyncio.Task] = set()
        self.on_plugin_started: Callable[[PluginInstanceLog], None] | None = None
        #: called with the exit code when the plugin process ends on its own (connection closed)
        self.on_plugin_exited: Callable[[int], None] | None = None
        self.names: dict[str, str] = {}  # CRI container name -> id (in flight or created)
        self.unresponsive_until: float | None = None  # loop time; None: the plugin answers

    # -- cpusets -------------------------------------------------------------
    def effective_cpus(self, cid: str) -> frozenset[int]:
        c = self.containers[cid]
        return c.cpus if c.cpus is not None else frozenset(self.topology.online)

    def effective_mems(self, cid: str) -> frozenset[int]:
        c = self.containers[cid]
        return c.mems if c.mems is not None else frozenset(self.topology.memory_nodes)

    def _apply(self, cid: str, cpus: str, mems: str) -> bool:
        c = self.containers.get(cid)
        if c is None or c.state == "removed":
            return False
        try:
            if cpus:
                parsed = frozenset(parse_cpu_list(cpus))
                if c.state == "running" and self.topology.not_online(parsed):
                    # runc update writes cpuset.cpus of a live cgroup: the kernel refuses it
                    log.warning("runtime rejected cpuset %s for %s: CPUs not online", cpus, cid[:12])
                    return False
                c.cpus, c.cpus_text = parsed, cpus
            if mems:
                c.mems = frozenset(parse_cpu_list(mems))
        except ValueError as err:
            log.warning("runtime rejected cpuset update for %s: %s", cid[:12], err)
            return False
        return True

    # -- plugin process --------------------------------------------------------
    @property
    def model(self) -> PluginConnection | None:
        """The connected plugin (None: no plugin connected); kept under its old name."""
        return self.connection

    async def _start_plugin_locked(self, raise_errors: bool = False) -> None:
        """A new plugin process registers: Configure, then Synchronize (lock held)."""
        try:
            connection = await self.launcher.launch(self)
        except Exception:
            if raise_errors:
                raise
            log.exception("plugin process did not start")
            return
        self.connection = connection
        self.instance = connection.instance
        try:
            infos = [replace(c.info, current_cpus=format_cpu_list(c.cpus) if c.cpus is not None else "",
                             exited=False)
                     for c in self.containers.values() if c.state in ("created", "running")]
            updates = await connection.synchronize(infos)
            for u in updates:
                self._apply(u.container_id, u.cpus, u.mems)
        except PluginGone as gone:
            self._connection_closed(connection, gone.reason)
            return
        except Exception:  # a broken model must not take the simulator down
            log.exception("plugin model failed during configure/synchronize")
        if self.on_plugin_started:
            self.on_plugin_started(connection.instance)

    async def start_plugin(self, raise_errors: bool = False) -> None:
        async with self.lock:
            await self._start_plugin_locked(raise_errors)

    async def restart_runtime(self) -> None:
        """``systemctl restart k3s``: containerd restarts and relaunches the plugin; running
        containers keep running. Hooks wait until the runtime is back."""
        async with self.lock:
            self._end_connection()
            await asyncio.sleep(self.latencies.plugin_restart)
            await self._start_plugin_locked()

    def _end_connection(self) -> None:
        connection, self.connection = self.connection, None
        self.instance = None
        self.unresponsive_until = None
        if connection is not None:
            connection.stop()

    def stop_plugin(self) -> None:
        """The plugin process ends (its pod was deleted); containers created meanwhile are
        not adjusted, as with no plugin connected."""
        self._end_connection()

    def make_unresponsive(self, seconds: float) -> None:
        """The plugin stops answering NRI requests for ``seconds`` (math.inf: until containerd
        closes it). Its process stays connected meanwhile."""
        if self.connection is not None and self.connection.real_stall:
            self.connection.stall(seconds)
            return
        self.unresponsive_until = asyncio.get_running_loop().time() + seconds

    async def _plugin_answers(self, hook: str) -> bool:
        """Lock held. False when the plugin did not answer: containerd waited up to
        ``plugin_request_timeout``, closed the connection, and the plugin process exited 0
        (the NRI stub exits when its connection closes); the request goes on without it."""
        if self.connection is None or self.unresponsive_until is None:
            return self.connection is not None
        loop = asyncio.get_running_loop()
        silent_for = self.unresponsive_until - loop.time()
        if silent_for <= 0:
            self.unresponsive_until = None
            return True
        silent = self.model  # the process that does not answer; only it ends here
        if silent_for < self.latencies.plugin_request_timeout:
            await asyncio.sleep(silent_for)  # the process exits (SIGTERM handled) before the timeout
            if self.model is silent:  # not replaced meanwhile (a new pod's process is not this one)
                self._plugin_gone(0, None)
            return False
        await asyncio.sleep(self.latencies.plugin_request_timeout)
        if self.model is silent:
            self._plugin_gone(0, f"closing plugin {PLUGIN_ID}, failed to handle {hook} request: "
                                 "context deadline exceeded")
        return False

    def _plugin_gone(self, code: int, reason: str | None) -> None:
        """The plugin process ends (the stub exits silently when its connection closes; the
        reason is containerd's, logged by containerd, not in the plugin's output)."""
        if reason:
            log.info("%s", reason)
        self.stop_plugin()
        if self.on_plugin_exited is not None:
            self.on_plugin_exited(code)

    def _connection_closed(self, connection: PluginConnection, reason: str) -> None:
        """The runtime closed a binary during a request: it is gone now, and its process's exit
        (reported by :meth:`plugin_process_exited`) restarts it as any exit does."""
        log.info("%s", reason)
        if self.connection is connection:
            self.connection = None
            self.instance = None

    def plugin_process_exited(self, connection: PluginConnection, code: int) -> None:
        if self.connection is not None and self.connection.is_process(connection):
            self.connection = None
            self.instance = None
        if self.on_plugin_exited is not None:
            self.on_plugin_exited(code)

    # -- CRI names ---------------------------------------------------------------
    def reserve_name(self, name: str, cid: str) -> None:
        holder = self.names.get(name)
        if holder is not None and holder != cid:
            raise NameReserved(f'failed to reserve container name "{name}": name "{name}" is reserved for '
                               f'"{holder}"')
        self.names[name] = cid

    def container_named(self, name: str) -> SimContainer | None:
        cid = self.names.get(name)
        return self.containers.get(cid) if cid else None

    def containers_of_pod(self, pod_uid: str) -> list[SimContainer]:
        """The runtime's containers of one pod (as kubelet lists them by the pod-UID label)."""
        return [c for c in self.containers.values() if c.info.pod_uid == pod_uid]

    # -- hooks -------------------------------------------------------------------
    async def run_pod_sandbox(self, namespace: str, name: str, uid: str = "", sandbox_id: str = "",
                              annotations: dict[str, str] | None = None) -> None:
        async with self.lock:
            connection = self.connection
            if await self._plugin_answers("RunPodSandbox") and connection is not None:
                try:
                    await connection.run_pod_sandbox(namespace, name, uid, sandbox_id, annotations or {})
                except PluginGone as gone:
                    self._connection_closed(connection, gone.reason)
                except Exception:
                    log.exception("plugin model failed in RunPodSandbox")

    async def create_container(self, info: ContainerInfo, cri_name: str = "") -> SimContainer:
        """CreateContainer through the plugin; raises PluginError on refusal and NameReserved
        when ``cri_name`` is held by another request or container (before any NRI call)."""
        cri_name = cri_name or info.container_id
        self.reserve_name(cri_name, info.container_id)
        try:
            return await self._create_container(info, cri_name)
        except BaseException:
            if self.names.get(cri_name) == info.container_id:
                del self.names[cri_name]
            raise

    async def _create_container(self, info: ContainerInfo, cri_name: str) -> SimContainer:
        async with self.lock:
            adjustment = Adjustment()
            connection = self.connection
            if await self._plugin_answers("CreateContainer") and connection is not None:
                try:
                    adjustment = await connection.create_container(info)
                except PluginError:
                    raise
                except PluginGone as gone:
                    self._connection_closed(connection, gone.reason)
                except Exception as err:  # a model bug surfaces as a refusal, not a crash
                    log.exception("plugin model failed in CreateContainer")
                    raise PluginError(f"plugin model error: {err}") from err
            c = SimContainer(info, cri_name)
            self.containers[info.container_id] = c
            self._apply(info.container_id, adjustment.cpus, adjustment.mems)
            return c

    def start_container(self, cid: str, cgroup_dir: str = "") -> None:
        """runc create + start. A cpuset naming a CPU that is not online fails as runc does:
        the container exits at once (the plugin is not told) and ContainerStartError says why."""
        c = self.containers.get(cid)
        if c is None:
            return
        if c.cpus is not None and self.topology.not_online(c.cpus):
            c.state = "exited"
            raise ContainerStartError(runc_cpuset_error(cgroup_dir or f"/sys/fs/cgroup/kubepods/{cid}",
                                                        c.cpus_text or format_cpu_list(c.cpus)))
        c.state = "running"

    def stop_container(self, cid: str) -> None:
        """Container exit: the plugin is not told (it does not subscribe to StopContainer)."""
        c = self.containers.get(cid)
        if c is not None and c.state != "removed":
            c.state = "exited"

    async def remove_container(self, cid: str) -> None:
        async with self.lock:
            c = self.containers.pop(cid, None)
            if c is None:
                return
            c.state = "removed"
            if self.names.get(c.cri_name) == cid:
                del self.names[c.cri_name]
            connection = self.connection
            if await self._plugin_answers("RemoveContainer") and connection is not None:
                try:
                    await connection.remove_container(replace(c.info, exited=True))
                except PluginExit as ended:  # the process died in the hook: kubelet restarts it
                    self._plugin_gone(ended.code, None)
                except PluginGone as gone:
                    self._connection_closed(connection, gone.reason)
                except Exception:
                    log.exception("plugin model failed in RemoveContainer")

    async def update_container(self, cid: str, **resources: int | None) -> None:
        """CRI UpdateContainerResources (``cpu_quota``, ``cpu_period``, ``cpu_shares``,
        ``memory_limit``): the plugin sees UpdateContainer and its own update of the container,
        if any, replaces the cpuset. A refusal leaves the container as it was."""
        async with self.lock:
            c = self.containers.get(cid)
            if c is None:
                return
            c.info = replace(c.info, **resources)
            connection = self.connection
            if await self._plugin_answers("UpdateContainer") and connection is not None:
                info = replace(c.info, current_cpus=format_cpu_list(c.cpus) if c.cpus is not None else "")
                try:
                    update = await connection.update_container(info)
                except PluginGone as gone:
                    self._connection_closed(connection, gone.reason)
                    return
                except PluginError as err:
                    log.info("plugin refused UpdateContainer of %s: %s", cid[:12], err)
                    return
                except Exception:
                    log.exception("plugin model failed in UpdateContainer")
                    return
                if update is not None:
                    self._apply(cid, update.cpus, update.mems)

    # -- Runtime interface for the model ------------------------------------------
    def update_containers(self, updates: Sequence[ContainerUpdate],
                          on_done: Callable[[list[str]], None] | None = None) -> None:
        connection = self.connection
        updates = list(updates)

        async def apply() -> None:
            await asyncio.sleep(self.latencies.update_apply)
            async with self.lock:
                failed = [u.container_id for u in updates if not self._apply(u.container_id, u.cpus, u.mems)]
                if on_done is not None and self.connection is connection and connection is not None:
                    try:
                        on_done(failed)
                    except Exception:
                        log.exception("plugin model failed in UpdateContainers callback")

        task = asyncio.get_running_loop().create_task(apply())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def apply_locked(self, container_id: str, cpus: str, mems: str) -> bool:
        return self._apply(container_id, cpus, mems)

    async def apply_plugin_updates(self, updates: Sequence[ContainerUpdate]) -> list[str]:
        """A binary's own UpdateContainers call: applied under the runtime's lock, as
        containerd's adaptation does; the ids it could not update."""
        await asyncio.sleep(self.latencies.update_apply)
        async with self.lock:
            return [u.container_id for u in updates if not self._apply(u.container_id, u.cpus, u.mems)]
