"""A password, a key passphrase or a kubeconfig credential never reaches any output of a run,
whichever way it is passed, on passing and on failing runs (issue 11, point 1).

Every output is searched: the console, output.xml, log.html and report.html decoded as a
browser shows them, xunit.xml, the debug file and every evidence/simulator file."""
from __future__ import annotations

import base64
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from robot_outputs import decoded_robot_html

from nrisim.config import SimConfig
from nrisim.server import SimulatedCluster

pytestmark = pytest.mark.suite

SUITE = "suites/annotated_pod_state_corruption.robot"
TRACE = ("--loglevel", "TRACE", "--xunit", "xunit.xml", "--debugfile", "debug.txt")


def all_outputs(run) -> dict[str, str]:
    texts = {"console": run.stdout}
    for path in sorted(p for p in run.outdir.rglob("*") if p.is_file()):
        name = path.relative_to(run.outdir).as_posix()
        texts[name] = decoded_robot_html(path) if path.suffix == ".html" else path.read_text(errors="replace")
    assert {"output.xml", "log.html", "report.html", "xunit.xml", "debug.txt"} <= set(texts)
    return texts


def leaks(run, *values: str) -> list[str]:
    return [name for name, text in all_outputs(run).items() for value in values if value in text]


def ssh_base(sshd) -> list[str]:
    return ["-v", "NODE_ACCESS:ssh", "-v", f"SSH_PORT:{sshd.port}", "-v", f"SSH_KNOWN_HOSTS:{sshd.known_hosts}"]


def password_form(form: str, sshd, tmp: Path) -> tuple[list[str], dict[str, str]]:
    """robot arguments and environment that pass the sshd user's password in ``form``."""
    user = ["-v", f"SSH_USER:{sshd.password_user}"]
    if form == "plain -v":
        return [*user, "-v", f"SSH_PASSWORD:{sshd.password}"], {}
    if form == "near-miss Secret: without space":
        return [*user, "-v", f"SSH_PASSWORD:Secret:{sshd.password}"], {}
    if form == "YAML variable file":
        path = tmp / "vars.yaml"
        path.write_text(yaml.safe_dump({"SSH_PASSWORD": sshd.password}))
        return [*user, "--variablefile", str(path)], {}
    if form == "Python variable file":
        path = tmp / "vars.py"
        path.write_text(f"SSH_PASSWORD = {sshd.password!r}\n")
        return [*user, "--variablefile", str(path)], {}
    if form == "environment variable":
        return user, {"SSH_PASSWORD": sshd.password}
    raise AssertionError(form)


FORMS = ["plain -v", "near-miss Secret: without space", "YAML variable file", "Python variable file",
         "environment variable"]


@pytest.mark.sshd
@pytest.mark.parametrize("form", FORMS)
def test_password_in_any_form_is_accepted_and_never_written(public_robot_run, sshd, tmp_path, form):
    args, env = password_form(form, sshd, tmp_path)
    run = public_robot_run(*ssh_base(sshd), *args, *TRACE, suite=SUITE, env_extra=env)
    assert run.rc == 0 and set(s for s, _ in run.statuses.values()) == {"PASS"}, (run.statuses, run.stdout[-2000:])
    assert leaks(run, sshd.password) == []


@pytest.mark.sshd
@pytest.mark.parametrize("form", ["plain -v", "YAML variable file"])
def test_wrong_password_fails_without_writing_it(public_robot_run, sshd, tmp_path, form):
    wrong = "wrong-" + secrets.token_hex(6)
    args, env = password_form(form, sshd, tmp_path)
    args = [a.replace(sshd.password, wrong) for a in args]
    for path in tmp_path.glob("vars.*"):
        path.write_text(path.read_text().replace(sshd.password, wrong))
    run = public_robot_run(*ssh_base(sshd), *args, *TRACE, suite=SUITE, env_extra=env)
    assert run.rc != 0
    assert "authentication failed with password" in run.suite_message
    assert leaks(run, wrong) == []


@pytest.mark.sshd
def test_key_passphrase_given_plainly_is_accepted_and_never_written(public_robot_run, sshd, tmp_path):
    passphrase = "pp-" + secrets.token_hex(8)
    key = tmp_path / "encrypted_key"
    shutil.copy(sshd.client_key, key)
    key.chmod(0o600)
    subprocess.run(["ssh-keygen", "-q", "-p", "-P", "", "-N", passphrase, "-f", str(key)], check=True,
                   capture_output=True)
    args = ["-v", f"SSH_USER:{sshd.key_user}", "-v", f"SSH_KEY:{key}", "-v", f"SSH_KEY_PASSPHRASE:{passphrase}"]
    run = public_robot_run(*ssh_base(sshd), *args, *TRACE, suite=SUITE)
    assert run.rc == 0, (run.statuses, run.stdout[-2000:])
    assert leaks(run, passphrase) == []


# -- kubeconfig credentials ------------------------------------------------------------------------

@pytest.fixture
def sim(tmp_path):
    with SimulatedCluster(SimConfig(workdir=tmp_path / "sim")) as cluster:
        yield cluster


def kubeconfig_with_credentials(path: Path, server: str, token: str, key_marker: str) -> Path:
    key_data = base64.b64encode(f"-----BEGIN PRIVATE KEY-----\n{key_marker}\n-----END PRIVATE KEY-----\n"
                                .encode()).decode()
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": token, "client-key-data": key_data}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
    }))
    return path


def test_kubeconfig_token_and_client_key_never_written_passing_run(robot_run, sim, tmp_path):
    token = "tok-" + secrets.token_hex(12)
    kubeconfig = kubeconfig_with_credentials(tmp_path / "kc", sim.api_url, token, "KEYMARK" + secrets.token_hex(6))
    key_data = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["client-key-data"]
    run = robot_run("-v", f"KUBECONFIG:{kubeconfig}", "-v", f"TARGET_NODE:{sim.node_name}",
                    "-v", "NODE_ACCESS:daemonset", *TRACE, suite=SUITE)
    assert run.rc == 0, (run.statuses, run.stdout[-2000:])
    assert leaks(run, token, key_data) == []


def test_kubeconfig_token_never_written_when_the_run_fails(robot_run, sim, tmp_path):
    token = "tok-" + secrets.token_hex(12)
    kubeconfig = kubeconfig_with_credentials(tmp_path / "kc", sim.api_url, token, "KEYMARK")
    run = robot_run("-v", f"KUBECONFIG:{kubeconfig}", "-v", "TARGET_NODE:no-such-node",
                    "-v", "NODE_ACCESS:daemonset", *TRACE, suite=SUITE)
    assert run.rc != 0 and "no-such-node" in run.suite_message
    assert leaks(run, token) == []


def test_broken_kubeconfig_error_does_not_quote_the_token(robot_run, tmp_path):
    token = "tok-" + secrets.token_hex(12)
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text("apiVersion: v1\nusers:\n- name: u\n  user:\n    token: " + token + "\n  : [\n")
    run = robot_run("-v", f"KUBECONFIG:{kubeconfig}", "-v", "TARGET_NODE:n", *TRACE, suite=SUITE)
    assert run.rc != 0 and "cannot be read as YAML" in run.suite_message, run.suite_message
    assert leaks(run, token) == []
