"""Pods of any shape from one keyword, the plugin's refusals, readiness over time, and the
per-test cleanup that makes the tests of one suite independent."""
from __future__ import annotations

import re
import time
from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from ..context import LibraryContext
from ..podshape import PodShape, pod_body
from ..podstate import view

#: containerd wraps the plugin's error; the plugin's own words follow the last "desc = "
_PLUGIN_DESC = re.compile(r".*desc = (?P<message>.*)$", re.DOTALL)


def plugin_message(waiting_message: str) -> str:
    """The plugin's own message inside containerd's wrapping (the whole text when unwrapped)."""
    match = _PLUGIN_DESC.match(waiting_message or "")
    return (match["message"] if match else waiting_message or "").strip()


def _terminated(pod) -> str:
    """``; container ended: <reason>: <message>`` when a container of the pod has ended."""
    for status in (pod.status.container_statuses or []) if pod.status else []:
        ended = status.state.terminated if status.state else None
        if ended is not None:
            return f"; container ended: {ended.reason or ''}: {(ended.message or '').strip()}"
    return ""


class PodShapeKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    @keyword
    def pod_body(self, name: str, cpu: str = "", cpu_limit: str = "", memory: str = "", memory_limit: str = "",
                 cores: str | None = None, forbid: str | None = None, command: list[str] | str | None = None,
                 image: str = "busybox:latest") -> dict:
        """A pod body of any shape, pinned to the target node, in the test namespace.

        - ``cpu``/``memory``: requests (``2``, ``1.5``, ``500m``; ``64Mi``). Limits default to
          the requests; give ``cpu_limit``/``memory_limit`` to differ, ``none`` for no limit.
          No ``cpu`` and no ``memory``: a BestEffort pod.
        - ``cores``: the ``weka.io/cores-ids`` annotation (``${EMPTY}`` is an empty but present
          annotation); ``forbid``: ``weka.io/forbid-core-ids``.
        - ``command``: a list, or one string run by ``sh -c``; default: the command of the
          procedure manifests.

        Returns the body, for ``Create Pods Together``.

        Examples:
        | ${integer} = | Pod Body | int-a | cpu=2 | memory=64Mi |
        | ${shared} = | Pod Body | shr-a | cpu=1500m | memory=64Mi |
        | ${burst} = | Pod Body | shr-b | cpu=1 | cpu_limit=2 | memory=64Mi |
        | ${besteffort} = | Pod Body | shr-c |
        | ${annotated} = | Pod Body | ann-a | cpu=100m | cores=0,2 |
        | ${forbidding} = Pod Body | int-f | cpu=2 | memory=64Mi | forbid=1,3,5 |
        | Create Pods Together | ${integer} | ${shared} |
        """
        if isinstance(command, str):
            command = ["sh", "-c", command]
        shape = PodShape(name, cpu or None, cpu_limit or None, memory or None, memory_limit or None,
                         cores, forbid, tuple(command) if command else None, image)
        return pod_body(shape, self.ctx.require_namespace(), self.ctx.require_node().name, self.ctx.run_id)

    @keyword
    def pod_should_be_refused_by_the_plugin(self, name: str, message: str = "", pattern: str = "",
                                            timeout: timedelta = timedelta(minutes=1)) -> str:
        """Wait (watch, bounded) until the pod's container is refused (``CreateContainerError``)
        and check the plugin's own message: equal to ``message``, or matching the regular
        expression ``pattern`` in full (``re.fullmatch``; in Robot data write ``\\\\[`` for a literal bracket;
        nothing is glob-like). Fails when the pod runs or the scheduler refuses it instead.
        Returns the plugin's message.

        Examples:
        | Pod Should Be Refused By The Plugin | ann-bad | message=invalid CPU list in annotation '5-2': invalid CPU range 5-2: start > end |
        | Pod Should Be Refused By The Plugin | ann-999 | pattern=invalid CPU list in annotation '999': CPU\\\\(s\\\\) not online: \\\\[999\\\\] .* |
        """
        if bool(message) == bool(pattern):
            raise ValueError("give exactly one of message (exact text) and pattern (regular expression)")
        if pattern:
            try:
                regex = re.compile(pattern, re.DOTALL)
            except re.error as err:
                raise ValueError(f"pattern '{pattern}' is not a regular expression: {err}") from None
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        said: dict[str, str] = {}

        def judge(state) -> bool:
            pod = state[name]
            if pod is None:
                raise AssertionError(f"pod '{namespace}/{name}' does not exist")
            pod_view = view(pod)
            if pod_view.phase == "Running":
                raise AssertionError(f"pod {name} is Running: the plugin did not refuse it")
            if pod_view.unschedulable:
                raise AssertionError(f"pod {name} was refused by the scheduler, not the plugin: "
                                     f"{pod_view.unschedulable}")
            if pod_view.waiting_reason == "CreateContainerError":
                said["message"] = plugin_message(pod_view.waiting_message)
                return True
            ended = _terminated(pod)
            if pod_view.phase in ("Failed", "Succeeded") or ended or pod_view.waiting_reason not in (
                    "", "ContainerCreating", "PodInitializing"):
                raise AssertionError(f"pod {name} was not refused by the plugin at creation: "
                                     f"{pod_view.describe()}{ended}")
            return False

        state, done = cluster.watch_pods(namespace, [name], judge, timeout.total_seconds())
        if not done:
            raise AssertionError(f"pod {name} was not refused within {timeout.total_seconds():g} s: "
                                 f"{view(state[name]).describe() if state[name] else 'gone'}")
        got = said["message"]
        if message and got != message:
            raise AssertionError(f"pod {name} was refused with '{got}', expected '{message}'")
        if pattern and not regex.fullmatch(got):
            raise AssertionError(f"pod {name} was refused with '{got}', which does not match '{pattern}'")
        logger.info(f"Plugin refused pod {name}: {got}")
        return got

    @keyword
    def pod_should_stay_ready(self, name: str, duration: timedelta = timedelta(seconds=5)) -> None:
        """The pod is Ready now and stays Ready for ``duration`` (a bounded watch: fails at the
        first change that makes it not Ready or gone).

        Example:
        | Pod Should Stay Ready | integer-a | 3 s |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        seen = {"ready": False}

        def judge(state) -> bool:
            pod = state[name]
            if pod is None:
                raise AssertionError(f"pod {name} is gone")
            pod_view = view(pod)
            if not pod_view.ready:
                when = "is not Ready" if not seen["ready"] else "stopped being Ready"
                raise AssertionError(f"pod {name} {when}: {pod_view.describe()}")
            seen["ready"] = True
            return False  # keep watching until the duration is over

        cluster.watch_pods(namespace, [name], judge, duration.total_seconds())
        logger.info(f"Pod {name} stayed Ready for {duration.total_seconds():g} s")

    @keyword
    def clean_up_test_pods(self, grace_period: int = 0, timeout: timedelta = timedelta(minutes=2)) -> list[str]:
        """Per-test cleanup: delete every pod of the test namespace, wait until they are gone
        and until the plugin has released every container they had (also one it admitted while
        the pod was being deleted, which the test never saw Running), so the next test starts
        from an idle node. Returns the deleted pods' names.

        Example:
        | Test Teardown | Clean Up Test Pods | grace_period=0 |
        """
        from .plugin import PluginKeywords
        from .pods import PodKeywords

        if self.ctx.cluster is None or not self.ctx.namespace:
            return []
        names = [pod.metadata.name for pod in self.ctx.cluster.list_pods(self.ctx.namespace)]
        if not names:
            return []
        pods = PodKeywords(self.ctx)
        started = time.monotonic()
        pods.delete_pods_together(*names, grace_period=grace_period)
        pods.wait_until_pods_are_gone(*names, timeout=timeout)
        held = [name for name in names if self.ctx.container_ids.get(name)]
        plugin = PluginKeywords(self.ctx)
        if held:
            plugin.wait_until_plugin_has_released_pods(*held, timeout=timeout)
        plugin.wait_for_unseen_admissions([name for name in names if name not in held], timeout)
        for name in names:  # a later test may reuse a name: forget this pod's containers
            if self.ctx.container_ids.get(name):  # kept for naming a leak's pods until the next test
                self.ctx.cleaned_up_ids[name] = self.ctx.container_ids[name]
            self.ctx.container_ids.pop(name, None)
            self.ctx.deletion_marks.pop(name, None)
        logger.info(f"Cleaned up {len(names)} pods in {time.monotonic() - started:.2f} s: {', '.join(names)}")
        return names
