"""The release wait of deleted pods when the plugin exits in the middle of their removals
(``exit-on-removal-burst``): containers the runtime removed while no plugin was connected get no
``Removing container`` line, and the restarted plugin does not record them again, so nothing of
them is reserved. The wait must see that, not wait out its timeout for a line that never comes."""
from __future__ import annotations

from datetime import timedelta

import pytest

from CpusetLibrary import pluginlog
from library_caller import Library, start

PODS = ["shared-a", "integer-b", "integer-c", "shared-d", "integer-e"]


@pytest.fixture(scope="module")
def exiting(tmp_path_factory):
    """A plugin that exits on a burst of removals including a shared container; kubelet brings
    it back after 1 s, so removals in that second reach no plugin."""
    library = start(tmp_path_factory, sim_cpus=16, plugin_model="exit-on-removal-burst",
                    sim_latencies="plugin_restart=1.0")
    try:
        yield library
    finally:
        library("Disconnect From Cluster")


def test_containers_removed_while_the_plugin_was_down_count_as_released(exiting: Library) -> None:
    exiting("Create Test Namespace", "exit-burst")
    bodies = [exiting("Pod Body", name, cpu="100m" if name.startswith("shared") else "1", memory="64Mi")
              for name in PODS]
    exiting("Create Pods Together", *bodies)
    exiting("Wait Until Pods Are Ready", *PODS, timeout=timedelta(seconds=20))
    mark = exiting.ctx.require_node_access().mark()
    exiting("Note Deletion Time")
    exiting("Delete Pods Together", *PODS, grace_period=0)
    exiting("Wait Until Pods Are Gone", *PODS, timeout=timedelta(seconds=20))

    exiting("Wait Until Plugin Has Released Pods", *PODS, timeout=timedelta(seconds=10))

    lines = exiting.ctx.require_node_access().read_since(mark)
    namespace = exiting.ctx.require_namespace()
    unlogged = {f"{namespace}/{pod}" for pod in PODS} - {pod for pod, _ in pluginlog.removed_pod_containers(lines)}
    assert pluginlog.last_start(lines) is not None, "the plugin did not exit and restart: the case is not made"
    assert unlogged, "every removal reached a plugin: the case is not made"
    exiting("Delete Test Namespace", grace_period=0)
