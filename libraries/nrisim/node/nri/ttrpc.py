"""ttrpc (containerd's light gRPC) over one multiplexed conn: messages
``[length u32 BE][stream id u32 BE][type u8][flags u8][payload]``; unary calls only.
A client's stream ids are odd and increase by 2; the server answers each request on its id."""
from __future__ import annotations

import asyncio
import logging
import struct
from typing import Awaitable, Callable

from .mux import MuxConn, TrunkClosed
from .schema import M

log = logging.getLogger("nrisim.nri")

HEADER = struct.Struct(">IIBB")
MAX_MESSAGE = 4 * 1024 * 1024
REQUEST, RESPONSE, DATA = 1, 2, 3
UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INVALID_ARGUMENT = 2, 4, 12, 3

Handler = Callable[[bytes], Awaitable[bytes]]


class RpcError(Exception):
    """A ttrpc status other than OK; ``message`` is the remote's error string."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"rpc error: code = {code} desc = {message}")
        self.code = code
        self.message = message


class HandlerError(Exception):
    """Raised by a server handler: answered as a status with ``code`` and ``message``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


async def read_message(conn: MuxConn) -> tuple[int, int, int, bytes]:
    length, stream, kind, flags = HEADER.unpack(await conn.read_exactly(HEADER.size))
    if length > MAX_MESSAGE:
        raise TrunkClosed(f"ttrpc message of {length} bytes exceeds {MAX_MESSAGE}")
    return stream, kind, flags, await conn.read_exactly(length)


async def write_message(conn: MuxConn, stream: int, kind: int, payload: bytes) -> None:
    await conn.write(HEADER.pack(len(payload), stream, kind, 0) + payload)


class Client:
    """Calls the service the other end serves on ``conn``."""

    def __init__(self, conn: MuxConn) -> None:
        self.conn = conn
        self._next = 1
        self._pending: dict[int, asyncio.Future[bytes]] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                stream, kind, _flags, payload = await read_message(self.conn)
                if kind != RESPONSE:
                    continue
                future = self._pending.pop(stream, None)
                if future is None or future.done():
                    continue
                response = M.Response.FromString(payload)
                if response.status.code != 0:
                    future.set_exception(RpcError(response.status.code, response.status.message))
                else:
                    future.set_result(response.payload)
        except (TrunkClosed, ConnectionError, ValueError) as err:
            self._fail(err)

    def _fail(self, err: Exception) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(TrunkClosed(f"NRI connection closed: {err}"))
        self._pending.clear()

    async def call(self, service: str, method: str, payload: bytes, timeout: float | None) -> bytes:
        """The response payload; raises RpcError, TrunkClosed, or TimeoutError after ``timeout``."""
        stream = self._next
        self._next += 2
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[stream] = future
        request = M.Request(service=service, method=method, payload=payload,
                            timeout_nano=int(timeout * 1e9) if timeout else 0)
        try:
            await write_message(self.conn, stream, REQUEST, request.SerializeToString())
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(stream, None)

    def close(self) -> None:
        self._reader.cancel()
        self._fail(TrunkClosed("client closed"))


class Server:
    """Serves ``handlers[(service, method)]`` on ``conn``; each request runs in its own task."""

    def __init__(self, conn: MuxConn, handlers: dict[tuple[str, str], Handler]) -> None:
        self.conn = conn
        self.handlers = handlers
        self._last = 0
        self._tasks: set[asyncio.Task] = set()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                stream, kind, _flags, payload = await read_message(self.conn)
                if kind != REQUEST:
                    continue
                if stream % 2 == 0 or stream <= self._last:
                    log.warning("NRI: dropping ttrpc request with invalid stream id %d", stream)
                    continue
                self._last = stream
                task = asyncio.get_running_loop().create_task(self._serve(stream, payload))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        except (TrunkClosed, ConnectionError):
            pass

    async def _serve(self, stream: int, payload: bytes) -> None:
        request = M.Request.FromString(payload)
        handler = self.handlers.get((request.service, request.method))
        response = M.Response()
        if handler is None:
            response.status.code = UNIMPLEMENTED
            response.status.message = f"service {request.service} method {request.method} not implemented"
        else:
            try:
                response.payload = await handler(request.payload)
            except HandlerError as err:
                response.status.code = err.code
                response.status.message = err.message
            except Exception as err:  # a runtime bug answers the plugin, it does not kill the conn
                log.exception("NRI: %s/%s handler failed", request.service, request.method)
                response.status.code = UNKNOWN
                response.status.message = str(err)
        try:
            await write_message(self.conn, stream, RESPONSE, response.SerializeToString())
        except (TrunkClosed, ConnectionError):
            pass

    def close(self) -> None:
        self._reader.cancel()
        for task in list(self._tasks):
            task.cancel()
