"""NODE_ACCESS: local on the node itself (resources/on-node-k3s.yaml), against the simulator run
as its own process with a real kubeconfig file, and a k3s-like restart: the restart command takes
the API server away for a few seconds (a TCP proxy in front of the simulator closes). The run must
wait for the API to come back within RESTART_TIMEOUT instead of failing the next step."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from robot.api import ExecutionResult
from suite_steps import STATE_CORRUPTION, STATE_CORRUPTION_STEPS

from robot_runner import ROOT, run_robot

pytestmark = pytest.mark.suite
OUTAGE_SECONDS = 3.0


class OutageProxy:
    """A TCP proxy to ``target_port`` that, when ``request`` appears, closes everything (port
    included) for OUTAGE_SECONDS, as an API server going through `systemctl restart k3s`."""

    def __init__(self, target_port: int, workdir: Path) -> None:
        self.target_port = target_port
        self.request = workdir / "outage-request"
        self.started = workdir / "outage-started"
        self.outages = 0
        self.refused_while_down = False
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def start(self) -> "OutageProxy":
        self._thread.start()
        assert self._ready.wait(10), "proxy did not start"
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    async def _pipe(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._writers.difference_update({writer, up_writer})

    async def _serve(self) -> asyncio.base_events.Server:
        return await asyncio.start_server(self._client, "127.0.0.1", self.port, reuse_address=True)

    async def _watch(self) -> None:
        server = await self._serve()
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        while True:
            await asyncio.sleep(0.05)
            if not self.request.exists():
                continue
            server.close()
            for writer in list(self._writers):
                writer.close()
            await server.wait_closed()
            self.outages += 1
            self.started.touch()
            try:  # while down, the port refuses connections as a stopped API server does
                await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                self.refused_while_down = True
            await asyncio.sleep(OUTAGE_SECONDS)
            self.request.unlink()
            self.started.unlink()
            server = await self._serve()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.create_task(self._watch())
        self.loop.run_forever()


@pytest.fixture
def simulator_process(tmp_path):
    workdir = tmp_path / "sim"
    proc = subprocess.Popen([sys.executable, "-m", "nrisim", "--workdir", str(workdir)], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "libraries")})
    try:
        info = json.loads(proc.stdout.readline())
        yield info
    finally:
        proc.terminate()
        proc.wait(30)


def test_on_node_variable_file_names_the_k3s_files():
    values = yaml.safe_load((ROOT / "resources" / "on-node-k3s.yaml").read_text())
    assert values["KUBECONFIG"] == "/etc/rancher/k3s/k3s.yaml"
    assert values["NODE_ACCESS"] == "local"
    assert values["PLUGIN_LOG"] == "/var/log/weka-cpuset.log"
    assert values["RESTART_COMMAND"] == "systemctl restart k3s"


def test_ten_steps_on_the_node_through_a_restart_that_takes_the_api_away(simulator_process, tmp_path):
    info = simulator_process
    api_port = int(info["api_url"].rsplit(":", 1)[1])
    proxy = OutageProxy(api_port, tmp_path).start()
    try:
        kubeconfig = yaml.safe_load(Path(info["kubeconfig"]).read_text())
        for cluster in kubeconfig["clusters"]:
            cluster["cluster"]["server"] = f"http://127.0.0.1:{proxy.port}"
        for context in kubeconfig["contexts"]:  # k3s names its one context "default"
            context["name"] = "default"
        kubeconfig["current-context"] = "default"
        kubeconfig_file = tmp_path / "k3s.yaml"
        kubeconfig_file.write_text(yaml.safe_dump(kubeconfig))
        restart = tmp_path / "restart-k3s"
        restart.write_text(
            "#!/bin/sh\nset -e\n"
            f"touch '{proxy.request}'\n"
            f"while [ ! -e '{proxy.started}' ]; do sleep 0.05; done\n"  # the API is down now
            f"exec {info['restart_command']}\n")
        restart.chmod(0o755)
        started = time.monotonic()
        run = run_robot(tmp_path / "out", "-V", str(ROOT / "resources" / "on-node-k3s.yaml"),
                        "-v", f"KUBECONFIG:{kubeconfig_file}", "-v", f"TARGET_NODE:{info['node']}",
                        "-v", f"PLUGIN_LOG:{info['plugin_log']}", "-v", f"RESTART_COMMAND:{restart}",
                        "-v", "RESTART_TIMEOUT:60 s", suite=STATE_CORRUPTION)
        took = time.monotonic() - started
    finally:
        proxy.stop()
    statuses = {name: run.status(name) for name in STATE_CORRUPTION_STEPS}
    assert set(statuses.values()) == {"PASS"}, (statuses, run.stdout[-3000:])
    assert proxy.outages == 1 and proxy.refused_while_down
    assert took > OUTAGE_SECONDS
    result = ExecutionResult(str(run.outdir / "output.xml"))
    metadata = result.suite.metadata
    assert metadata["Plugin access"] == f"local {info['plugin_log']}"
    assert str(kubeconfig_file) in metadata["Cluster"]
    # what serves that kubeconfig is a simulator, and it says so (/nrisim/v1/info): it is
    # reported as one, never as the real node it stands in for here
    assert metadata["Cluster"].startswith("simulated (nrisim, started outside this run)")
    assert metadata["Target"].startswith("SIMULATED cluster")
    # The outage is ridden out either by the API client's bounded retries (a short one) or by
    # Restart Plugin's own wait for the API server (tests/unit/test_apiwait.py); which of the two
    # depends on timing, so only the outcome is asserted here: every step passed through it.
