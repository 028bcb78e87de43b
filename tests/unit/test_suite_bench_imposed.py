"""benchmarks/imposed_waits.py: what the cluster imposes on each wait of a run, from the latency
values and what output.xml records, replayed on a clock that only imposed waits advance.

Each rule is checked against the simulator's own model of the same thing where one exists
(the kubelet's process model, the latency profile), not against copied numbers."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

import imposed_waits as iw
from nrisim.latency import profile

NOW = datetime.now()
LAT = profile("realistic")
START = round(LAT.schedule + LAT.sandbox_start + LAT.image_pull + LAT.container_start, 6)
CREATE = round(LAT.schedule + LAT.sandbox_start + LAT.image_pull, 6)


def kw(name: str, *messages: str, args=(), status: str = "PASS", where: str = "Step") -> iw.KeywordRecord:
    return iw.KeywordRecord(where, name, NOW, NOW, status, list(messages), "CpusetLibrary", tuple(args))


def var(name: str, value: str) -> iw.KeywordRecord:
    return iw.KeywordRecord("Step", name, NOW, NOW, "PASS", [f"{name} = {value}"], "", (), "VAR")


def body(pod: str, *args: str) -> iw.KeywordRecord:
    return kw("Pod Body", f"${{body}} = {{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {{'name': '{pod}', "
                          "'namespace': 'ns-1', 'labels': {...", args=(pod, *args))


def created(*pods: str) -> iw.KeywordRecord:
    return kw("Create Pods Together", f"Created together: {', '.join(pods)}")


def deleted(grace: int, *pods: str) -> iw.KeywordRecord:
    return kw("Delete Pods Together", f"Deleted together (grace {grace} s): {', '.join(pods)}")


def ready(*pods: str) -> iw.KeywordRecord:
    return kw("Wait Until Pods Are Ready", f"Ready in 0.93 s: {', '.join(pods)}")


def imposed(records, lat=LAT) -> list[float]:
    return [round(found.seconds, 6) for _, found in iw.imposed_table(records, lat)]


# ---- the test pods' command -------------------------------------------------------------------


def test_the_test_pods_stop_on_sigterm_so_a_deletion_imposes_no_grace():
    assert iw.test_pods_stop_on_sigterm()
    assert imposed([created("a"), ready("a"), deleted(5, "a"), kw("Wait Until Pods Are Gone")]) == [START, 0.0]


def test_a_command_ignoring_sigterm_imposes_the_grace_period(monkeypatch):
    import CpusetLibrary.manifests as manifests
    monkeypatch.setattr(manifests, "TEST_POD_COMMAND", ["sleep", "3600"])
    assert imposed([created("a"), ready("a"), deleted(5, "a"), kw("Wait Until Pods Are Gone")]) == [START, 5.0]
    # grace 0 still waits kubelet's minimum kill grace
    assert imposed([created("a"), ready("a"), deleted(0, "a"), kw("Wait Until Pods Are Gone")]) == \
        [START, LAT.min_kill_grace]


def test_keywords_not_run_or_of_other_owners_impose_nothing():
    timeline = iw.Timeline(LAT)
    assert iw.imposed_wait(kw("Restart Plugin", status="NOT RUN"), timeline) is None
    other = ready("a")
    other.owner = "plugin_contract"
    assert iw.imposed_wait(other, timeline) is None
    assert imposed([created("a"), ready("a")]) == [START]


# ---- the replay clock -------------------------------------------------------------------------------


def test_a_wait_on_pods_created_before_another_wait_imposes_only_what_is_left():
    # pods created, then the plugin pod replaced (1 s), then the pods' wait: they were Ready meanwhile
    records = [created("a", "b"), kw("Delete Plugin Pod", "Deleted plugin pod kube-system/weka-nri-cpuset-x"),
               kw("Wait Until Plugin Pod Is Ready"), kw("Wait Until Pods Are Ready Despite Errors"), ready("a", "b")]
    assert LAT.plugin_restart > START
    assert imposed(records) == [LAT.plugin_shutdown + LAT.plugin_restart, 0.0, 0.0]


def test_a_wait_on_pods_whose_creation_is_not_recorded_is_an_error():
    with pytest.raises(ValueError, match="ghost.*creation output.xml does not show"):
        iw.imposed_table([ready("ghost")], LAT)


def test_work_between_the_creation_and_the_wait_is_not_credited():
    # the library's own work takes no time on the replay clock: the whole start is imposed
    records = [created("a"), kw("Pods Should Have Exactly Their Requested Cpus"), ready("a")]
    assert imposed(records) == [START]


# ---- refusals ------------------------------------------------------------------------------------


def test_staying_refused_imposes_the_kubelet_back_off_the_test_chose_to_watch():
    rows = iw.imposed_table([created("bad"), kw("Pod Should Stay Refused By The Plugin",
                                                "Plugin refused pod bad 2 times, each with: invalid")], LAT)
    [(_, found)] = rows
    assert found.seconds == pytest.approx(CREATE + LAT.backoff(1))
    assert found.by_test == pytest.approx(LAT.backoff(1))


def test_pods_refused_together_impose_their_back_off_once():
    refused = [kw("Pod Should Stay Refused By The Plugin", f"Plugin refused pod {p} 2 times, each with: x")
               for p in ("p1", "p2", "p3")]
    assert imposed([created("p1", "p2", "p3"), *refused]) == [pytest.approx(CREATE + LAT.backoff(1)), 0.0, 0.0]


def test_three_refusals_wait_two_back_offs():
    found = imposed([created("bad"), kw("Pod Should Stay Refused By The Plugin",
                                        "Plugin refused pod bad 3 times, each with: x")])
    assert found == [pytest.approx(CREATE + LAT.backoff(1) + LAT.backoff(2))]


def test_the_plugin_log_line_of_a_refusal_already_waited_for_imposes_nothing():
    records = [created("bad"), kw("Pod Should Stay Refused By The Plugin", "Plugin refused pod bad 2 times, x"),
               kw("Plugin Log Should Have Line Matching", "Plugin log lines matching 'x':\nx")]
    assert imposed(records)[1] == 0.0


# ---- pods that end, force deletion, releases -----------------------------------------------------------


def test_pods_that_end_impose_their_start_and_their_commands_run_time():
    from nrisim.node.process import model_command
    records = [var("${command}", "sleep 2"), body("short", "cpu=1", "command=${command}"), created("short"),
               kw("Wait Until Pods Have Succeeded", "Succeeded in 2.92 s: short: c exit code 0 (Completed)")]
    assert imposed(records) == [pytest.approx(START + model_command(["sh", "-c", "sleep 2"], None).duration)]
    assert imposed(records)[0] == pytest.approx(START + 2)


def test_a_pod_command_output_xml_does_not_resolve_is_an_error():
    records = [body("short", "command=${SUITE_LEVEL}"), created("short"),
               kw("Wait Until Pods Have Succeeded", "Succeeded in 2.92 s: short: c exit code 0 (Completed)")]
    with pytest.raises(ValueError, match=r"\$\{SUITE_LEVEL\}"):
        iw.imposed_table(records, LAT)


def test_a_release_wait_imposes_the_stop_and_the_removal_lag_after_the_deletion():
    records = [created("a"), ready("a"), deleted(0, "a"), kw("Wait Until Pods Are Gone"),
               kw("Wait Until Plugin Has Released Pods Without Restarting",
                  "Plugin released 1 containers of a; release latency 0.39 s")]
    assert imposed(records) == [START, 0.0, LAT.removal_lag]


def test_finished_pods_that_ignore_sigterm_are_not_stopped_again():
    # ``sleep 2`` ignores SIGTERM, but it has ended when the pods are deleted: only removal_lag
    records = [var("${command}", "sleep 2"), body("short", "command=${command}"), created("short"),
               kw("Wait Until Pods Have Succeeded", "Succeeded in 2.92 s: short: c exit code 0 (Completed)"),
               deleted(5, "short"), kw("Wait Until Plugin Has Released Pods",
                                       "Plugin released 1 containers of short; release latency 2.00 s")]
    assert imposed(records)[1] == LAT.removal_lag


def test_a_release_of_pods_never_deleted_is_an_error():
    with pytest.raises(ValueError, match="deletion output.xml does not show"):
        iw.imposed_table([created("a"), kw("Wait Until Plugin Has Released Pods",
                                           "Plugin released 1 containers of a; release latency 2 s")], LAT)


# ---- DaemonSets and the plugin's restarts ---------------------------------------------------------------


def test_daemonsets_are_ready_one_pod_start_after_their_creation():
    records = [kw("Create Daemonsets Together", "Created together: DaemonSets a-ds, b-ds"),
               kw("Wait Until Daemonsets Are Ready")]
    assert imposed(records) == [START]


def test_deleting_daemonsets_imposes_the_stop_and_the_removal_lag():
    records = [kw("Delete Daemonsets And Wait Released", "Deleted together: DaemonSets a-ds (3 pods)")]
    assert imposed(records) == [LAT.removal_lag]


def test_a_rollout_restart_of_the_plugin_imposes_its_restart_and_the_sync_is_then_due():
    records = [kw("Create Daemonsets Together", "Created together: DaemonSets a-ds"),
               kw("Wait Until Daemonsets Are Ready"),
               kw("Rollout Restart Daemonset", "DaemonSet kube-system/weka-nri-cpuset restarted at 2026-01-01T00:00:00Z"),
               kw("Wait Until Daemonsets Are Ready"), kw("Wait Until Plugins Have Synchronized")]
    assert imposed(records) == [START, min(LAT.plugin_shutdown, 30) + LAT.plugin_restart, 0.0]


def test_a_rolling_restart_of_a_workload_daemonset_has_no_rule():
    records = [kw("Rollout Restart Daemonset", "DaemonSet ns-1/a-ds restarted at 2026-01-01T00:00:00Z"),
               kw("Wait Until Daemonsets Are Ready")]
    with pytest.raises(ValueError, match="no rule for the rolling restart of DaemonSet ns-1/a-ds"):
        iw.imposed_table(records, LAT)


def test_waiting_for_a_plugin_pod_that_was_not_replaced_imposes_nothing():
    assert imposed([kw("Wait Until Plugin Pod Is Ready", "Plugin pod Ready: weka-nri-cpuset-x")]) == [0.0]


def test_a_replaced_plugin_pod_imposes_its_shutdown_and_restart():
    slow = LAT.with_overrides({"plugin_shutdown": 3.0})
    records = [kw("Delete Plugin Pod", "Deleted plugin pod kube-system/weka-nri-cpuset-x"),
               kw("Wait Until Plugin Pod Is Ready", "Plugin pod Ready: weka-nri-cpuset-y")]
    assert imposed(records, slow) == [3.0 + LAT.plugin_restart]


# ---- probes and live moves --------------------------------------------------------------------------------


def test_a_keyword_reading_the_topology_in_a_probe_pod_imposes_the_probe_start():
    records = [kw("Manual Cpus On This Node", "Created together: node-topology-probe",
                  "Ready in 0.93 s: node-topology-probe", "Manual CPUs 15,16 (of 64) on this node: 15-16")]
    assert imposed(records) == [pytest.approx(START + LAT.removal_lag)]  # the probe's release is waited for
    # the same keyword when a test pod runs reads the topology there: no wait
    assert imposed([kw("Manual Cpus On This Node", "Manual CPUs 15,16 (of 64) on this node: 15-16")]) == []


def test_a_live_move_is_due_update_apply_after_the_annotated_containers_creation():
    moved = kw("Wait Until Pods Leave Cpus")
    assert imposed([created("ann"), moved]) == [pytest.approx(CREATE + LAT.update_apply)]
    assert imposed([created("ann"), ready("ann"), moved]) == [START, pytest.approx(
        max(0.0, CREATE + LAT.update_apply - START))]


def test_deleting_the_namespace_waits_for_the_release_when_the_plugin_released_containers():
    grace = "Deleted together (grace 5 s): a, b"
    assert imposed([kw("Delete Test Namespace", grace)]) == [0.0]  # no release logged: the stop only
    released = "The plugin released all 2 containers of the deleted pods 2.00 s after the namespace was gone"
    assert imposed([kw("Delete Test Namespace", grace, released)]) == [pytest.approx(LAT.removal_lag)]


def test_deleting_the_namespaces_daemonsets_waits_for_their_pods_release():
    daemonsets = "Deleted DaemonSets (no pod of theirs is recreated): annotated-test-ds, integer-test-ds"
    released = "The plugin released all 6 containers of the deleted pods 2.02 s after the namespace was gone"
    assert imposed([kw("Delete Test Namespace", daemonsets, released)]) == [pytest.approx(LAT.removal_lag)]
    assert imposed([kw("Delete Test Namespace", daemonsets)]) == [0.0]  # nothing of theirs left to release
