"""Pod templates (``manifests/*.yaml``) -> pod bodies (dicts for the Kubernetes client).

Templates are YAML with ``${NAME}`` variables in string *values*. A file is parsed with
``yaml.safe_load_all`` first and variables are substituted in the parsed strings, so a value
can never break the YAML structure, and ``cpu: "${CPU}"`` stays the string ``"15"`` (a
Kubernetes quantity), not a number. Every variable a template uses must be given, and every
variable given must be used (this catches typos). A ``$`` is only special in ``${NAME}``
with ``NAME`` of upper-case letters, digits and ``_``; any other ``${`` is an error.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

#: the pod templates: inside the installed package (a wheel ships them as package data), else
#: the checkout's ``manifests/`` directory
_PACKAGED_MANIFESTS = Path(__file__).resolve().parent / "manifests"
MANIFEST_DIR = (_PACKAGED_MANIFESTS if _PACKAGED_MANIFESTS.is_dir()
                else Path(__file__).resolve().parents[2] / "manifests")


ANNOTATED_POD = "annotated-pod.yaml"
INTEGER_POD = "integer-pod.yaml"

#: the command of every test pod's container: busybox ``sleep`` as PID 1 ignores SIGTERM, so a
#: deletion would wait out the whole grace period; this shell exits on SIGTERM at once and the
#: grace period (the manual's ``--grace-period=5``) stays the upper bound
TEST_POD_COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
#: the values the manual procedure uses; callers may override them
DEFAULT_VARIABLES: dict[str, str] = {"IMAGE": "busybox:latest", "MEMORY": "1Gi"}
#: variables every template uses
COMMON_VARIABLES = ("NAMESPACE", "NODE", "IMAGE", "MEMORY", "RUN_ID")
MANAGED_BY_LABEL = ("app.kubernetes.io/managed-by", "nri-cpuset-acceptance")
RUN_LABEL = "nri-cpuset-acceptance/run"

_VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


class ManifestError(ValueError):
    """A template could not be read or rendered; the message names the file and the cause."""


def manifest_path(name: str | Path) -> Path:
    """``name`` as given if it is a path to an existing file, else ``MANIFEST_DIR / name``."""
    path = Path(name)
    if path.is_file() or path.is_absolute():
        return path
    return MANIFEST_DIR / path


def _load(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ManifestError(
            f"cannot read manifest template {str(path)!r}: {err.strerror or err}"
        ) from err
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as err:
        raise ManifestError(f"manifest template {str(path)!r} is not valid YAML: {err}") from err
    if not documents:
        raise ManifestError(f"manifest template {str(path)!r} has no YAML documents")
    for index, doc in enumerate(documents, 1):
        if not isinstance(doc, dict):
            raise ManifestError(
                f"manifest template {str(path)!r}: document {index} is a "
                f"{type(doc).__name__}, expected a mapping (a Kubernetes object)"
            )
    return documents


def _references(text: str, path: Path) -> set[str]:
    names = set(_VARIABLE.findall(text))
    leftover = _VARIABLE.sub("", text)
    if "${" in leftover:
        raise ManifestError(
            f"manifest template {str(path)!r}: malformed variable reference in {text!r}; "
            "expected ${NAME} with NAME of A-Z, 0-9 and _"
        )
    return names


def _scan(node: Any, path: Path, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and "${" in key:
                raise ManifestError(
                    f"manifest template {str(path)!r}: variable in key {key!r}; "
                    "variables are only allowed in values"
                )
            _scan(value, path, found)
    elif isinstance(node, list):
        for item in node:
            _scan(item, path, found)
    elif isinstance(node, str):
        found |= _references(node, path)


def _substitute(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: _substitute(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_substitute(item, values) for item in node]
    if isinstance(node, str):
        return _VARIABLE.sub(lambda match: values[match.group(1)], node)
    return node


def _checked_values(variables: Mapping[str, Any], path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in variables.items():
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ManifestError(
                f"manifest template {str(path)!r}: variable {name} has a "
                f"{type(value).__name__} value, expected a string"
            )
        values[name] = str(value)
    return values


def template_variables(path: str | Path) -> frozenset[str]:
    """The variables a template uses."""
    resolved = manifest_path(path)
    found: set[str] = set()
    for doc in _load(resolved):
        _scan(doc, resolved, found)
    return frozenset(found)


def render_manifest(path: str | Path, variables: Mapping[str, str]) -> list[dict]:
    """Load a template and return its documents with every ``${NAME}`` substituted."""
    resolved = manifest_path(path)
    documents = _load(resolved)
    used: set[str] = set()
    for doc in documents:
        _scan(doc, resolved, used)
    values = _checked_values(variables, resolved)
    missing = sorted(used - values.keys())
    if missing:
        raise ManifestError(
            f"manifest template {str(resolved)!r}: no value for variable(s) {', '.join(missing)}"
        )
    unused = sorted(values.keys() - used)
    if unused:
        raise ManifestError(
            f"manifest template {str(resolved)!r} does not use variable(s) "
            f"{', '.join(unused)} (it uses: {', '.join(sorted(used)) or 'none'})"
        )
    return [_substitute(doc, values) for doc in documents]


def single_pod_manifest(
    name: str, cpu: int, common: Mapping[str, str], cores: str | None = None
) -> dict:
    """One integer pod, or one annotated pod when ``cores`` (a CPU list) is given."""
    template = INTEGER_POD if cores is None else ANNOTATED_POD
    values = {**DEFAULT_VARIABLES, **common, "NAME": name, "CPU": str(cpu)}
    if cores is not None:
        values["CORES"] = cores
    (body,) = render_manifest(template, values)
    return body
