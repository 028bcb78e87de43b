"""The runtime's end of one external NRI plugin's connection, as containerd's adaptation
drives it: it serves RegisterPlugin and UpdateContainers, calls Configure, Synchronize and the
events the plugin subscribed to, each with the request timeout; a timeout, a closed connection
or a protocol error closes the plugin."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Sequence

from .mux import PLUGIN_SERVICE_CONN, RUNTIME_SERVICE_CONN, Trunk, TrunkClosed
from .schema import M, subscribed
from .ttrpc import Client, RpcError, Server

log = logging.getLogger("nrisim.nri")

PLUGIN_SERVICE = "nri.pkg.api.v1alpha1.Plugin"
RUNTIME_SERVICE = "nri.pkg.api.v1alpha1.Runtime"

UpdateHandler = Callable[[Sequence[object]], Awaitable[list[object]]]


class PluginClosed(Exception):
    """The runtime closed the plugin (or lost it); ``reason`` is containerd's log line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NriWire:
    """One accepted plugin connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 on_update_containers: UpdateHandler, request_timeout: float,
                 registration_timeout: float) -> None:
        self.trunk = Trunk(reader, writer)
        self.request_timeout = request_timeout
        self.registration_timeout = registration_timeout
        self.on_update_containers = on_update_containers
        self.registered: asyncio.Future[tuple[str, str]] = asyncio.get_running_loop().create_future()
        self.events = 0
        self.name = ""
        self.idx = ""
        self.server = Server(self.trunk.open(RUNTIME_SERVICE_CONN), {
            (RUNTIME_SERVICE, "RegisterPlugin"): self._register,
            (RUNTIME_SERVICE, "UpdateContainers"): self._update_containers,
        })
        self.client = Client(self.trunk.open(PLUGIN_SERVICE_CONN))
        self._reader = asyncio.get_running_loop().create_task(self.trunk.run())

    @property
    def plugin_id(self) -> str:
        return f"{self.idx}-{self.name}"

    @property
    def closed(self) -> asyncio.Event:
        return self.trunk.closed

    async def _register(self, payload: bytes) -> bytes:
        req = M.RegisterPluginRequest.FromString(payload)
        if not self.registered.done():
            self.registered.set_result((req.plugin_name, req.plugin_idx))
        return M.Empty().SerializeToString()

    async def _update_containers(self, payload: bytes) -> bytes:
        req = M.UpdateContainersRequest.FromString(payload)
        failed = await self.on_update_containers(list(req.update))
        return M.UpdateContainersResponse(failed=failed).SerializeToString()

    async def handshake(self, runtime_name: str, runtime_version: str, config: str = "") -> None:
        """Wait for RegisterPlugin (registration timeout), then Configure."""
        try:
            self.name, self.idx = await asyncio.wait_for(asyncio.shield(self.registered),
                                                         self.registration_timeout)
        except asyncio.TimeoutError:
            self.close()
            raise PluginClosed(f"plugin did not register within {self.registration_timeout:g}s") from None
        reply = await self.call("Configure", M.ConfigureRequest(
            config=config, runtime_name=runtime_name, runtime_version=runtime_version,
            registration_timeout=int(self.registration_timeout * 1000),
            request_timeout=int(self.request_timeout * 1000)), M.ConfigureResponse)
        self.events = reply.events

    def subscribed(self, event: int) -> bool:
        return subscribed(self.events, event)

    async def call(self, method: str, request: object, reply_type: type) -> object:
        """One request with the request timeout; a timeout or a lost connection closes the
        plugin (PluginClosed); the plugin's own error comes back as RpcError."""
        try:
            payload = await self.client.call(PLUGIN_SERVICE, method, request.SerializeToString(),
                                             self.request_timeout)
        except asyncio.TimeoutError:
            self.close()
            raise PluginClosed(f"closing plugin {self.plugin_id}, failed to handle {method} request: "
                               "context deadline exceeded") from None
        except TrunkClosed as err:
            self.close()
            raise PluginClosed(f"plugin {self.plugin_id} disconnected: {err}") from None
        try:
            return reply_type.FromString(payload)
        except Exception as err:  # protobuf's DecodeError: a protocol error
            self.close()
            raise PluginClosed(f"closing plugin {self.plugin_id}: malformed {method} reply: {err}") from None

    async def synchronize(self, pods: Sequence[object], containers: Sequence[object]) -> list[object]:
        reply = await self.call("Synchronize", M.SynchronizeRequest(pods=pods, containers=containers, more=False),
                                M.SynchronizeResponse)
        return list(reply.update)

    def close(self) -> None:
        self.client.close()
        self.server.close()
        self.trunk.close()


__all__ = ["NriWire", "PluginClosed", "RpcError"]
