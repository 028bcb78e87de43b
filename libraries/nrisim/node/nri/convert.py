"""The simulator's container records as NRI messages, and the plugin's answers back."""
from __future__ import annotations

from ...plugin.interface import Adjustment, ContainerInfo, ContainerUpdate
from .schema import CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_STOPPED, M


def pod_sandbox(info: ContainerInfo) -> object:
    return M.PodSandbox(id=info.sandbox_id, name=info.pod_name, uid=info.pod_uid,
                        namespace=info.pod_namespace, annotations=dict(info.pod_annotations))


def container(info: ContainerInfo, state: str = "created") -> object:
    msg = M.Container(id=info.container_id, pod_sandbox_id=info.sandbox_id, name=info.name,
                      state={"created": CONTAINER_CREATED, "running": CONTAINER_RUNNING}.get(state,
                                                                                          CONTAINER_STOPPED))
    cpu = msg.linux.resources.cpu
    if info.cpu_shares is not None:
        cpu.shares.value = info.cpu_shares
    if info.cpu_quota is not None:
        cpu.quota.value = info.cpu_quota
    if info.cpu_period is not None:
        cpu.period.value = info.cpu_period
    cpu.cpus = info.current_cpus
    if info.memory_limit is not None:
        msg.linux.resources.memory.limit.value = info.memory_limit
    return msg


def adjustment(reply: object) -> Adjustment:
    cpu = reply.adjust.linux.resources.cpu
    return Adjustment(cpus=cpu.cpus, mems=cpu.mems)


def update(msg: object) -> ContainerUpdate:
    cpu = msg.linux.resources.cpu
    return ContainerUpdate(msg.container_id, cpu.cpus, cpu.mems)
