"""Conformance of the simulator's NRI runtime side with containerd's NRI stub library: our own
plugin (tests/nriplugin, Go, github.com/containerd/nri v0.9.0) is built and hosted on a
simulated node as a plugin binary; every test checks what the runtime applied and logged.
Needs root and Linux mount namespaces (the binary runs with the node's sysfs)."""
from __future__ import annotations

import functools
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client, config

from nrisim.latency import profile
from nriplugin import build_conformance_plugin

LIBRARIES = str(Path(__file__).resolve().parents[2] / "libraries")
STAMP = r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] "
ZERO_ID = "0" * 64


@pytest.fixture(scope="module")
def conform() -> Path:
    return build_conformance_plugin()


def api_of(sim) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))


def plugin_log(sim) -> str:
    return sim.plugin_log_path.read_text()


def runtime_of(sim):
    return sim.cluster.first_node.runtime


def container_id(api, name: str) -> str:
    pod = api.read_namespaced_pod(name, "default")
    return pod.status.container_statuses[0].container_id.split("://", 1)[1]


def plugin_pids(sim) -> list[int]:
    return [int(m) for m in re.findall(r"Starting Weka NRI Plugin \(PID: (\d+)\)", plugin_log(sim))]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_registers_in_the_wrappers_log_format_with_the_nodes_sysfs(tmp_path, h, conform):
    with h.make_sim(tmp_path, cpus=16, numa_nodes=2, offline_cpus="13", plugin_binary=str(conform)) as sim:
        api = api_of(sim)
        h.eventually(lambda: "SYNCHRONIZE pods=0 containers=0" in plugin_log(sim))
        lines = plugin_log(sim).splitlines()
        pid = plugin_pids(sim)[0]
        assert re.fullmatch(STAMP + rf"Starting Weka NRI Plugin \(PID: {pid}\)", lines[0])
        assert re.fullmatch(STAMP + rf"Command: {re.escape(str(conform))} --socket @nrisim-\S+", lines[1])
        assert all(re.match(STAMP, line) for line in lines)
        text = plugin_log(sim)
        assert f"STARTING pid={pid}" in text, "the PID in the wrapper's line is the plugin's own"
        # stderr (logrus) and stdout through one pipe
        assert 'level=info msg="Registering plugin 10-conform..."' in text
        assert "CONFIGURE runtime=containerd version=v2.0.5-k3s1 registration=5s request=2s" in text
        # the node's topology, not the host's: 16 CPUs, CPU 13 offline, siblings c and c+8, 2 NUMA nodes
        assert ("TOPOLOGY online=0-12,14-15 offline=13 possible=0-15 siblings0=0,8 node0=0-3,8-11 "
                "node1=4-7,12,14-15") in text
        plugin_pod = api.list_namespaced_pod("kube-system", label_selector="app=weka-nri-cpuset").items[0]
        pod_log = api.read_namespaced_pod_log(plugin_pod.metadata.name, "kube-system")
        assert "CONFIGURE runtime=containerd" in pod_log and "Starting Weka NRI Plugin" not in pod_log
        meta = json.loads((sim.workdir / "cluster.json").read_text())["plugin_binary"]
        import hashlib
        assert meta["path"] == str(conform)
        assert meta["sha256"] == hashlib.sha256(conform.read_bytes()).hexdigest()
        assert "version" in meta


def test_adjustment_refusal_update_and_removal(tmp_path, h, conform):
    with h.make_sim(tmp_path, cpus=16, numa_nodes=2, plugin_binary=str(conform)) as sim:
        api = api_of(sim)
        api.create_namespaced_pod("default", h.pod_body("adj", annotations={"conform/cpus": "2-3",
                                                                            "conform/mems": "1"}))
        h.wait_running(api, "adj")
        assert h.exec_cpus(api, "adj") == "2-3"
        cid = container_id(api, "adj")
        assert runtime_of(sim).effective_mems(cid) == {1}
        uid = api.read_namespaced_pod("adj", "default").metadata.uid
        assert f"RUN-POD default/adj uid={uid} sandbox=64 annotations=2" in plugin_log(sim)
        assert ('CREATE default/adj weka-container cpus="" quota=100000 period=100000 shares=1024 '
                f"memory={64 * 1024 * 1024}") in plugin_log(sim)
        # a refusal, wrapped as containerd wraps it
        api.create_namespaced_pod("default", h.pod_body("nope", annotations={"conform/refuse": "not on my node"}))
        waiting = h.eventually(lambda: (s := api.read_namespaced_pod("nope", "default").status.container_statuses)
                               and s[0].state.waiting and s[0].state.waiting.reason == "CreateContainerError"
                               and s[0].state.waiting)
        assert waiting.message == ("failed to create containerd container: failed to get NRI adjustment for "
                                   "container: rpc error: code = Unknown desc = not on my node")
        # UpdateContainer carries the new resources
        sim.call(functools.partial(runtime_of(sim).update_container, cid, cpu_quota=200000))
        assert 'UPDATE default/adj weka-container cpus="2-3" quota=200000 period=100000' in plugin_log(sim)
        # RemoveContainer as a state change
        api.delete_namespaced_pod("adj", "default", grace_period_seconds=0)
        h.eventually(lambda: "REMOVE default/adj weka-container" in plugin_log(sim))


def test_event_mask_limits_what_the_plugin_is_sent(tmp_path, h, conform, monkeypatch):
    monkeypatch.setenv("NRI_CONFORM_EVENTS", "CreateContainer")
    with h.make_sim(tmp_path, cpus=8, plugin_binary=str(conform)) as sim:
        api = api_of(sim)
        api.create_namespaced_pod("default", h.pod_body("only", annotations={"conform/cpus": "1"}))
        h.wait_running(api, "only")
        assert h.exec_cpus(api, "only") == "1"
        api.delete_namespaced_pod("only", "default", grace_period_seconds=0)
        h.eventually(lambda: not runtime_of(sim).containers)
        text = plugin_log(sim)
        assert "Subscribing plugin 10-conform (" in text and "for events CreateContainer" in text
        assert "CREATE default/only" in text
        assert "RUN-POD" not in text and "REMOVE" not in text


def test_synchronize_sends_running_containers_and_applies_its_updates(tmp_path, h, conform):
    with h.make_sim(tmp_path, cpus=16, plugin_binary=str(conform)) as sim:
        api = api_of(sim)
        api.create_namespaced_pod("default", h.pod_body("synced", cpu="2", memory="1Gi", annotations={
            "conform/cpus": "2-3", "conform/sync-cpus": "5,6"}))
        h.wait_running(api, "synced")
        assert h.exec_cpus(api, "synced") == "2-3"
        first = plugin_pids(sim)[0]
        sim.call(sim.cluster.first_node.restart_runtime)
        h.eventually(lambda: len(plugin_pids(sim)) == 2 and "SYNCHRONIZE pods=1 containers=1" in plugin_log(sim))
        h.eventually(lambda: not alive(first))
        assert ('SYNC-CONTAINER default/synced weka-container cpus="2-3" quota=200000 period=100000 '
                f"shares=2048 memory={1 << 30}") in plugin_log(sim)
        assert h.exec_cpus(api, "synced") == "5-6"


def test_update_containers_applied_and_failed_one_reported(tmp_path, h, conform):
    with h.make_sim(tmp_path, cpus=16, plugin_binary=str(conform)) as sim:
        api = api_of(sim)
        api.create_namespaced_pod("default", h.pod_body("moved", annotations={"conform/cpus": "2"}))
        h.wait_running(api, "moved")
        api.create_namespaced_pod("default", h.pod_body("mover", annotations={"conform/cpus": "3",
                                                                              "conform/move-cpus": "7"}))
        h.wait_running(api, "mover")
        h.eventually(lambda: h.exec_cpus(api, "moved") == "7")
        assert h.exec_cpus(api, "mover") == "3"
        h.eventually(lambda: f"UPDATED requested=2 failed={ZERO_ID} err=<nil>" in plugin_log(sim))


def test_answer_slower_than_request_timeout_closes_the_plugin(tmp_path, h, conform):
    lat = profile("fast").with_overrides({"plugin_request_timeout": 0.5, "plugin_restart": 4.0})
    with h.make_sim(tmp_path, cpus=8, latencies=lat, plugin_binary=str(conform)) as sim:
        api = api_of(sim)
        h.eventually(lambda: "SYNCHRONIZE" in plugin_log(sim))
        first = plugin_pids(sim)[0]
        api.create_namespaced_pod("default", h.pod_body("slow", annotations={"conform/cpus": "1",
                                                                             "conform/delay-ms": "1500"}))
        h.wait_running(api, "slow")
        # containerd closed the plugin after 0.5 s and created the container without it
        assert h.exec_cpus(api, "slow") == "0-7"
        h.eventually(lambda: "CONNECTION CLOSED" in plugin_log(sim) and not alive(first))
        # no plugin connected: the next container is left unpinned
        api.create_namespaced_pod("default", h.pod_body("between", annotations={"conform/cpus": "2"}))
        h.wait_running(api, "between")
        assert h.exec_cpus(api, "between") == "0-7"
        status = h.eventually(lambda: (s := api.list_namespaced_pod(
            "kube-system", label_selector="app=weka-nri-cpuset").items[0].status.container_statuses[0])
            .restart_count == 1 and s.ready and s)
        assert status.last_state.terminated.exit_code == 0
        assert len(plugin_pids(sim)) == 2


def test_stall_runs_into_the_request_timeout(tmp_path, h, conform):
    lat = profile("fast").with_overrides({"plugin_request_timeout": 0.5})
    with h.make_sim(tmp_path, cpus=8, latencies=lat, plugin_binary=str(conform)) as sim:
        api = api_of(sim)
        h.eventually(lambda: "SYNCHRONIZE" in plugin_log(sim))
        first = plugin_pids(sim)[0]
        sim.call(sim.cluster.first_node.stall_plugin, float("inf"))
        h.eventually(lambda: Path(f"/proc/{first}/stat").read_text().split(") ", 1)[1][0] == "T")
        api.create_namespaced_pod("default", h.pod_body("stalled", annotations={"conform/cpus": "1"}))
        h.wait_running(api, "stalled")
        assert h.exec_cpus(api, "stalled") == "0-7"
        h.eventually(lambda: not alive(first))


def test_nothing_remains_after_the_cluster_stops(tmp_path, h, conform):
    with h.make_sim(tmp_path, cpus=8, nodes=2, plugin_binary=str(conform)) as sim:
        h.eventually(lambda: all("SYNCHRONIZE" in p.read_text() for p in sim.plugin_log_paths.values()))
        pids = [int(re.search(r"PID: (\d+)", p.read_text()).group(1)) for p in sim.plugin_log_paths.values()]
        assert len(set(pids)) == 2 and all(alive(pid) for pid in pids)
        sockets = re.findall(r"--socket (@\S+)", "".join(p.read_text() for p in sim.plugin_log_paths.values()))
        assert len(set(sockets)) == 2, "one socket per node"
        workdirs = [p.parent / f"nri-{n}" for n, p in sim.plugin_log_paths.items()]
    assert not any(alive(pid) for pid in pids)
    listening = Path("/proc/net/unix").read_text()
    assert not any(s[1:] in listening for s in sockets)
    assert not any(w.exists() for w in workdirs)


def test_a_killed_simulator_leaves_no_plugin_process(tmp_path, conform):
    env = {**os.environ, "PYTHONPATH": LIBRARIES}
    workdir = tmp_path / "sim"
    proc = subprocess.Popen([sys.executable, "-m", "nrisim", "--cpus", "8", "--workdir", str(workdir),
                             "--plugin-binary", str(conform)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (workdir / "cluster.json").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the simulator did not start"
            time.sleep(0.1)
        text = (workdir / "weka-cpuset.log").read_text()
        pid = int(re.search(r"PID: (\d+)", text).group(1))
        socket = re.search(r"--socket @(\S+)", text).group(1)
        assert alive(pid)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)
    assert socket not in Path("/proc/net/unix").read_text()


@pytest.mark.parametrize("script, expected", [
    ("#!/bin/sh\necho about to fail\necho on stderr >&2\nexit 3\n",
     r"exited with code 3 before registering; it printed:\n    about to fail\n    on stderr"),
])
def test_a_binary_that_does_not_register_is_refused_with_what_it_printed(tmp_path, h, script, expected):
    binary = tmp_path / "bad-plugin"
    binary.write_text(script)
    binary.chmod(0o755)
    with pytest.raises(ValueError, match=expected):
        h.make_sim(tmp_path, cpus=8, plugin_binary=str(binary)).start()
    assert not (tmp_path / "sim" / "nri-sim-node-1").exists()


def test_a_binary_that_never_connects_is_refused_after_the_registration_timeout(tmp_path, h):
    binary = tmp_path / "silent-plugin"
    binary.write_text("#!/bin/sh\necho waiting forever\nexec sleep 60\n")
    binary.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(ValueError, match=r"did not connect to @nrisim-\S+ within the registration timeout "
                                         r"\(5 s\); it printed:\n    waiting forever"):
        h.make_sim(tmp_path, cpus=8, plugin_binary=str(binary)).start()
    assert time.monotonic() - started < 15
    assert "sleep 60" not in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout


def test_missing_or_not_executable_binary_is_refused(tmp_path, h):
    with pytest.raises(ValueError, match=r"plugin binary '/nonexistent/plugin' does not exist"):
        h.make_sim(tmp_path, cpus=8, plugin_binary="/nonexistent/plugin").start()
    plain = tmp_path / "plain"
    plain.write_text("not a program")
    with pytest.raises(ValueError, match=r"is not an executable file"):
        h.make_sim(tmp_path, cpus=8, plugin_binary=str(plain)).start()


def test_hosting_a_binary_without_root_says_what_it_needs(tmp_path, h, conform, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(ValueError, match=r"hosting a plugin binary needs root \(it runs in a private mount "
                                         r"namespace"):
        h.make_sim(tmp_path, cpus=8, plugin_binary=str(conform)).start()


def test_the_library_starts_a_simulator_hosting_the_binary_and_names_it(tmp_path, conform):
    from CpusetLibrary.keywords.connection import _binary_description
    from CpusetLibrary.simlauncher import start_simulator

    sim = start_simulator(tmp_path / "sim", cpus=8, plugin_binary=str(conform))
    try:
        assert sim.plugin_binary["path"] == str(conform)
        assert "CONFIGURE runtime=containerd" in Path(sim.plugin_log).read_text()
        described = _binary_description(sim.plugin_binary)
        assert described.startswith(f"binary ``{conform}`` (sha256 {sim.plugin_binary['sha256']}, version ")
    finally:
        sim.stop()
    pid = int(re.search(r"PID: (\d+)", Path(sim.plugin_log).read_text()).group(1))
    assert not alive(pid)


def test_the_library_shows_why_a_binary_did_not_start(tmp_path):
    from CpusetLibrary.simlauncher import SimulatorError, start_simulator

    binary = tmp_path / "bad-plugin"
    binary.write_text("#!/bin/sh\necho cannot read my config\nexit 4\n")
    binary.chmod(0o755)
    with pytest.raises(SimulatorError, match=r"exited with code 4 before registering; it printed:\n"
                                             r"    cannot read my config"):
        start_simulator(tmp_path / "sim", cpus=8, plugin_binary=str(binary))


def test_a_large_synchronize_is_split_and_the_stub_joins_it(tmp_path, h, conform, monkeypatch):
    from nrisim.node.nri.binary import BinaryConnection

    monkeypatch.setattr(BinaryConnection, "sync_message_limit", 1500)
    with h.make_sim(tmp_path, cpus=16, plugin_binary=str(conform)) as sim:
        api = api_of(sim)
        for index in range(12):
            api.create_namespaced_pod("default", h.pod_body(f"many-{index}", cpu="100m"))
        for index in range(12):
            h.wait_running(api, f"many-{index}")
        sim.call(sim.cluster.first_node.restart_runtime)
        h.eventually(lambda: "SYNCHRONIZE pods=12 containers=12" in plugin_log(sim))
        assert runtime_of(sim).connection.sync_messages > 1


def test_deleting_the_plugin_pod_stops_the_process_and_starts_a_new_one(tmp_path, h, conform):
    with h.make_sim(tmp_path, cpus=8, plugin_binary=str(conform)) as sim:
        api = api_of(sim)
        h.eventually(lambda: "SYNCHRONIZE" in plugin_log(sim))
        first = plugin_pids(sim)[0]
        old = api.list_namespaced_pod("kube-system", label_selector="app=weka-nri-cpuset").items[0]
        api.delete_namespaced_pod(old.metadata.name, "kube-system")
        new = h.eventually(lambda: [p for p in api.list_namespaced_pod(
            "kube-system", label_selector="app=weka-nri-cpuset").items
            if p.metadata.name != old.metadata.name and p.status.container_statuses[0].ready])
        h.eventually(lambda: len(plugin_pids(sim)) == 2 and not alive(first))
        assert alive(plugin_pids(sim)[1])
        assert "CONFIGURE runtime=containerd" in api.read_namespaced_pod_log(new[0].metadata.name, "kube-system")


def test_hosting_a_binary_without_mount_namespaces_says_what_it_needs(tmp_path, h, conform, monkeypatch):
    import nrisim.node.nri.process as process

    refused = subprocess.CompletedProcess(["unshare"], 1, "", "unshare: unshare failed: Operation not permitted")
    monkeypatch.setattr(process.subprocess, "run", lambda *a, **k: refused)
    with pytest.raises(ValueError, match=r"needs Linux mount namespaces \(`unshare -m` failed: unshare: unshare "
                                         r"failed: Operation not permitted\)"):
        h.make_sim(tmp_path, cpus=8, plugin_binary=str(conform)).start()


def test_a_plugins_update_containers_waits_for_the_runtimes_lock(tmp_path):
    """The plugin's UpdateContainers is applied under the same lock as every NRI event, as
    containerd's adaptation holds one lock across both."""
    import asyncio

    from nrisim.node.pluginlog import PluginLogSink
    from nrisim.node.runtime import SimContainer, SimRuntime
    from nrisim.plugin.head import HeadModel
    from nrisim.plugin.interface import ContainerUpdate
    from nrisim.topology import Topology
    from plugin_fakes import shared

    sink = PluginLogSink(tmp_path / "plugin.log")
    runtime = SimRuntime(Topology(8, 2, 1), HeadModel, sink, profile("fast").with_overrides({"update_apply": 0}))
    info = shared()
    runtime.containers[info.container_id] = SimContainer(info, cpus=frozenset({1}), state="running")

    async def scenario() -> tuple[bool, frozenset[int], list[str]]:
        async with runtime.lock:  # an event in progress
            update = asyncio.ensure_future(runtime.apply_plugin_updates(
                [ContainerUpdate(info.container_id, "3"), ContainerUpdate("f" * 64, "3")]))
            await asyncio.sleep(0.05)
            waited = not update.done() and runtime.effective_cpus(info.container_id) == {1}
        failed = await update
        return waited, runtime.effective_cpus(info.container_id), failed

    waited, cpus, failed = asyncio.run(scenario())
    sink.close()
    assert waited, "applied while an event held the lock"
    assert cpus == {3} and failed == ["f" * 64]


def test_a_shadow_model_reports_the_first_decision_where_it_differs_from_the_binary(tmp_path, h, conform):
    with h.make_sim(tmp_path, cpus=8, plugin_binary=str(conform), shadow_model="head") as sim:
        api = api_of(sim)
        same = {"weka.io/cores-ids": "3", "conform/cpus": "3", "conform/mems": "0"}
        api.create_namespaced_pod("default", h.pod_body("agreed", annotations=same))
        h.wait_running(api, "agreed")
        assert "nrisim shadow model" not in plugin_log(sim)
        for name in ("differs", "differs-too"):
            api.create_namespaced_pod("default", h.pod_body(name, annotations={"weka.io/cores-ids": "2"}))
            h.wait_running(api, name)
        assert h.exec_cpus(api, "differs") == "0-7", "the binary's answer is applied"
        cid = container_id(api, "differs")
        line = (f"nrisim shadow model head: first divergence at CreateContainer of default/differs/weka-container "
                f"({cid[:12]}): binary cpus (unchanged) mems (unchanged); model cpus 2 mems 0")
        h.eventually(lambda: line in plugin_log(sim))
        assert plugin_log(sim).count("nrisim shadow model") == 1, "only the first divergence"
        report = json.loads((sim.workdir / "shadow-divergence.json").read_text())
        assert report["event"] == "CreateContainer" and report["model_answer"] == "cpus 2 mems 0"
        assert json.loads((sim.workdir / "cluster.json").read_text())["plugin_binary"]["shadow_model"] == "head"
        assert (sim.workdir / "shadow-divergence.model.log").read_text().strip(), "the model's own output"


def test_the_library_names_a_shadow_model_in_the_metadata(tmp_path, conform):
    from CpusetLibrary.keywords.connection import _binary_description
    from CpusetLibrary.simlauncher import start_simulator

    sim = start_simulator(tmp_path / "sim", cpus=8, plugin_binary=str(conform), extra_args=["--shadow-model", "head"])
    try:
        assert _binary_description(sim.plugin_binary).endswith(", shadowed by model head)")
    finally:
        sim.stop()


def test_a_shadow_model_needs_a_binary(tmp_path, h):
    with pytest.raises(ValueError, match=r"shadow_model 'head' needs plugin_binary"):
        h.make_sim(tmp_path, cpus=8, shadow_model="head")


def test_a_killed_run_of_the_library_leaves_no_plugin_process(tmp_path, conform):
    """robot killed with SIGKILL: the simulator the library started dies with it, and the
    plugin processes die with the simulator."""
    script = ("import sys, time\n"
              "from CpusetLibrary.simlauncher import start_simulator\n"
              f"sim = start_simulator({str(tmp_path / 'sim')!r}, cpus=8, plugin_binary={str(conform)!r})\n"
              "print(sim.plugin_log, flush=True)\n"
              "time.sleep(600)\n")
    env = {**os.environ, "PYTHONPATH": LIBRARIES}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    try:
        log_path = Path(proc.stdout.readline().strip())
        pid = int(re.search(r"PID: (\d+)", log_path.read_text()).group(1))
        assert alive(pid)
    finally:
        proc.kill()
        proc.wait(10)
    deadline = time.monotonic() + 15
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def test_the_version_probe_cannot_reach_a_runtime(tmp_path):
    from nrisim.node.nri.process import binary_version

    probe = tmp_path / "plugin"
    probe.write_text('#!/bin/sh\necho "v9 socket-fd=$NRI_PLUGIN_SOCKET socket=$NRI_SOCKET"\n')
    probe.chmod(0o755)
    assert binary_version(probe) == "v9 socket-fd=none socket=@nrisim-version-probe-nobody-listens"


def test_an_nri_socket_in_the_environment_does_not_divert_the_plugin(tmp_path, h, conform, monkeypatch):
    monkeypatch.setenv("NRI_PLUGIN_SOCKET", "3")
    with h.make_sim(tmp_path, cpus=8, plugin_binary=str(conform)) as sim:
        h.eventually(lambda: "SYNCHRONIZE pods=0 containers=0" in plugin_log(sim))
