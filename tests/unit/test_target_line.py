"""The console line every procedure prints before its first step (issue 16, path 9)."""
from __future__ import annotations

from CpusetLibrary.runstop import RunStop
from CpusetLibrary.target import target_line


def test_a_real_cluster_is_named_with_everything_a_reader_needs():
    line = target_line("Relocate Cpu", {
        "Target": "real cluster", "Cluster": "``https://10.0.0.5:6443`` (kubeconfig ``/etc/rancher/k3s/k3s.yaml``)",
        "Node": "worker-1", "Nodes": "3 (worker-1, worker-2, worker-3)",
        "Plugin access": "ssh root@10.0.0.7:22 /var/log/weka-cpuset.log", "Plugin model": "real plugin",
        "Library": "CpusetLibrary 0.1.0"})
    assert line == ("Target of Relocate Cpu: real cluster; cluster https://10.0.0.5:6443 (kubeconfig "
                    "/etc/rancher/k3s/k3s.yaml); node worker-1; nodes 3 (worker-1, worker-2, worker-3); plugin access "
                    "ssh root@10.0.0.7:22 /var/log/weka-cpuset.log; plugin model real plugin")


def test_the_stop_reason_crosses_processes_through_the_stop_file(tmp_path):
    stop_file = tmp_path / "stopped"
    first = RunStop()
    assert first.current(str(stop_file)) == ""
    first.record("Relocate Cpu", "KUBECONFIG '/x' is not a readable file\nmore", str(stop_file))
    later = RunStop()  # the next procedure's robot process
    assert later.current(str(stop_file)) == ("not run: procedure 'Relocate Cpu' found that no procedure can pass: "
                                             "KUBECONFIG '/x' is not a readable file")
    first.record("Other", "another cause", str(stop_file))  # the first reason stays
    assert "Relocate Cpu" in later.current(str(stop_file))
