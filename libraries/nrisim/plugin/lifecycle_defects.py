"""Plugin variants with one lifecycle defect each: what the DaemonSet procedures (plugin crash
fix, containerd name reservation) are there to catch and the other procedures never exercise.

Like ``defects.py``, each is :class:`HeadModel` with one hook overridden and HEAD's log lines.
"""
from __future__ import annotations

from typing import Iterable

from .head import HeadModel
from .interface import ContainerInfo, ContainerUpdate, PluginExit


class ExitOnRemovalBurstModel(HeadModel):
    """The race the manual "plugin crash fix" procedure describes: removals arriving together
    (several pods force-deleted at once) while one of them is a container the plugin does not
    track (a shared container created since the plugin started, which upstream never records)
    make the plugin process end with exit code 0, as upstream's reported "clean exit" did.

    "Together" is the plugin's own debounce window: from one removal until the runtime has
    applied the (empty) background update it queues then. The removal that ends the process logs
    only its first line; kubelet restarts the plugin (the pod's ``restartCount`` grows) and the
    new process synchronizes. Removals one at a time, and bursts of tracked containers only
    (annotated and integer pods), are handled as at HEAD."""

    name = "exit-on-removal-burst"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._burst_open = False
        self._burst_has_unknown = False

    def remove_container(self, container: ContainerInfo) -> None:
        unknown = container.container_id not in self.by_cid
        if self._burst_open and (unknown or self._burst_has_unknown):
            self.log(f"Removing container {container.name} from pod {container.pod_namespace}/{container.pod_name}")
            raise PluginExit(0)
        if not self._burst_open:
            self._burst_open = True
            self.runtime.update_containers([], on_done=lambda _failed: self._close_burst())
        self._burst_has_unknown = self._burst_has_unknown or unknown
        super().remove_container(container)

    def _close_burst(self) -> None:
        self._burst_open = False
        self._burst_has_unknown = False


class SyncLeavesUnpinnedModel(HeadModel):
    """Synchronize records annotated containers but sends no cpuset update to those the runtime
    lists without one (created while no plugin was connected, e.g. while its pod was being
    replaced): they keep running on every CPU, while the plugin believes they are pinned.
    Containers that were pinned before the restart are re-asserted as at HEAD."""

    name = "sync-leaves-unpinned"

    def _sync_annotated(self, containers: Iterable[ContainerInfo], updates: list[ContainerUpdate],
                        skipped: list[str]) -> None:
        containers = list(containers)
        unpinned = {c.container_id for c in containers if not c.current_cpus}
        mine: list[ContainerUpdate] = []
        super()._sync_annotated(containers, mine, skipped)
        updates.extend(u for u in mine if u.container_id not in unpinned)


__all__ = ["ExitOnRemovalBurstModel", "SyncLeavesUnpinnedModel"]
