"""CpusetLibrary: Robot Framework keywords for acceptance tests of the Weka NRI CPUSet plugin.

Importing the library connects to nothing (``robot --dryrun`` and libdoc work anywhere).
``Connect To Cluster`` with no kubeconfig starts the simulated cluster; with one, it talks to
that cluster only. The library is its own listener, so whatever a run created is removed at
the end of the run even when a suite teardown never ran.
"""
from __future__ import annotations

from robot.api import logger
from robotlibcore import DynamicCore

from .context import LibraryContext
from .doclinks import REPOSITORY_URL_VARIABLE, RELATIVE_LINK, portable_documentation, repository_url, revision
from .cpusets import CpuSet
from .keywords.batches import BatchKeywords
from .keywords.connection import ConnectionKeywords
from .keywords.cores import CoreKeywords
from .keywords.cpus import CpuKeywords
from .keywords.cpusetvalues import CpuSetValueKeywords
from .keywords.evidence import EvidenceKeywords
from .keywords.health import PluginHealthKeywords
from .keywords.daemonsets import DaemonSetKeywords
from .keywords.nodes import NodeKeywords
from .keywords.plugin import PluginKeywords
from .keywords.pods import PodKeywords
from .keywords.refusals import RefusalKeywords
from .keywords.shapes import PodShapeKeywords
from .keywords.sharedpool import SharedPoolKeywords
from .keywords.topology import TopologyKeywords
from .keywords.workloads import WorkloadKeywords
from .procedures import procedure_keywords
from .partialrun import missing_earlier_steps, partial_run_message
from .secrets import protect_secret_variables
from .version import __version__


class CpusetLibrary(DynamicCore):
    """Keywords to drive pods on a node running the Weka NRI CPUSet plugin and to judge the
    CPUs each container really gets against what the plugin says it gave.

    = Connecting =

    ``Connect To Cluster`` takes ``kubeconfig``/``context`` for a real cluster; with none it
    starts the simulated cluster (``sim_cpus``, ``plugin_model``, ``latency_profile``).
    ``Connect To Plugin`` selects how the plugin's log and restart are reached:
    ``local`` (the simulator, or a run on the node itself), ``ssh`` or ``daemonset``.

    = Evidence of a failure =

    A keyword that fails (an oracle's verdict or a restart that did not synchronize) first logs,
    under itself, the CPU map at that moment (CPUs the plugin reserves and no container holds
    drawn as ``leaked``), the pods that are not Ready with their events and the decisive plugin
    lines of the step; log.html opens failed keywords, so that is what a reader sees.
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LISTENER_API_VERSION = 3
    ROBOT_LIBRARY_CONVERTERS = {CpuSet: CpuSet.convert}

    def __init__(self) -> None:
        self.ROBOT_LIBRARY_LISTENER = self
        self._context = LibraryContext()
        pods = PodKeywords(self._context)
        self._evidence = EvidenceKeywords(self._context, pods.log_pods_that_are_not_ready)
        self._lease_reported = ""
        DynamicCore.__init__(self, [
            ConnectionKeywords(self._context),
            pods,
            CpuKeywords(self._context),
            PluginKeywords(self._context),
            PluginHealthKeywords(self._context),
            PodShapeKeywords(self._context),
            CpuSetValueKeywords(),
            TopologyKeywords(self._context),
            SharedPoolKeywords(self._context),
            WorkloadKeywords(self._context),
            CoreKeywords(self._context),
            RefusalKeywords(self._context),
            BatchKeywords(self._context),
            DaemonSetKeywords(self._context),
            NodeKeywords(self._context),
            *procedure_keywords(self._context),
            self._evidence,
        ])

    def run_keyword(self, name: str, args: tuple, kwargs: dict | None = None):
        """Every keyword runs here: when one fails, its evidence is logged under it first."""
        try:
            return DynamicCore.run_keyword(self, name, args, kwargs)
        except Exception as error:
            self._evidence.keyword_failed(name, error)
            raise

    # ---- listener: secrets never reach an output --------------------------------------------
    def start_suite(self, data, result) -> None:
        """Listener hook, before the suite setup: secret variables become ``Secret`` objects."""
        from robot.libraries.BuiltIn import BuiltIn
        from robot.utils import escape

        selected, missing = missing_earlier_steps(data)
        if missing:
            data.setup.config(name="BuiltIn.Fail", args=[escape(partial_run_message(data.name, selected, missing))])
            return
        builtin = BuiltIn()
        try:
            notes = protect_secret_variables(builtin.get_variable_value,
                                             builtin._variables.set_global,  # set without logging the value
                                             self._context.secrets)
        except ValueError as err:
            data.setup.config(name="BuiltIn.Fail", args=[escape(str(err))])
            return
        for note in notes:
            logger.console(f"[CpusetLibrary] {note}")
        if RELATIVE_LINK.search(result.doc or ""):  # links that survive log.html being attached elsewhere
            url = repository_url(str(builtin.get_variable_value(f"${{{REPOSITORY_URL_VARIABLE}}}", "") or ""))
            result.doc = portable_documentation(result.doc, url, revision() if url else "")

    def log_message(self, message) -> None:
        if self._context.secrets:
            message.message = self._context.secrets.scrub(message.message)

    def end_keyword(self, data, result) -> None:
        if self._context.secrets and result.message:
            result.message = self._context.secrets.scrub(result.message)

    def start_test(self, data, result) -> None:
        if self._context.cluster is not None:  # failures name the step they happened in
            self._context.cluster.step = result.name

    def end_test(self, data, result) -> None:
        if self._context.cluster is not None:
            self._context.cluster.step = ""
        if self._context.secrets and result.message:
            result.message = self._context.secrets.scrub(result.message)
        lease = self._context.lease
        if lease is not None and lease.problem and lease.problem != self._lease_reported:
            self._lease_reported = lease.problem  # the renewer thread may not log; the main thread does
            logger.warn(f"{lease.problem} (noticed after '{result.name}')")

    def end_suite(self, data, result) -> None:
        if self._context.secrets and result.message:
            result.message = self._context.secrets.scrub(result.message)
        if self._context.connected_suite and self._context.connected_suite == result.full_name:
            # one connection per procedure: in `robot suites/` the next suite connects afresh (its
            # own simulated cluster, its own node lease) after this one's cleanup
            for problem in self._context.shutdown():
                logger.console(f"[CpusetLibrary] {problem}")

    def close(self) -> None:
        """Listener hook: the run is over. Clean up what a suite teardown did not."""
        for problem in self._context.shutdown():
            logger.console(f"[CpusetLibrary] {problem}")
