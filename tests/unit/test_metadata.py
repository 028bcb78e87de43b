"""The run metadata shown at the top of log.html is text: no link to an API URL that is dead once
the run is over."""
from __future__ import annotations

from types import SimpleNamespace

from robot.utils import html_format

from CpusetLibrary.context import LibraryContext
from CpusetLibrary.keywords.connection import ConnectionKeywords


def _metadata(simulated: bool) -> dict:
    ctx = LibraryContext()
    ctx.cluster = SimpleNamespace(server="http://127.0.0.1:43127", kubeconfig="/tmp/k.yaml")
    ctx.node = SimpleNamespace(name="sim-node-1", cpu_capacity=64.0, cpu_allocatable=64.0,
                               runtime="containerd 2.0.5-k3s1")
    ctx.simulator = SimpleNamespace(plugin_model="head", map_order_seed=None) if simulated else None
    return ConnectionKeywords(ctx).cluster_metadata()


def test_cluster_metadata_renders_without_links():
    for simulated in (True, False):
        for name, value in _metadata(simulated).items():
            rendered = html_format(str(value))
            assert "<a " not in rendered, f"{name} renders as a link: {rendered}"
        assert "127.0.0.1:43127" in html_format(_metadata(simulated)["Cluster"])
