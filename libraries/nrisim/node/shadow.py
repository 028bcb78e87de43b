"""A shadow model beside a plugin binary: it receives the same events, the binary's answers
are applied, and the first decision where the two differ (event, container, both answers) is
written to the node's plugin log and to ``shadow-divergence.json`` beside it. It tells what a
new build changed in allocation behaviour, or that a model is stale."""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Callable, Mapping, Sequence

from ..cpulists import parse_cpu_list
from ..plugin.interface import (Adjustment, ContainerInfo, ContainerUpdate, PluginError, PluginModel, Runtime)
from .connection import RUNTIME_NAME, RUNTIME_VERSION, PluginConnection, PluginLauncher, RuntimeSide

log = logging.getLogger("nrisim.shadow")

PREFIX = "nrisim shadow model"


class _Recorder(Runtime):
    """The shadow's runtime: its own UpdateContainers are recorded, not applied, and reported
    as done (the binary's updates are the ones the containers get)."""

    def update_containers(self, updates: Sequence[ContainerUpdate],
                          on_done: Callable[[list[str]], None] | None = None) -> None:
        if on_done is not None:  # after the hook returns, as the runtime calls it
            asyncio.get_running_loop().call_soon(on_done, [])


def _cpus(text: str) -> frozenset[int]:
    try:
        return frozenset(parse_cpu_list(text)) if text else frozenset()
    except ValueError:
        return frozenset({-1})


def _answer(adjustment: Adjustment | None, refusal: str | None) -> str:
    if refusal is not None:
        return f"refused {refusal!r}"
    assert adjustment is not None
    return f"cpus {adjustment.cpus or '(unchanged)'} mems {adjustment.mems or '(unchanged)'}"


class ShadowConnection(PluginConnection):
    def __init__(self, primary: PluginConnection, model: PluginModel, model_name: str, report: Path,
                 write_plugin_log: Callable[[str], None]) -> None:
        self.primary = primary
        self.model = model
        self.model_name = model_name
        self.report = report
        self.write_plugin_log = write_plugin_log
        self.instance = primary.instance
        self.real_stall = primary.real_stall
        self.diverged = report.is_file()

    def _differ(self, event: str, container: ContainerInfo | None, binary: str, model: str) -> None:
        if self.diverged:
            return
        self.diverged = True
        where = (f"{container.pod_namespace}/{container.pod_name}/{container.name} ({container.container_id[:12]})"
                 if container else "every container")
        self.write_plugin_log(f"{PREFIX} {self.model_name}: first divergence at {event} of {where}: "
                              f"binary {binary}; model {model}")
        self.report.write_text(json.dumps({"model": self.model_name, "event": event, "container": where,
                                           "binary": binary, "model_answer": model}, indent=2) + "\n")

    def _shadow(self, what: str, call: Callable[[], object]) -> tuple[object, str | None]:
        try:
            return call(), None
        except PluginError as err:
            return None, str(err)
        except Exception as err:  # a broken model must not break the run it shadows
            log.exception("shadow model failed in %s", what)
            return None, f"model error {err}"

    async def synchronize(self, containers: Sequence[ContainerInfo]) -> list[ContainerUpdate]:
        updates = await self.primary.synchronize(containers)
        shadow, _ = self._shadow("Synchronize", lambda: self.model.synchronize(containers) or [])
        mine = {(u.container_id, _cpus(u.cpus)) for u in updates}
        theirs = {(u.container_id, _cpus(u.cpus)) for u in (shadow or [])}
        if mine != theirs:
            self._differ("Synchronize", None, f"updates {sorted((c[:12], sorted(s)) for c, s in mine)}",
                         f"updates {sorted((c[:12], sorted(s)) for c, s in theirs)}")
        return updates

    async def run_pod_sandbox(self, namespace: str, name: str, uid: str = "", sandbox_id: str = "",
                              annotations: Mapping[str, str] | None = None) -> None:
        await self.primary.run_pod_sandbox(namespace, name, uid, sandbox_id, annotations)
        self._shadow("RunPodSandbox", lambda: self.model.run_pod_sandbox(namespace, name))

    async def create_container(self, info: ContainerInfo) -> Adjustment:
        refusal: str | None = None
        adjustment: Adjustment | None = None
        try:
            adjustment = await self.primary.create_container(info)
        except PluginError as err:
            refusal = str(err)
        theirs, their_refusal = self._shadow("CreateContainer", lambda: self.model.create_container(info)
                                             or Adjustment())
        same = (refusal == their_refusal if refusal is not None or their_refusal is not None else
                _cpus(adjustment.cpus) == _cpus(theirs.cpus) and _cpus(adjustment.mems) == _cpus(theirs.mems))
        if not same:
            self._differ("CreateContainer", info, _answer(adjustment, refusal), _answer(theirs, their_refusal))
        if refusal is not None:
            raise PluginError(refusal)
        assert adjustment is not None
        return adjustment

    async def update_container(self, info: ContainerInfo) -> ContainerUpdate | None:
        update = await self.primary.update_container(info)
        self._shadow("UpdateContainer", lambda: self.model.update_container(info))
        return update

    async def remove_container(self, info: ContainerInfo) -> None:
        try:
            await self.primary.remove_container(info)
        finally:
            self._shadow("RemoveContainer", lambda: self.model.remove_container(info))

    def stall(self, seconds: float) -> None:
        self.primary.stall(seconds)

    def stop(self) -> None:
        self.primary.stop()

    def owns_update(self, token: object) -> bool:
        return self.primary.owns_update(token)

    def is_process(self, connection: PluginConnection) -> bool:
        return connection is self or self.primary.is_process(connection)


class ShadowLauncher(PluginLauncher):
    """Launches ``primary`` and a fresh ``model_cls`` beside every process it starts."""

    def __init__(self, primary: PluginLauncher, model_cls: type[PluginModel], model_name: str, report: Path) -> None:
        self.primary = primary
        self.model_cls = model_cls
        self.model_name = model_name
        self.report = report
        self.description = f"{primary.description} shadowed by model {model_name}"

    async def launch(self, runtime: RuntimeSide) -> PluginConnection:
        primary = await self.primary.launch(runtime)
        shadow_log = self.report.with_name(self.report.stem + ".model.log")

        def model_line(line: str) -> None:
            with open(shadow_log, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")

        model = self.model_cls(runtime.topology, model_line, _Recorder())
        model.map_order = runtime.map_order
        try:
            model.configure(RUNTIME_NAME, RUNTIME_VERSION)
        except Exception:
            log.exception("shadow model failed during configure")

        def plugin_line(line: str) -> None:
            runtime.sink.line(primary.instance, line)

        return ShadowConnection(primary, model, self.model_name, self.report, plugin_line)

    def metadata(self) -> dict[str, str]:
        meta = getattr(self.primary, "metadata", lambda: {})()
        return {**meta, "shadow_model": self.model_name}

    async def aclose(self) -> None:
        await self.primary.aclose()

    def close(self) -> None:
        self.primary.close()
