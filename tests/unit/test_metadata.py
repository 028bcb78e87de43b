"""The run metadata shown at the top of log.html is text: no link to an API URL that is dead once
the run is over."""
from __future__ import annotations

from types import SimpleNamespace

from robot.utils import html_format

from CpusetLibrary.context import LibraryContext
from CpusetLibrary.keywords import connection
from CpusetLibrary.keywords.connection import ConnectionKeywords
from CpusetLibrary.target import REAL_TARGET, SIMULATED_BINARY_TARGET, SIMULATED_TARGET


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


def test_a_cluster_served_by_a_simulator_started_elsewhere_is_reported_as_simulated(monkeypatch):
    """A fleet run's processes reach one simulator through a kubeconfig, as a real cluster; the
    fleet launcher names its plugin model, and the run must not claim a real cluster or plugin."""
    assert _metadata(simulated=False)["Target"] == REAL_TARGET
    assert _metadata(simulated=False)["Plugin model"] == "real plugin"
    given = {"SIMULATED_PLUGIN_MODEL": "pre-fix"}
    monkeypatch.setattr(connection, "_run_variable", lambda name, default: given.get(name, default))
    metadata = _metadata(simulated=False)
    assert metadata["Target"] == SIMULATED_TARGET
    assert metadata["Plugin model"] == "pre-fix (simulated)"
    assert metadata["Cluster"].startswith("simulated (nrisim, started outside this run), API ``http://127.0.0.1:43127``")
    # the library's own simulator is reported as before, whatever the variable says
    own = _metadata(simulated=True)
    assert own["Target"] == SIMULATED_TARGET and own["Plugin model"] == "head"


def test_the_top_level_of_several_procedures_keeps_what_they_share_and_says_how_they_differ():
    from CpusetLibrary.runmetadata import merged_metadata

    first = {"Target": "SIMULATED cluster", "Node": "sim-node-1", "Cluster": "API ``http://127.0.0.1:1``"}
    second = {"Target": "SIMULATED cluster", "Node": "sim-node-2", "Cluster": "API ``http://127.0.0.1:2``"}
    assert merged_metadata([first, second, first]) == {
        "Target": "SIMULATED cluster", "Node": "sim-node-1 / sim-node-2",
        "Cluster": "2 different values: see each procedure's own metadata"}
    assert merged_metadata([]) == {}


def test_a_hosted_plugin_binary_is_named_and_its_run_is_still_simulated():
    """A real plugin binary on simulated nodes: the target says the plugin is real and the node is
    not, so the gate's --require-real-cluster still refuses the run."""
    ctx = LibraryContext()
    ctx.cluster = SimpleNamespace(server="http://127.0.0.1:43127", kubeconfig="/tmp/k.yaml")
    ctx.node = SimpleNamespace(name="sim-node-1", cpu_capacity=64.0, cpu_allocatable=64.0,
                               runtime="containerd 2.0.5-k3s1")
    binary = {"path": "/opt/weka-cpuset", "sha256": "ab" * 32, "version": "weka-cpuset version 1.0.0"}
    ctx.simulator = SimpleNamespace(plugin_model="head", map_order_seed=None, plugin_binary=binary)
    metadata = ConnectionKeywords(ctx).cluster_metadata()
    assert metadata["Target"] == SIMULATED_BINARY_TARGET != REAL_TARGET
    assert metadata["Plugin model"].startswith("binary ``/opt/weka-cpuset`` (sha256 abab")
