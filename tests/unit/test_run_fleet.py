"""The fleet run (nricpuset-fleet) refuses bad input before it starts anything, naming the input."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

from CpusetLibrary.cli import run_fleet


def _fleet(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("nricpuset-fleet")), "-d", str(tmp_path / "out"),
                           *args], capture_output=True, text=True, timeout=60, cwd=tmp_path)


@pytest.mark.parametrize("args, expected", [
    (["--node", "Worker_1"], "'Worker_1' is not a node name"),
    (["--node", "w1", "--node", "w1"], "a node is named twice"),
    (["--node", "w1=missing.yaml"], "variable file 'missing.yaml' does not exist"),
    (["--node", "w1", "-V", "nope.yaml"], "--variablefile 'nope.yaml' does not exist"),
    (["--node", "w1", "--suite", "suites"], "is not a .robot file"),
    (["--node", "w1", "--", "--variable", "SSH_PASSWORD:Secret:x"], "SSH_PASSWORD on the command line"),
])
def test_bad_input_is_refused_naming_it_and_creates_nothing(tmp_path, args, expected):
    done = _fleet(tmp_path, *args)
    assert done.returncode == 2
    assert expected in done.stderr
    assert not (tmp_path / "out").exists()


def test_simulated_needs_at_least_one_node(tmp_path):
    done = _fleet(tmp_path, "--simulated", "0")
    assert done.returncode == 2
    assert "--simulated must be a number of nodes >= 1, got 0" in done.stderr


def test_nodes_file_lines_and_comments(tmp_path):
    varfile = tmp_path / "w2.yaml"
    varfile.write_text("SSH_USER: qa\n")
    nodes = tmp_path / "nodes.txt"
    nodes.write_text(f"# the lab\nw1\n\nw2={varfile}  # own user\n")
    parsed = run_fleet.read_nodes_file(nodes)
    assert [n.name for n in parsed] == ["w1", "w2"]
    assert parsed[1].variablefiles == [str(varfile.resolve())]
    nodes.write_text("w1\nbad node\n")
    with pytest.raises(run_fleet.FleetError, match=r"nodes.txt:2 'bad node'"):
        run_fleet.read_nodes_file(nodes)


def test_argument_file_names_the_node_in_suite_name_metadata_tag_and_target(tmp_path):
    node = run_fleet.FleetNode("ip-10-0-0-7.ec2.internal", variables={"NODE_ACCESS": "ssh"})
    text = run_fleet.argument_file(node, run_fleet.DEFAULT_SUITE, ["/x/fleet.yaml"])
    assert text.splitlines() == [
        "--name Annotated Pod State Corruption On ip-10-0-0-7.ec2.internal",
        "--metadata Node:ip-10-0-0-7.ec2.internal",
        "--settag node:ip-10-0-0-7.ec2.internal",
        "--variablefile /x/fleet.yaml",
        "--variable NODE_ACCESS:ssh",
        "--variable TARGET_NODE:ip-10-0-0-7.ec2.internal",
    ]


def test_password_variable_file_reads_the_environment_as_a_secret(monkeypatch):
    from robot.utils import Importer

    # loaded by its path, as robot loads a variable file
    ssh_password_from_env = Importer("variable file").import_class_or_module_by_path(
        str(ROOT / "resources" / "ssh_password_from_env.py"), instantiate_with_args=())
    from robot.api.types import Secret

    monkeypatch.delenv("NRI_SSH_PASSWORD", raising=False)
    with pytest.raises(RuntimeError, match="NRI_SSH_PASSWORD is not set"):
        ssh_password_from_env.get_variables()
    monkeypatch.setenv("NRI_SSH_PASSWORD", "s3cret")
    password = ssh_password_from_env.get_variables()["SSH_PASSWORD"]
    assert isinstance(password, Secret) and password.value == "s3cret"
    assert "s3cret" not in repr(password)


def test_simulated_nodes_tell_their_process_the_cluster_is_simulated():
    from types import SimpleNamespace

    sim = SimpleNamespace(kubeconfig="/r/nrisim/kubeconfig", plugin_model="pre-fix", nodes=[
        {"name": f"sim-node-{i}", "plugin_log": f"/r/nodes/sim-node-{i}/weka-cpuset.log",
         "restart_command": f"/r/nodes/sim-node-{i}/restart"} for i in (1, 2)])
    nodes = run_fleet.simulated_nodes(sim)
    assert [n.name for n in nodes] == ["sim-node-1", "sim-node-2"]
    for node in nodes:
        lines = run_fleet.argument_file(node, run_fleet.DEFAULT_SUITE, []).splitlines()
        assert "--variable SIMULATED_PLUGIN_MODEL:pre-fix" in lines
        assert "--variable KUBECONFIG:/r/nrisim/kubeconfig" in lines
