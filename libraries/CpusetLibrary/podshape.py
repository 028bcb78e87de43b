"""Any pod shape the plugin tells apart, as one pod body (a dict for the Kubernetes client).

The plugin classifies by resources and annotations (annotated: ``weka.io/cores-ids`` present;
integer: whole CPU limit = request and a memory limit; shared: everything else, BestEffort
included), so a shape is: CPU request and limit, memory request and limit, the two
annotations, and the command.
"""
from __future__ import annotations

from dataclasses import dataclass

import yaml

from .manifests import MANIFEST_DIR
from .quantity import parse_cpu, parse_memory

CORES_ANNOTATION = "weka.io/cores-ids"
FORBID_ANNOTATION = "weka.io/forbid-core-ids"
MANAGED_BY = ("app.kubernetes.io/managed-by", "nri-cpuset-acceptance")
RUN_LABEL = "nri-cpuset-acceptance/run"
#: the template whose container command every pod of a run shares (so all stop the same way)
COMMAND_TEMPLATE = MANIFEST_DIR / "integer-pod.yaml"
NO_LIMIT = "none"


class PodShapeError(ValueError):
    """A pod shape argument is not usable; the message names it and what was expected."""


def default_command() -> list[str]:
    """The container command of the procedure manifests (``manifests/integer-pod.yaml``)."""
    try:
        body = yaml.safe_load(COMMAND_TEMPLATE.read_text(encoding="utf-8"))
        return list(body["spec"]["containers"][0]["command"])
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError) as err:
        raise PodShapeError(f"cannot read the default pod command from {COMMAND_TEMPLATE}: {err}") from err


@dataclass(frozen=True)
class PodShape:
    name: str
    cpu: str | None = None
    cpu_limit: str | None = None
    memory: str | None = None
    memory_limit: str | None = None
    cores: str | None = None
    forbid: str | None = None
    command: tuple[str, ...] | None = None
    image: str = "busybox:latest"

    def resources(self) -> dict:
        requests: dict[str, str] = {}
        limits: dict[str, str] = {}
        for key, request, limit in (("cpu", self.cpu, self.cpu_limit), ("memory", self.memory, self.memory_limit)):
            if request not in (None, ""):
                _check_quantity(key, str(request))
                requests[key] = str(request)
            if limit in (None, ""):
                limit = request  # like kubectl users write: limit = request unless told
            if limit not in (None, "") and str(limit).lower() != NO_LIMIT:
                _check_quantity(f"{key}_limit", str(limit))
                limits[key] = str(limit)
        return {k: v for k, v in (("requests", requests), ("limits", limits)) if v}


def _check_quantity(name: str, value: str) -> None:
    if name.startswith("cpu"):
        try:
            parse_cpu(value)
        except ValueError:
            raise PodShapeError(f"{name} '{value}' is not a CPU quantity such as '2', '1.5' or '500m'") from None
    else:
        try:
            parse_memory(value)
        except ValueError:
            raise PodShapeError(f"{name} '{value}' is not a memory quantity such as '64Mi' or '1Gi'") from None


def pod_body(shape: PodShape, namespace: str, node: str, run_id: str) -> dict:
    """The pod body: pinned to ``node``, labelled as this run's, ``restartPolicy: Never``."""
    if not shape.name:
        raise PodShapeError("pod name is empty")
    annotations = {key: value for key, value in ((CORES_ANNOTATION, shape.cores), (FORBID_ANNOTATION, shape.forbid))
                   if value is not None}
    metadata: dict = {"name": shape.name, "namespace": namespace,
                      "labels": {MANAGED_BY[0]: MANAGED_BY[1], RUN_LABEL: run_id}}
    if annotations:
        metadata["annotations"] = annotations
    container = {"name": "weka-container", "image": shape.image,
                 "command": list(shape.command) if shape.command else default_command(),
                 "resources": shape.resources()}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": {"nodeSelector": {"kubernetes.io/hostname": node}, "restartPolicy": "Never",
                     "containers": [container]}}
