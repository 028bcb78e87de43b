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
from .cpusets import CpuSet
from .keywords.connection import ConnectionKeywords
from .keywords.cpus import CpuKeywords
from .keywords.cpusetvalues import CpuSetValueKeywords
from .keywords.daemonsets import DaemonSetKeywords
from .keywords.nodes import NodeKeywords
from .keywords.plugin import PluginKeywords
from .keywords.pods import PodKeywords
from .keywords.shapes import PodShapeKeywords
from .keywords.topology import TopologyKeywords
from .procedures import procedure_keywords
from .version import __version__


class CpusetLibrary(DynamicCore):
    """Keywords to drive pods on a node running the Weka NRI CPUSet plugin and to judge the
    CPUs each container really gets against what the plugin says it gave.

    = Connecting =

    ``Connect To Cluster`` takes ``kubeconfig``/``context`` for a real cluster; with none it
    starts the simulated cluster (``sim_cpus``, ``plugin_model``, ``latency_profile``).
    ``Connect To Plugin`` selects how the plugin's log and restart are reached:
    ``local`` (simulator only), ``ssh`` or ``daemonset``.
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LISTENER_API_VERSION = 3
    ROBOT_LIBRARY_CONVERTERS = {CpuSet: CpuSet.convert}

    def __init__(self) -> None:
        self.ROBOT_LIBRARY_LISTENER = self
        self._context = LibraryContext()
        DynamicCore.__init__(self, [
            ConnectionKeywords(self._context),
            PodKeywords(self._context),
            CpuKeywords(self._context),
            PluginKeywords(self._context),
            PodShapeKeywords(self._context),
            CpuSetValueKeywords(),
            TopologyKeywords(self._context),
            DaemonSetKeywords(self._context),
            NodeKeywords(self._context),
            *procedure_keywords(self._context),
        ])

    def close(self) -> None:
        """Listener hook: the run is over. Clean up what a suite teardown did not."""
        for problem in self._context.shutdown():
            logger.console(f"[CpusetLibrary] {problem}")
