"""Checking a run's variables before the cluster is touched: every bad value is named with what
was expected, all at once, and simulator-only settings given for a real cluster are flagged."""
from __future__ import annotations

from collections.abc import Mapping

from robot.utils import timestr_to_secs

from .nodeaccess.factory import VALID_KINDS
from .target import flag

#: the simulator's latency profiles (kept equal to nrisim.latency.PROFILES by a test: the
#: library never imports the simulator)
LATENCY_PROFILES = ("fast", "realistic")
#: the simulated node's CPU count: two hyperthreads per core, and a size the simulator and the
#: procedure plan handle quickly
SIM_CPUS_RANGE = (2, 1024)
#: simulator-only variables and their defaults (a different value on a real cluster is ignored)
SIMULATOR_ONLY = {"SIM_CPUS": "64", "PLUGIN_MODEL": "head", "LATENCY_PROFILE": "fast"}
#: true/false variables
FLAGS = ("SSH_SUDO", "ALLOW_SIMULATED_CLUSTER", "REMOVE_LEFTOVERS")


def _time(text: str, allow_zero: bool) -> bool:
    try:
        seconds = timestr_to_secs(text)
    except (TypeError, ValueError):
        return False
    return seconds >= 0 if allow_zero else seconds > 0


def problems_with(variables: Mapping[str, object]) -> list[str]:
    """What is wrong with ``variables`` (name -> value); empty when all are fine."""
    problems = []
    for name, value in variables.items():
        text = "" if value is None else str(value).strip()
        if name == "LEASE_WAIT":
            if not _time(text, allow_zero=True):
                problems.append(f"{name} '{value}' is not a time >= 0 such as '0', '90 s' or '10 min'")
        elif name.endswith("_TIMEOUT") or name == "LEASE_DURATION":
            if not _time(text, allow_zero=False):
                problems.append(f"{name} '{value}' is not a positive time such as '2 min' or '90 s'")
        elif name.endswith("_GRACE_PERIOD"):
            if not text.isdigit():
                problems.append(f"{name} '{value}' is not a whole number >= 0")
        elif name == "SIM_CPUS":
            low, high = SIM_CPUS_RANGE
            if not text.isdigit() or not low <= int(text) <= high or int(text) % 2:
                problems.append(f"{name} '{value}' is not what the simulated cluster supports: an even whole "
                                f"number from {low} to {high} (two hyperthreads per core)")
        elif name == "SIM_NODES":
            if not text.isdigit() or int(text) < 1:
                problems.append(f"{name} '{value}' is not a whole number >= 1")
        elif name == "LATENCY_PROFILE":
            if text not in LATENCY_PROFILES:
                problems.append(f"{name} '{value}' is not a latency profile; expected one of "
                                f"{', '.join(LATENCY_PROFILES)}")
        elif name == "NODE_ACCESS":
            if text.lower() not in VALID_KINDS:
                problems.append(f"{name} '{value}' is not a node access kind; expected one of {', '.join(VALID_KINDS)}")
        elif name in FLAGS:
            try:
                flag(name, value)
            except ValueError as err:
                problems.append(f"{name} '{value}' is not true or false" if str(err) else str(err))
    return problems


def simulator_only_given_for_real_cluster(variables: Mapping[str, object]) -> list[str]:
    """Simulator-only variables set to something other than their default while KUBECONFIG
    names a real cluster (they would be silently ignored)."""
    if not str(variables.get("KUBECONFIG") or "").strip():
        return []
    return [f"{name}={variables[name]}" for name, default in SIMULATOR_ONLY.items()
            if name in variables and str(variables[name]).strip() != default]
