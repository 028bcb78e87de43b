"""Which cluster a run tests, said out loud: a run on the simulated cluster is never mistaken
for a run on a real node (console banner, report metadata, a gate option that refuses it)."""
from __future__ import annotations

from collections.abc import Mapping

#: suite metadata key and values the release gate reads (nricpuset-gate --require-real-cluster)
TARGET_METADATA = "Target"
SIMULATED_TARGET = "SIMULATED cluster (nrisim): no real node or plugin was tested"
#: the simulated cluster hosting an NRI plugin binary: the plugin is real, its node is not
SIMULATED_BINARY_TARGET = ("SIMULATED cluster (nrisim) hosting a real plugin binary: no real node, kubelet, "
                           "containerd or cgroups were tested")
REAL_TARGET = "real cluster"
#: robot variable naming the plugin model of a simulated cluster started outside this run
#: (``nricpuset-fleet --simulated`` starts one for every node's process and passes it with
#: its ``KUBECONFIG``): the run reports that cluster as simulated, not as a real one
SIMULATED_ELSEWHERE_VARIABLE = "SIMULATED_PLUGIN_MODEL"
SIMULATED_BANNER = ("[CpusetLibrary] Target: SIMULATED cluster (nrisim, plugin model {model}, {cpus} CPUs), "
                    "not a real node. To test a real cluster pass -v KUBECONFIG:<path> -v TARGET_NODE:<node>.")

#: what the console says about a procedure's target before its first step, from its metadata
TARGET_LINE_FIELDS = (("cluster", "Cluster"), ("node", "Node"), ("nodes", "Nodes"),
                      ("plugin access", "Plugin access"), ("plugin model", "Plugin model"))

_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off", "")


def flag(name: str, value: object) -> bool:
    """A true/false robot variable; anything else is refused naming the variable."""
    text = str(value).strip().lower() if value is not None else ""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, got '{value}'")


def check_simulated_target_allowed(environ: Mapping[str, str], allow: object) -> None:
    """Refuse to fall back to the simulated cluster while the environment names a kubeconfig:
    the user most likely meant that cluster, and a green simulated run would pass the gate."""
    env_kubeconfig = environ.get("KUBECONFIG", "")
    if env_kubeconfig and not flag("ALLOW_SIMULATED_CLUSTER", allow):
        raise ValueError(
            f"the environment variable KUBECONFIG is set ('{env_kubeconfig}') but the robot variable KUBECONFIG "
            "is not, and this library never uses the environment's cluster silently. Either test that cluster: "
            f"-v KUBECONFIG:{env_kubeconfig} -v TARGET_NODE:<node>; or run on the simulated cluster on purpose: "
            "-v ALLOW_SIMULATED_CLUSTER:true (or unset KUBECONFIG in the environment)"
        )


def target_line(suite: str, metadata: Mapping[str, str]) -> str:
    """One console line naming where ``suite`` runs: the target (simulated or real), the cluster
    URL, the target node and how many nodes, how the plugin is reached and which plugin it is."""
    parts = [f"{label} {str(metadata[key]).replace('``', '')}" for label, key in TARGET_LINE_FIELDS
             if metadata.get(key)]
    return f"Target of {suite}: {metadata.get(TARGET_METADATA, '?')}; " + "; ".join(parts)
