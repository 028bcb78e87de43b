"""Tests of the manifest templates and their renderer (CpusetLibrary.manifests)."""
from __future__ import annotations

from pathlib import Path

import pytest

from CpusetLibrary.manifests import (
    TEST_POD_COMMAND,
    ANNOTATED_POD,
    COMMON_VARIABLES,
    INTEGER_POD,
    MANIFEST_DIR,
    RUN_LABEL,
    ManifestError,
    render_manifest,
    single_pod_manifest,
    template_variables,
)
from CpusetLibrary.procedures.state_corruption import (
    ANNOTATED_PODS,
    INTEGER_PODS,
    OVERFLOW_PROBE,
    TRIGGER_PODS,
    plan_for_idle_node,
    state_corruption_manifests,
)

COMMON = {"NAMESPACE": "ns-1", "NODE": "worker-1", "IMAGE": "busybox:1.36", "MEMORY": "64Mi",
          "RUN_ID": "run-42"}


def write(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_state_corruption_manifests_at_64() -> None:
    rendered = state_corruption_manifests(plan_for_idle_node(64), COMMON)
    files = (ANNOTATED_PODS, INTEGER_PODS, TRIGGER_PODS, OVERFLOW_PROBE)
    assert [len(rendered[f]) for f in files] == [4, 3, 2, 1]
    first = rendered[ANNOTATED_PODS][0]
    assert first["metadata"]["name"] == "annotated-compute-1"
    assert first["metadata"]["annotations"] == {"weka.io/cores-ids": "0-14"}
    client = rendered[ANNOTATED_PODS][3]
    assert client["metadata"]["annotations"]["weka.io/cores-ids"] == "44-53"
    assert [p["spec"]["containers"][0]["resources"]["limits"]["cpu"]
            for p in rendered[TRIGGER_PODS]] == ["12", "7"]
    assert rendered[OVERFLOW_PROBE][0]["spec"]["containers"][0]["resources"]["requests"] == {
        "cpu": "20", "memory": "64Mi"}
    for bodies in rendered.values():
        for body in bodies:
            meta, spec = body["metadata"], body["spec"]
            assert meta["namespace"] == "ns-1"
            assert meta["labels"] == {"app.kubernetes.io/managed-by": "nri-cpuset-acceptance",
                                      RUN_LABEL: "run-42"}
            assert spec["nodeSelector"] == {"kubernetes.io/hostname": "worker-1"}
            assert spec["restartPolicy"] == "Never"
            (container,) = spec["containers"]
            assert container["image"] == "busybox:1.36"
            assert container["command"] == TEST_POD_COMMAND
            resources = container["resources"]
            assert resources["requests"] == resources["limits"]
            assert isinstance(resources["requests"]["cpu"], str)


def test_defaults_fill_image_and_memory() -> None:
    common = {k: v for k, v in COMMON.items() if k not in ("IMAGE", "MEMORY")}
    rendered = state_corruption_manifests(plan_for_idle_node(16), common)
    container = rendered[INTEGER_PODS][0]["spec"]["containers"][0]
    assert container["image"].startswith("busybox")
    assert container["resources"]["limits"]["memory"] == "1Gi"


def test_every_template_uses_common_variables() -> None:
    names = {p.name for p in MANIFEST_DIR.glob("*.yaml")}
    assert {ANNOTATED_PODS, INTEGER_PODS, TRIGGER_PODS, OVERFLOW_PROBE, ANNOTATED_POD,
            INTEGER_POD} <= names
    for name in names:
        assert set(COMMON_VARIABLES) <= template_variables(name), name
    assert template_variables(ANNOTATED_POD) == set(COMMON_VARIABLES) | {"NAME", "CORES", "CPU"}


def test_single_pod_manifests() -> None:
    annotated = single_pod_manifest("pinned", 2, COMMON, cores="3,5")
    assert annotated["metadata"]["annotations"]["weka.io/cores-ids"] == "3,5"
    assert annotated["metadata"]["name"] == "pinned"
    integer = single_pod_manifest("exclusive", 4, COMMON)
    assert "annotations" not in integer["metadata"]
    assert integer["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "4"


def test_quantity_stays_string_and_quoting_cannot_break(tmp_path: Path) -> None:
    path = write(tmp_path, 'a: "${X}"\nb: "pre-${Y}-post"\nc: [1, "${X}"]\n')
    (doc,) = render_manifest(path, {"X": "15", "Y": 'x: "y"\n- z'})
    assert doc == {"a": "15", "b": 'pre-x: "y"\n- z-post', "c": [1, "15"]}


def test_missing_variable_names_it_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'a: "${X}"\nb: "${Y}"\n')
    with pytest.raises(ManifestError) as info:
        render_manifest(path, {"X": "1"})
    assert "Y" in str(info.value) and "t.yaml" in str(info.value)
    assert "no value" in str(info.value)


def test_unused_variable_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'a: "${X}"\n')
    with pytest.raises(ManifestError) as info:
        render_manifest(path, {"X": "1", "NAMESAPCE": "typo"})
    assert "NAMESAPCE" in str(info.value) and "does not use" in str(info.value)


def test_unknown_variable_for_real_template() -> None:
    with pytest.raises(ManifestError, match="CORES"):
        render_manifest(INTEGER_POD, {**COMMON, "NAME": "x", "CPU": "1", "CORES": "0"})


def test_multi_document_and_empty_documents(tmp_path: Path) -> None:
    path = write(tmp_path, '---\na: "${X}"\n---\n---\nb: "${X}"\n')
    assert render_manifest(path, {"X": "v"}) == [{"a": "v"}, {"b": "v"}]


def test_file_not_found_names_file() -> None:
    with pytest.raises(ManifestError, match="no-such-template.yaml"):
        render_manifest("no-such-template.yaml", {})


def test_yaml_error_names_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a: [1, 2\n", name="broken.yaml")
    with pytest.raises(ManifestError, match="broken.yaml.*not valid YAML"):
        render_manifest(path, {})


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('a: "${lower}"\n', "malformed variable"),
        ('a: "${X"\n', "malformed variable"),
        ('"${X}": 1\n', "variable in key"),
        ("- 1\n- 2\n", "expected a mapping"),
        ("# only a comment\n", "no YAML documents"),
    ],
)
def test_bad_templates(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ManifestError, match=fragment):
        render_manifest(write(tmp_path, text), {"X": "1"} if "${X}" in text else {})


def test_non_string_value_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, 'a: "${X}"\n')
    with pytest.raises(ManifestError, match="variable X has a list value"):
        render_manifest(path, {"X": ["1"]})
    assert render_manifest(path, {"X": 3}) == [{"a": "3"}]


def test_template_drift_from_plan_is_detected(tmp_path: Path, monkeypatch) -> None:
    import CpusetLibrary.manifests as manifests

    for path in MANIFEST_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    text = (tmp_path / TRIGGER_PODS).read_text().replace("trigger-client-2", "trigger-client-3")
    (tmp_path / TRIGGER_PODS).write_text(text)
    monkeypatch.setattr(manifests, "MANIFEST_DIR", tmp_path)
    with pytest.raises(ManifestError, match="does not match the plan"):
        state_corruption_manifests(plan_for_idle_node(64), COMMON)


def test_every_template_container_stops_on_sigterm() -> None:
    """Test pods exit on SIGTERM (the shell traps it) instead of waiting out the grace period."""
    import yaml
    for template in sorted(MANIFEST_DIR.glob("*.yaml")):
        for doc in yaml.safe_load_all(template.read_text(encoding="utf-8")):
            for container in doc["spec"]["containers"]:
                assert container["command"] == TEST_POD_COMMAND, f"{template.name}: {container['command']}"


def test_test_pod_command_exits_zero_on_sigterm_at_once() -> None:
    """The command under a real POSIX shell: SIGTERM ends it through the trap (exit 0, not the
    143 of a default death), well before the sleep would."""
    import shutil
    import signal
    import subprocess
    import time
    if shutil.which(TEST_POD_COMMAND[0]) is None:
        pytest.skip(f"no {TEST_POD_COMMAND[0]} on this machine")
    proc = subprocess.Popen(TEST_POD_COMMAND)
    try:
        deadline = time.monotonic() + 5
        # the trap is set before the sleep starts; wait until the shell has a child (the sleep)
        while time.monotonic() < deadline and not Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().strip():
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
