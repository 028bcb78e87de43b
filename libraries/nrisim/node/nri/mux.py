"""NRI's trunk multiplexer: one unix-socket connection carries several byte streams as frames
``[conn id u32 BE][length u32 BE][payload]``. Conn 1 carries the plugin's service, conn 2 the
runtime's. Frames for a conn nobody opened are dropped."""
from __future__ import annotations

import asyncio
import struct

PLUGIN_SERVICE_CONN = 1
RUNTIME_SERVICE_CONN = 2
HEADER = struct.Struct(">II")
MAX_PAYLOAD = (10 + 4) * 1024 * 1024


class TrunkClosed(ConnectionError):
    """The trunk's socket closed (or failed): every conn on it ends."""


class MuxConn:
    """One byte stream of the trunk."""

    def __init__(self, trunk: "Trunk", conn_id: int) -> None:
        self.trunk = trunk
        self.conn_id = conn_id
        self._buffer = bytearray()
        self._more = asyncio.Event()
        self._closed = False

    def _feed(self, data: bytes) -> None:
        self._buffer.extend(data)
        self._more.set()

    def _close(self) -> None:
        self._closed = True
        self._more.set()

    async def read_exactly(self, count: int) -> bytes:
        while len(self._buffer) < count:
            if self._closed:
                raise TrunkClosed("NRI connection closed")
            self._more.clear()
            await self._more.wait()
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    async def write(self, data: bytes) -> None:
        await self.trunk.send(self.conn_id, data)


class Trunk:
    """The runtime's end of one plugin's socket."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.conns: dict[int, MuxConn] = {}
        self._write_lock = asyncio.Lock()
        self.closed = asyncio.Event()

    def open(self, conn_id: int) -> MuxConn:
        conn = self.conns.setdefault(conn_id, MuxConn(self, conn_id))
        return conn

    async def run(self) -> None:
        """Read frames until the socket closes, then close every conn."""
        try:
            while True:
                header = await self.reader.readexactly(HEADER.size)
                conn_id, length = HEADER.unpack(header)
                if length > MAX_PAYLOAD:
                    raise TrunkClosed(f"NRI frame of {length} bytes exceeds {MAX_PAYLOAD}")
                payload = await self.reader.readexactly(length)
                conn = self.conns.get(conn_id)
                if conn is not None:
                    conn._feed(payload)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            self.close()

    async def send(self, conn_id: int, data: bytes) -> None:
        if self.closed.is_set():
            raise TrunkClosed("NRI connection closed")
        async with self._write_lock:
            for start in range(0, max(len(data), 1), MAX_PAYLOAD):
                chunk = data[start:start + MAX_PAYLOAD]
                self.writer.write(HEADER.pack(conn_id, len(chunk)) + chunk)
            try:
                await self.writer.drain()
            except (ConnectionError, OSError) as err:
                self.close()
                raise TrunkClosed(f"NRI connection closed: {err}") from err

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for conn in self.conns.values():
            conn._close()
        try:
            self.writer.close()
        except (ConnectionError, OSError, RuntimeError):
            pass
