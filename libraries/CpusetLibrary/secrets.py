"""Keeping passwords, passphrases and kubeconfig credentials out of every output.

Two layers, both driven by the library's listener (no ``--removekeywords``, no extra listener):

1. ``protect_secret_variables`` runs when a suite starts, before its setup: ``SSH_PASSWORD`` and
   ``SSH_KEY_PASSPHRASE`` given as plain text (``-v NAME:value``, a YAML/Python variable file,
   the near-miss ``-v NAME:Secret:value``, ``%{ENV}`` left unresolved) or through the
   environment variable of the same name become Robot ``Secret`` objects, so keyword arguments,
   assignments and failures show ``<secret>`` instead of the value.
2. ``SecretRegistry.scrub`` replaces every registered value (those variables, and the
   credentials of the kubeconfig in use) in log messages and in keyword, test and suite
   messages before robot writes them anywhere, so a path we did not foresee cannot leak either.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

from robot.api.types import Secret

#: robot variables that hold secrets -> the environment variable read when the robot one is empty
SECRET_VARIABLES: dict[str, str] = {
    "SSH_PASSWORD": "SSH_PASSWORD",
    "SSH_KEY_PASSPHRASE": "SSH_KEY_PASSPHRASE",
}
MASK = "***"
#: shorter values are not scrubbed from text (a 1-3 character "secret" would mangle every message)
MIN_SCRUBBED_LENGTH = 4

_NEAR_MISS_PREFIX = re.compile(r"^\s*secret\s*:\s?", re.IGNORECASE)
_ENV_REFERENCE = re.compile(r"^%\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class SecretRegistry:
    """The secret values of this run; ``scrub`` masks them in any text."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self._values)

    def add(self, *values: object) -> None:
        for value in values:
            text = getattr(value, "value", value)
            if isinstance(text, str) and len(text) >= MIN_SCRUBBED_LENGTH:
                self._values.add(text)

    def scrub(self, text: str) -> str:
        if not self._values or not isinstance(text, str):
            return text
        for value in sorted(self._values, key=len, reverse=True):  # longest first: no half-masked values
            if value in text:
                text = text.replace(value, MASK)
        return text


def plain_to_secret(name: str, value: object, environ: dict[str, str] | None = None) -> tuple[Secret | None, str]:
    """A variable's value as a ``Secret`` (None when not given) and a note on how it was taken
    (never containing the value)."""
    environ = os.environ if environ is None else environ
    if isinstance(value, Secret):
        return value, ""
    env_name = SECRET_VARIABLES.get(name, name)
    if value is None or value == "":
        from_env = environ.get(env_name)
        if from_env:
            return Secret(from_env), f"{name} taken from the environment variable {env_name}"
        return None, ""
    text = str(value)
    reference = _ENV_REFERENCE.match(text)
    if reference:
        if reference.group(1) not in environ:
            raise ValueError(f"{name} names the environment variable {reference.group(1)}, which is not set")
        return Secret(environ[reference.group(1)]), f"{name} taken from the environment variable {reference.group(1)}"
    if _NEAR_MISS_PREFIX.match(text):
        return (Secret(_NEAR_MISS_PREFIX.sub("", text, count=1)),
                f"{name} was given as '{name}:Secret:...' (robot's form is \"{name}: Secret:...\", with a "
                "space); taken as that Secret")
    return Secret(text), f"{name} was given as plain text; kept as a Secret (never logged)"


def protect_secret_variables(get: Any, set_global: Any, registry: SecretRegistry,
                             environ: dict[str, str] | None = None) -> list[str]:
    """Turn every secret variable into a ``Secret`` (``get(name)``/``set_global(name, value)``
    read and write ``${NAME}``) and register its value. Returns notes for the log."""
    notes = []
    for name in SECRET_VARIABLES:
        current = get(f"${{{name}}}")
        secret, note = plain_to_secret(name, current, environ)
        if secret is None:
            continue
        registry.add(secret)
        if secret is not current:
            set_global(f"${{{name}}}", secret)
        if note:
            notes.append(note)
    return notes


# ---- kubeconfig credentials ------------------------------------------------------------------

#: user fields that name files or people, not secrets (their values are kept in messages)
_NOT_SECRET_KEYS = {"client-certificate", "client-key", "username", "tokenFile", "command", "apiVersion",
                    "name", "installHint", "interactiveMode", "provideClusterInfo"}


def _strings(node: Any, key: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for child_key, child in node.items():
            if child_key not in _NOT_SECRET_KEYS:
                yield from _strings(child, str(child_key))
    elif isinstance(node, list):
        for child in node:
            yield from _strings(child, key)
    elif isinstance(node, str) and key:
        yield node


def kubeconfig_secrets(data: Any) -> list[str]:
    """Every credential-like string of a parsed kubeconfig's users (tokens, passwords, key and
    certificate data, auth-provider config, exec arguments and environment values)."""
    if not isinstance(data, dict):
        return []
    users: Iterable[Any] = data.get("users") or []
    found = []
    for entry in users:
        if isinstance(entry, dict):
            found.extend(_strings(entry.get("user") or {}))
    return [value for value in found if len(value) >= MIN_SCRUBBED_LENGTH]
