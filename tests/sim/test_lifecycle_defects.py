"""The lifecycle defect models: each shows its defect where HEAD does not.

``exit-on-removal-burst``: removals arriving together, one of a container the plugin does not
track, end the plugin process (exit 0) and kubelet restarts it. ``sync-leaves-unpinned``: an
annotated container created while no plugin was connected stays on every CPU after Synchronize.
"""
from __future__ import annotations

import pytest
from kubernetes import client, config

from nrisim.plugin.head import HeadModel
from nrisim.plugin.interface import PluginExit
from nrisim.plugin.lifecycle_defects import ExitOnRemovalBurstModel, SyncLeavesUnpinnedModel
from nrisim.topology import Topology

from plugin_fakes import annotated, integer, shared, start


@pytest.mark.parametrize(("model", "exits"), [(HeadModel, False), (ExitOnRemovalBurstModel, True)])
def test_a_burst_of_removals_with_an_untracked_container(model, exits):
    h = start(model, Topology(8, 2, 1))
    tracked, untracked = integer(2), shared()
    h.model.create_container(tracked)
    h.model.create_container(untracked)  # upstream does not record new shared containers
    h.model.remove_container(tracked)
    if exits:
        with pytest.raises(PluginExit) as ended:
            h.model.remove_container(untracked)
        assert ended.value.code == 0
    else:
        h.model.remove_container(untracked)
        assert h.log_has(f"RemoveContainer called for unknown container {untracked.container_id[:12]}")


def test_removals_one_at_a_time_and_tracked_bursts_are_handled():
    h = start(ExitOnRemovalBurstModel, Topology(8, 2, 1))
    a, b, lone = annotated("0"), integer(2), shared()
    for c in (a, b, lone):
        h.model.create_container(c)
    h.model.remove_container(a)
    h.model.remove_container(b)  # a burst of tracked containers only
    h.runtime.drain()  # the debounce window closes
    h.model.remove_container(lone)  # alone in its window
    h.runtime.drain()
    assert h.log_has(f"RemoveContainer {b.container_id[:12]} complete")


@pytest.mark.parametrize(("model", "pinned"), [(HeadModel, True), (SyncLeavesUnpinnedModel, False)])
def test_synchronize_pins_an_annotated_container_created_without_the_plugin(model, pinned):
    unpinned = annotated("3", current_cpus="")
    earlier = annotated("5", current_cpus="5")
    h = start(model, Topology(8, 2, 1), existing=[unpinned, earlier])
    updated = {u.container_id: u.cpus for u in h.model.synchronize([unpinned, earlier])}
    assert updated.get(earlier.container_id) == "5"
    assert (updated.get(unpinned.container_id) == "3") is pinned


def test_the_plugin_pod_restarts_when_the_model_exits(tmp_path, h):
    with h.make_sim(tmp_path, cpus=16, plugin_model="exit-on-removal-burst") as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))

        def plugin():
            return api.list_namespaced_pod("kube-system", label_selector="app=weka-nri-cpuset").items[0]

        h.eventually(lambda: plugin().status.container_statuses[0].ready)
        api.create_namespaced_pod("default", h.pod_body("int-1", cpu="1"))
        api.create_namespaced_pod("default", h.pod_body("shared-1", cpu="100m"))
        h.wait_running(api, "int-1")
        h.wait_running(api, "shared-1")
        for name in ("int-1", "shared-1"):
            api.delete_namespaced_pod(name, "default", grace_period_seconds=0)
        status = h.eventually(lambda: (s := plugin().status.container_statuses[0]).restart_count == 1 and s.ready
                              and s)
        assert status.last_state.terminated.exit_code == 0
