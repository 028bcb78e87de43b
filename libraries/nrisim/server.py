"""Run the simulated cluster: in-process (tests, a daemon thread) or in the foreground (CLI)."""
from __future__ import annotations

import asyncio
import json
import math
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from aiohttp import web

from .apiserver.api import Api
from .apiserver.cluster import Cluster
from .config import SimConfig
from .latency import Latencies
from .kubeconfig import write_kubeconfig, write_restart_script

__all__ = ["SimConfig", "SimulatedCluster"]


class SimulatedCluster:
    """``with SimulatedCluster(SimConfig(...)) as sim:`` then use ``sim.kubeconfig_path``."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.workdir = Path(self.config.workdir or tempfile.mkdtemp(prefix="nrisim-"))
        self.kubeconfig_path = Path(self.config.kubeconfig or self.workdir / "kubeconfig")
        self.node_names = self.config.node_names()
        if self.config.nodes == 1:  # the single-node layout (kept: lanes and docs name these paths)
            self.plugin_log_paths = {self.node_names[0]: Path(self.config.log_file
                                                               or self.workdir / "weka-cpuset.log")}
            self.restart_commands = {self.node_names[0]: str(self.workdir / "bin" / "restart-k3s")}
        else:
            self.plugin_log_paths = {n: self.workdir / "nodes" / n / "weka-cpuset.log" for n in self.node_names}
            self.restart_commands = {n: str(self.workdir / "bin" / f"restart-k3s-{n}") for n in self.node_names}
        # the first node's files, under the single-node names
        self.node_name = self.node_names[0]
        self.plugin_log_path = self.plugin_log_paths[self.node_name]
        self.restart_command = self.restart_commands[self.node_name]
        self.api_url = ""
        self.cluster: Cluster | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    # -- async core (runs on the simulator's loop) ----------------------------------------
    async def start_async(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.cluster = Cluster(self.config, self.plugin_log_paths)
        try:
            await self.cluster.start()
        except BaseException:
            await self.cluster.shutdown()  # a plugin binary that failed to start leaves nothing behind
            raise
        api = Api(self.cluster)
        self._runner = web.AppRunner(api.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.api_url = f"http://{self.config.host}:{port}"
        write_kubeconfig(self.kubeconfig_path, self.api_url)
        for node, command in self.restart_commands.items():
            write_restart_script(Path(command), self.api_url, node if self.config.nodes > 1 else None)
        (self.workdir / "cluster.json").write_text(json.dumps(self.info()))

    async def stop_async(self) -> None:
        if self.cluster is not None:
            self.cluster.store.close_watchers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.cluster is not None:
            await self.cluster.shutdown()

    def info(self) -> dict[str, Any]:
        return {"api_url": self.api_url, "kubeconfig": str(self.kubeconfig_path), "node": self.node_name,
                "plugin_log": str(self.plugin_log_path), "restart_command": self.restart_command,
                "plugin_model": self.config.plugin_model,
                "plugin_binary": self.cluster.plugin_metadata() if self.cluster else {}, "cpus": self.config.cpus, "pid": os.getpid(),
                "workdir": str(self.workdir), "numa_nodes": self.config.numa_nodes,
                "offline_cpus": self.config.offline_cpus, "map_order_seed": self.config.map_order_seed,
                # seconds; "inf" (strict JSON has no infinity) for a wait that never ends by itself
                "latencies": {name: value if math.isfinite(value := getattr(self.config.latencies, name)) else "inf"
                              for name in Latencies.names()},
                "nodes": [{"name": n, "plugin_log": str(self.plugin_log_paths[n]),
                           "restart_command": self.restart_commands[n]} for n in self.node_names]}

    # -- thread API ---------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> "SimulatedCluster":
        if self._thread is not None:
            raise RuntimeError("simulated cluster already started")
        ready = threading.Event()
        errors: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._stopped = asyncio.Event()
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as err:  # reported to the caller of start()
                errors.append(err)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_until_complete(self._stopped.wait())
                loop.run_until_complete(self.stop_async())
            finally:
                loop.close()

        self._thread = threading.Thread(target=main, name="nrisim", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError(f"simulated cluster did not start within {timeout} s")
        if errors:
            self._thread = None
            raise errors[0]
        return self

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is None:
            return
        if self.loop is not None and self._stopped is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout)
        self._thread = None

    def call(self, fn, *args, timeout: float = 30.0):
        """Run ``fn(*args)`` (sync or async) on the simulator loop and return its result (tests)."""
        async def run():
            result = fn(*args)
            if asyncio.iscoroutine(result):
                result = await result
            return result
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def __enter__(self) -> "SimulatedCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
