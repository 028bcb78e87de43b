"""Every option of the simulated cluster."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from .latency import Latencies, profile
from .cpulists import parse_cpu_list


@dataclass
class SimConfig:
    cpus: int = 64
    threads_per_core: int = 2
    numa_nodes: int = 1
    offline_cpus: str = ""  # kernel list syntax, e.g. "5,7" or "60-63": CPUs present but not online
    shuffle_map_order: bool = False  # walk the plugin model's Go maps in a seeded random order
    map_order_seed: int | None = None  # None with shuffling: a random seed (published in cluster.json)
    reserved_cpu: str = "0"  # quantity subtracted from capacity for allocatable
    memory: str = "256Gi"  # each node's memory capacity
    reserved_memory: str = "0"  # subtracted from capacity for allocatable (k3s: eviction threshold 100Mi)
    node_name: str = "sim-node-1"  # with nodes > 1: <node_name without -N>-1 .. -N
    nodes: int = 1
    plugin_model: str = "head"
    plugin_binary: str | None = None  # an NRI plugin binary hosted on every node instead of the model
    shadow_model: str | None = None  # with plugin_binary: a model beside it; the first differing decision is reported
    workdir: Path | None = None  # None: a new temporary directory
    kubeconfig: Path | None = None  # None: <workdir>/kubeconfig
    log_file: Path | None = None  # None: <workdir>/weka-cpuset.log
    host: str = "127.0.0.1"
    port: int = 0
    latencies: Latencies = field(default_factory=lambda: profile("fast"))

    def node_names(self) -> list[str]:
        """``node_name`` alone, or ``<base>-1`` .. ``<base>-N`` (base: node_name without a -N tail)."""
        if self.nodes == 1:
            return [self.node_name]
        base = re.sub(r"-\d+$", "", self.node_name)
        return [f"{base}-{i}" for i in range(1, self.nodes + 1)]

    def __post_init__(self) -> None:
        for name in ("cpus", "threads_per_core", "numa_nodes", "port", "nodes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if not isinstance(self.offline_cpus, str):
            raise ValueError(f"offline_cpus must be a CPU list such as '5,7', got {self.offline_cpus!r}")
        try:
            parse_cpu_list(self.offline_cpus)
        except ValueError as err:
            raise ValueError(f"offline_cpus {self.offline_cpus!r} is not a CPU list such as '5,7' or "
                             f"'60-63': {err}") from None
        if not isinstance(self.shuffle_map_order, bool):
            raise ValueError(f"shuffle_map_order must be true or false, got {self.shuffle_map_order!r}")
        if self.map_order_seed is not None:
            if not isinstance(self.map_order_seed, int) or isinstance(self.map_order_seed, bool):
                raise ValueError(f"map_order_seed must be an integer, got {self.map_order_seed!r}")
            if not self.shuffle_map_order:
                raise ValueError("map_order_seed needs shuffle_map_order (the default order is not random)")
        elif self.shuffle_map_order:
            self.map_order_seed = random.SystemRandom().randrange(2**31)
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0..65535, got {self.port}")
        if not isinstance(self.node_name, str) or not self.node_name:
            raise ValueError(f"node_name must be a non-empty string, got {self.node_name!r}")
        if not 1 <= self.nodes <= 64:
            raise ValueError(f"nodes must be 1..64, got {self.nodes}")
        if self.plugin_binary is not None and (not isinstance(self.plugin_binary, str) or not self.plugin_binary):
            raise ValueError(f"plugin_binary must be the path of an executable, got {self.plugin_binary!r}")
        if self.shadow_model is not None and not self.plugin_binary:
            raise ValueError(f"shadow_model {self.shadow_model!r} needs plugin_binary (it shadows a hosted binary)")
        for name in ("workdir", "kubeconfig", "log_file"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, Path(value))

    @property
    def offline_cpu_ids(self) -> set[int]:
        return parse_cpu_list(self.offline_cpus)
