"""Container classification (annotated / integer / shared) and forbidden CPUs.

Mirrors ``pkg/container/classification.go``: the pod annotation decides "annotated";
otherwise each container's own OCI resources decide "integer"; everything else is "shared".
"""
from __future__ import annotations

from typing import Callable, Mapping

from .cpulist import CpuListError, parse_cpu_list
from .interface import ContainerInfo

CORES_ANNOTATION = "weka.io/cores-ids"
FORBID_ANNOTATION = "weka.io/forbid-core-ids"

ANNOTATED = "annotated"
INTEGER = "integer"
SHARED = "shared"
INVALID_ANNOTATED = "invalid-annotated"
INVALID_INTEGER = "invalid-integer"

_SHARES_TOLERANCE = 0.01


def has_integer_semantics(container: ContainerInfo) -> bool:
    """CPU limit a whole number >= 1, request == limit (via shares), and a memory limit set.

    Memory request == limit is not checked, exactly as the plugin does not.
    """
    quota, period = container.cpu_quota, container.cpu_period
    if quota is None or period is None or quota <= 0 or period <= 0:
        return False
    if container.memory_limit is None or container.memory_limit <= 0:
        return False
    if quota % period != 0 or quota // period <= 0:
        return False
    if container.cpu_shares is None:
        return False
    return abs(container.cpu_shares / 1024.0 - quota / period) <= _SHARES_TOLERANCE


def integer_cpu_count(container: ContainerInfo) -> int:
    """``quota / period`` (integer division, as Go does); 0 when either is unset or <= 0."""
    quota, period = container.cpu_quota, container.cpu_period
    if quota is None or period is None or quota <= 0 or period <= 0:
        return 0
    return quota // period


def determine_mode(container: ContainerInfo) -> str:
    """``annotated`` if the pod has ``weka.io/cores-ids`` (any value), else integer/shared."""
    if CORES_ANNOTATION in container.pod_annotations:
        return ANNOTATED
    if has_integer_semantics(container):
        return INTEGER
    return SHARED


def forbidden_cpus(annotations: Mapping[str, str], log: Callable[[str], None]) -> list[int]:
    """``GetForbiddenCPUs``: forbid-core-ids ∪ cores-ids of the pod, sorted, de-duplicated.

    An unparsable value is ignored after the plugin's warning line.
    """
    cpus: set[int] = set()
    for key, label in ((FORBID_ANNOTATION, "forbid-core-ids"), (CORES_ANNOTATION, "cores-ids")):
        value = annotations.get(key, "")
        if value == "":
            continue
        try:
            cpus.update(parse_cpu_list(value))
        except CpuListError as err:
            log(f"Warning: Failed to parse {label} annotation '{value}': {err}")
    return sorted(cpus)
