"""A plugin binary as the node's plugin process: one per node, launched on the node's own NRI
socket in a private mount namespace showing the node's sysfs, driven over NRI as containerd
drives an external plugin."""
from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
import shutil
from collections import deque
from pathlib import Path
from typing import Mapping, Sequence

from ...plugin.interface import Adjustment, ContainerInfo, ContainerUpdate, PluginError
from ..connection import (RUNTIME_NAME, RUNTIME_VERSION, PluginConnection, PluginGone, PluginLauncher,
                          RuntimeSide)
from . import convert
from .process import PluginBinaryError, PluginProcess, binary_version, check_binary, check_host, sha256
from .schema import CREATE_CONTAINER, REMOVE_CONTAINER, RUN_POD_SANDBOX, UPDATE_CONTAINER, M
from .sysfs import write_sysfs
from .ttrpc import MAX_MESSAGE, RpcError
from .wire import NriWire, PluginClosed

log = logging.getLogger("nrisim.nri")

REGISTRATION_TIMEOUT = 5.0  # containerd's default plugin_registration_timeout
STOP_GRACE = 5.0
TAIL = 12  # output lines shown when a binary fails to start (the launcher shows 15 lines of stderr)


class BinaryConnection(PluginConnection):
    real_stall = True
    #: the largest Synchronize message sent whole (ttrpc's 4 MiB less the request's envelope)
    sync_message_limit = MAX_MESSAGE - 64 * 1024

    def __init__(self, wire: NriWire, process: PluginProcess, instance, runtime: RuntimeSide) -> None:
        self.wire = wire
        self.process = process
        self.instance = instance
        self.runtime = runtime
        self.stopped = False
        self.sync_messages = 0  # how many messages the last Synchronize took
        self._tasks: set[asyncio.Task] = set()

    # -- the runtime's requests ---------------------------------------------------------
    async def _call(self, method: str, request: object, reply_type: type) -> object:
        try:
            return await self.wire.call(method, request, reply_type)
        except PluginClosed as closed:
            self.process.resume()  # a stopped process must see the close to exit
            raise PluginGone(closed.reason) from None

    async def synchronize(self, containers: Sequence[ContainerInfo]) -> list[ContainerUpdate]:
        """Every pod and container in one message, or, when that exceeds ttrpc's message size,
        in pieces with ``more`` set, as containerd splits them (each piece a share of the
        objects scaled by max size / size, at most 0.9; the pieces' replies must be empty)."""
        pods = list({c.sandbox_id: convert.pod_sandbox(c) for c in containers}.values())
        ctrs = [convert.container(c, "running") for c in containers]
        pods_per, ctrs_per = len(pods), len(ctrs)
        self.sync_messages = 0
        while True:
            request = M.SynchronizeRequest(pods=pods[:pods_per], containers=ctrs[:ctrs_per],
                                           more=len(pods) > pods_per or len(ctrs) > ctrs_per)
            size = request.ByteSize()
            if size > self.sync_message_limit:
                factor = min(0.9, self.sync_message_limit / size)
                pods_per, ctrs_per = int(pods_per * factor), int(ctrs_per * factor)
                if pods_per + ctrs_per < 8:
                    pods_per, ctrs_per = min(4, len(pods)), min(4, len(ctrs))
                    if M.SynchronizeRequest(pods=pods[:pods_per], containers=ctrs[:ctrs_per]).ByteSize() \
                            > self.sync_message_limit:
                        self.wire.close()
                        raise PluginGone("failed to synchronize plugin with split messages")
                continue
            self.sync_messages += 1
            reply = await self._call("Synchronize", request, M.SynchronizeResponse)
            if not request.more:
                return [convert.update(u) for u in reply.update]
            if len(reply.update) or reply.more != request.more:
                self.wire.close()
                raise PluginGone(f"closing plugin {self.wire.plugin_id}: plugin does not handle split sync "
                                 "requests")
            pods, ctrs = pods[pods_per:], ctrs[ctrs_per:]
            pods_per, ctrs_per = min(pods_per, len(pods)), min(ctrs_per, len(ctrs))

    async def run_pod_sandbox(self, namespace: str, name: str, uid: str = "", sandbox_id: str = "",
                              annotations: Mapping[str, str] | None = None) -> None:
        if self.wire.subscribed(RUN_POD_SANDBOX):
            pod = M.PodSandbox(id=sandbox_id, name=name, uid=uid, namespace=namespace,
                               annotations=dict(annotations or {}))
            await self._state_change(RUN_POD_SANDBOX, pod, None)

    async def _state_change(self, event: int, pod: object, container: object | None) -> None:
        request = M.StateChangeEvent(event=event, pod=pod)
        if container is not None:
            request.container.CopyFrom(container)
        try:
            await self._call("StateChange", request, M.Empty)
        except RpcError as err:
            log.warning("plugin %s failed to handle event %d: %s", self.wire.plugin_id, event, err.message)

    async def create_container(self, info: ContainerInfo) -> Adjustment:
        if not self.wire.subscribed(CREATE_CONTAINER):
            return Adjustment()
        try:
            reply = await self._call("CreateContainer", M.CreateContainerRequest(
                pod=convert.pod_sandbox(info), container=convert.container(info)), M.CreateContainerResponse)
        except RpcError as err:
            raise PluginError(err.message) from None
        for update in reply.update:  # other containers' updates returned with the adjustment
            u = convert.update(update)
            self.runtime.apply_locked(u.container_id, u.cpus, u.mems)
        return convert.adjustment(reply)

    async def update_container(self, info: ContainerInfo) -> ContainerUpdate | None:
        if not self.wire.subscribed(UPDATE_CONTAINER):
            return None
        container = convert.container(info, "running")
        try:
            reply = await self._call("UpdateContainer", M.UpdateContainerRequest(
                pod=convert.pod_sandbox(info), container=container,
                linux_resources=container.linux.resources), M.UpdateContainerResponse)
        except RpcError as err:
            raise PluginError(err.message) from None
        own = [u for u in reply.update if u.container_id == info.container_id]
        return convert.update(own[0]) if own else None

    async def remove_container(self, info: ContainerInfo) -> None:
        if self.wire.subscribed(REMOVE_CONTAINER):
            await self._state_change(REMOVE_CONTAINER, convert.pod_sandbox(info), convert.container(info, "stopped"))

    # -- the plugin's own calls -------------------------------------------------------------
    async def update_containers(self, updates: Sequence[object]) -> list[object]:
        failed = set(await self.runtime.apply_plugin_updates([convert.update(u) for u in updates]))
        return [u for u in updates if u.container_id in failed]

    # -- process control ------------------------------------------------------------------------
    def stall(self, seconds: float) -> None:
        """SIGSTOP; SIGCONT after ``seconds`` unless infinite (then at the close)."""
        self.process.pause()
        if math.isfinite(seconds):
            self._spawn(self._resume_after(seconds))

    async def _resume_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.process.resume()

    def stop(self) -> None:
        self.stopped = True
        self.wire.close()
        self._spawn(self.process.terminate(STOP_GRACE))

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def watch(self) -> None:
        """Report the process's end to the runtime (unless the runtime ended it)."""
        code = await self.process.wait()
        self.wire.close()
        if not self.stopped:
            log.info("plugin %s exited with code %d", self.wire.plugin_id, code)
            self.runtime.plugin_process_exited(self, code)


class BinaryLauncher(PluginLauncher):
    """Launches ``binary`` for one node; ``workdir`` holds the node's socket and sysfs tree."""

    def __init__(self, binary: str, workdir: Path, registration_timeout: float = REGISTRATION_TIMEOUT) -> None:
        self.binary = check_binary(binary)
        self.workdir = workdir
        self.registration_timeout = registration_timeout
        # an abstract unix socket (Linux): it vanishes with the listener, even when the simulator
        # is killed, and the plugin dials it as ``@name`` (Go's convention for abstract names)
        self.socket_path = f"@nrisim-{os.getpid()}-{workdir.name}-{secrets.token_hex(4)}"
        self.sysfs_root = workdir / "sysfs"
        self.description = f"binary {self.binary}"
        self._server: asyncio.AbstractServer | None = None
        self._accepted: asyncio.Queue | None = None
        self._connections: list[BinaryConnection] = []
        self._processes: list[PluginProcess] = []

    async def _listen(self, runtime: RuntimeSide) -> None:
        if self._server is not None:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        write_sysfs(runtime.topology, self.sysfs_root)
        self._accepted = asyncio.Queue()
        queue = self._accepted

        def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            queue.put_nowait((reader, writer))

        self._server = await asyncio.start_unix_server(accepted, path="\0" + self.socket_path[1:])

    async def launch(self, runtime: RuntimeSide) -> PluginConnection:
        await self._listen(runtime)
        assert self._accepted is not None
        while not self._accepted.empty():  # a connection of a process that is gone
            _reader, writer = self._accepted.get_nowait()
            writer.close()
        printed: deque[str] = deque(maxlen=TAIL)
        holder: list = []

        def on_line(line: str) -> None:
            printed.append(line)
            if holder:
                runtime.sink.line(holder[0], line)

        process = PluginProcess(self.binary, self.socket_path, self.sysfs_root, on_line)
        pid = await process.start()
        self._processes.append(process)
        holder.append(runtime.sink.start_instance(pid, process.command))
        accept = asyncio.ensure_future(self._accepted.get())
        exited = asyncio.ensure_future(process.wait())
        try:
            done, _ = await asyncio.wait({accept, exited}, timeout=self.registration_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in (accept, exited):
                if not fut.done():
                    fut.cancel()
        if accept not in done:
            if exited in done:
                raise PluginBinaryError(self._failed(f"exited with code {exited.result()} before registering",
                                                     printed))
            await process.terminate(1.0)
            raise PluginBinaryError(self._failed(
                f"did not connect to {self.socket_path} within the registration timeout "
                f"({self.registration_timeout:g} s)", printed))
        reader, writer = accept.result()
        connection: BinaryConnection | None = None

        async def on_update(updates: Sequence[object]) -> list[object]:
            assert connection is not None
            return await connection.update_containers(updates)

        wire = NriWire(reader, writer, on_update, runtime.request_timeout, self.registration_timeout)
        connection = BinaryConnection(wire, process, holder[0], runtime)
        try:
            await wire.handshake(RUNTIME_NAME, RUNTIME_VERSION)
        except (PluginClosed, RpcError) as err:
            wire.close()
            await process.terminate(1.0)
            raise PluginBinaryError(self._failed(f"did not register: {err}", printed)) from None
        self._connections.append(connection)
        connection._spawn(connection.watch())
        return connection

    def _failed(self, what: str, printed: Sequence[str]) -> str:
        shown = "\n".join(f"    {line}" for line in printed) or "    (nothing)"
        return f"plugin binary {self.binary} {what}; it printed:\n{shown}"

    def metadata(self) -> dict[str, str]:
        return {"path": str(self.binary), "sha256": sha256(self.binary),
                "version": binary_version(self.binary) or "unknown (no --version output)"}

    async def aclose(self) -> None:
        """End every process (SIGTERM, SIGKILL after a second) and wait for it; then close."""
        for connection in self._connections:
            connection.stopped = True
            connection.wire.close()
        await asyncio.gather(*(p.terminate(1.0) for p in self._processes), return_exceptions=True)
        for connection in self._connections:
            for task in list(connection._tasks):
                task.cancel()
            await asyncio.gather(*connection._tasks, return_exceptions=True)
        self.close()

    def close(self) -> None:
        """Kill every process still running (SIGCONT first), stop listening, remove the socket
        and the sysfs tree."""
        for process in self._processes:
            process.resume()
            process.kill()
        if self._server is not None:
            self._server.close()
            self._server = None
        shutil.rmtree(self.workdir, ignore_errors=True)


__all__ = ["BinaryConnection", "BinaryLauncher", "PluginBinaryError", "check_host"]
