"""The picture of the target node for log.html: which container holds each CPU (read inside the
containers) and, from the plugin's log, the CPUs the plugin reserves that no container holds
(leaked). One CPU map and one holder table carrying the map's letters."""
from __future__ import annotations

from dataclasses import dataclass

from robot.api import logger

from . import pluginlog
from .context import LibraryContext
from .cpusets import format_cpu_list
from .evidence import LEAKED_HOLDER, OFFLINE_HOLDER, cpu_map_svg, cpu_table_html, holder_tags, holders_from_assignments
from .nodeusage import read_node_usage
from .oracle import NodeUsage


@dataclass(frozen=True)
class NodeMap:
    ncpus: int
    usage: NodeUsage
    reserved: frozenset[int] | None  # what the plugin's log says it reserves; None: no log access

    @property
    def unread_integer(self) -> int:
        """CPUs of integer pods counted but not read (other namespaces, or not reachable)."""
        return sum(n for pod, n in self.usage.integer.items() if pod not in self.usage.integer_sets)

    @property
    def leaked(self) -> frozenset[int]:
        """Reserved by the plugin, held by no container whose CPUs we know."""
        if self.reserved is None:
            return frozenset()
        return frozenset(c for c in self.reserved - self.usage.known_held if 0 <= c < self.ncpus)

    def holders(self) -> dict[int, tuple[str, str]]:
        """Annotated pods may share CPUs (a legal share is drawn as one annotated holder);
        integer CPUs claimed twice are a conflict; leaked CPUs fill what no container holds."""
        holders = {cpu: holder for cpu, holder in holders_from_assignments(
            [(pod, "annotated", cpus) for pod, cpus in self.usage.annotated.items()]
            + [(pod, "integer", cpus) for pod, cpus in self.usage.integer_sets.items()]).items()
            if 0 <= cpu < self.ncpus}
        for cpu in self.leaked:
            holders.setdefault(cpu, (LEAKED_HOLDER, "leaked"))
        for cpu in self.offline:
            holders.setdefault(cpu, (OFFLINE_HOLDER, "offline"))
        return holders

    @property
    def offline(self) -> frozenset[int]:
        """CPUs below the highest online one that are not online (drawn, neither free nor held)."""
        return frozenset(range(self.ncpus)) - self.usage.online

    def table_rows(self, holders: dict[int, tuple[str, str]]) -> list[tuple[str, ...]]:
        """key (the map's letter), holder, kind, CPUs, count."""
        cpus_of: dict[tuple[str, str], set[int]] = {}
        for cpu, holder in holders.items():
            cpus_of.setdefault(holder, set()).add(cpu)
        rows = [(tag, pod, kind, format_cpu_list(cpus_of[(pod, kind)]), str(len(cpus_of[(pod, kind)])))
                for (pod, kind), tag in holder_tags(holders).items()]
        if self.offline:
            rows.append(("", OFFLINE_HOLDER, "offline", format_cpu_list(self.offline), str(len(self.offline))))
        rows += [("", pod, "integer", "(not read)", str(n)) for pod, n in sorted(self.usage.integer.items())
                 if pod not in self.usage.integer_sets]
        free = frozenset(self.usage.online) - holders.keys()
        label = "free" + (f" (up to {self.unread_integer} held by integer pods not read)" if self.unread_integer else "")
        rows.append(("", label, "free", format_cpu_list(free), str(len(free))))
        return rows

    def html(self, title: str) -> str:
        holders = self.holders()
        note = ""
        if self.reserved is None:
            note = "<br><i>The plugin's view is not drawn: no access to its log.</i>"
        elif self.leaked:
            note = (f"<br><b>Leaked: the plugin reserves {format_cpu_list(self.leaked)} ({len(self.leaked)} CPUs) "
                    "that no container holds</b> (from its log: CPUs granted or recorded and not released, "
                    "and the reserved set it last printed)")
            if self.unread_integer:
                note += f"; up to {self.unread_integer} of them may belong to integer pods whose CPUs were not read"
        table = cpu_table_html([dict(zip(("key", "holder", "kind", "CPUs", "count"), row))
                                for row in self.table_rows(holders)])
        return f"<b>{title}</b>{note}<br>" + cpu_map_svg(self.ncpus, holders) + table


def plugin_reserved(ctx: LibraryContext) -> frozenset[int] | None:
    """The plugin's reserved CPUs from its log since the run started, or None without access."""
    if ctx.node_access is None:
        return None
    access = ctx.node_access
    return pluginlog.plugin_reservation(access.read_since(ctx.run_mark or access.mark())).cpus


def read_node_map(ctx: LibraryContext) -> NodeMap:
    usage = read_node_usage(ctx)
    return NodeMap(max(usage.online) + 1, usage, plugin_reserved(ctx))


def log_node_map(ctx: LibraryContext, title: str) -> dict[int, tuple[str, str]]:
    """Log the map and its table; returns cpu -> (holder, kind)."""
    node_map = read_node_map(ctx)
    logger.info(node_map.html(title), html=True)
    return node_map.holders()
