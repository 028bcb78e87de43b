"""HTML/SVG fragments for log.html evidence: a CPU map, CPU tables and marked plugin log lines.

All functions return strings for ``robot.api.logger.info(fragment, html=True)``; every text
that comes from outside (pod names, log lines) is escaped.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape

from .cpusets import format_cpu_list

KINDS = ("annotated", "integer", "shared", "free", "conflict")
#: kinds whose CPUs the plugin must not give to an integer container
EXCLUSIVE_KINDS = frozenset({"annotated", "integer"})
COLOURS = {
    "annotated": "#4e79a7",
    "integer": "#59a14f",
    "shared": "#f2cf5b",
    "free": "#e6e6e6",
    "conflict": "#e15759",
}
_TEXT_COLOURS = {"annotated": "#ffffff", "integer": "#ffffff", "conflict": "#ffffff"}
_CELL = 30
_GAP = 2
_LEGEND_ROW = 22


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def holders_from_assignments(
    assignments: Iterable[tuple[str, str, Iterable[int]]],
) -> dict[int, tuple[str, str]]:
    """Build the ``holders`` map of :func:`cpu_map_svg` from ``(pod, kind, cpus)`` triples.

    A CPU claimed by an integer holder and any other exclusive holder becomes
    ``("a, b", "conflict")``. Annotated pods may share CPUs with each other (the plugin
    refcounts them), and shared pods overlapping exclusive CPUs are shown as the exclusive
    holder (the plugin does not update older shared containers).
    """
    claims: dict[int, list[tuple[str, str]]] = {}
    for pod, kind, cpus in assignments:
        if kind not in KINDS:
            raise ValueError(f"holder kind {kind!r} of pod {pod!r}: expected one of {KINDS}")
        for cpu in cpus:
            claims.setdefault(cpu, []).append((pod, kind))
    holders: dict[int, tuple[str, str]] = {}
    for cpu, owners in claims.items():
        exclusive = [(p, k) for p, k in owners if k in EXCLUSIVE_KINDS]
        chosen = exclusive or owners
        names = ", ".join(dict.fromkeys(p for p, _ in chosen))
        pods = {p for p, _ in exclusive}
        if len(pods) > 1 and any(k == "integer" for _, k in exclusive):
            holders[cpu] = (names, "conflict")
        else:
            holders[cpu] = (names, chosen[0][1])
    return holders


def cpu_map_svg(ncpus: int, holders: Mapping[int, tuple[str, str]], columns: int = 16) -> str:
    """An inline SVG grid, one cell per CPU, coloured by the holder's kind, with a legend.

    ``holders`` maps CPU -> ``(pod, kind)``; CPUs not in it are ``free``.
    """
    if isinstance(ncpus, bool) or not isinstance(ncpus, int) or ncpus < 1:
        raise ValueError(f"ncpus must be a positive integer, got {ncpus!r}")
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns must be a positive integer, got {columns!r}")
    for cpu, holder in holders.items():
        if not isinstance(cpu, int) or not 0 <= cpu < ncpus:
            raise ValueError(f"holder CPU {cpu!r} is outside 0-{ncpus - 1}")
        if not (isinstance(holder, tuple) and len(holder) == 2 and holder[1] in KINDS):
            raise ValueError(
                f"holder of CPU {cpu}: {holder!r}; expected (pod, kind) with kind in {KINDS}"
            )
    rows = -(-ncpus // columns)
    width = columns * (_CELL + _GAP) + _GAP
    grid_height = rows * (_CELL + _GAP) + _GAP
    height = grid_height + _LEGEND_ROW + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="11" '
        f'class="cpu-map">'
    ]
    for cpu in range(ncpus):
        pod, kind = holders.get(cpu, ("", "free"))
        x = _GAP + (cpu % columns) * (_CELL + _GAP)
        y = _GAP + (cpu // columns) * (_CELL + _GAP)
        label = f"cpu {cpu}: {pod} ({kind})" if pod else f"cpu {cpu}: ({kind})"
        parts.append(
            f'<g class="cpu {kind}" data-cpu="{cpu}"><title>{escape(label)}</title>'
            f'<rect x="{x}" y="{y}" width="{_CELL}" height="{_CELL}" rx="3" '
            f'fill="{COLOURS[kind]}" stroke="#555555" stroke-width="0.5"/>'
            f'<text x="{x + _CELL / 2:g}" y="{y + _CELL / 2 + 4:g}" text-anchor="middle" '
            f'fill="{_TEXT_COLOURS.get(kind, "#000000")}">{cpu}</text></g>'
        )
    legend_y = grid_height + 4
    x = _GAP
    for kind in KINDS:
        count = sum(1 for cpu in range(ncpus) if holders.get(cpu, ("", "free"))[1] == kind)
        text = f"{kind} ({count})"
        parts.append(
            f'<g class="legend"><rect x="{x}" y="{legend_y}" width="14" height="14" '
            f'fill="{COLOURS[kind]}" stroke="#555555" stroke-width="0.5"/>'
            f'<text x="{x + 18}" y="{legend_y + 11}">{escape(text)}</text></g>'
        )
        x += 18 + 8 * len(text) + 10
    parts.append("</svg>")
    return "".join(parts)


def _cell(value: object) -> str:
    if isinstance(value, (set, frozenset)) and all(isinstance(v, int) for v in value):
        value = format_cpu_list(value)
    return escape("" if value is None else str(value))


def cpu_table_html(
    rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None
) -> str:
    """A simple HTML table; columns default to the first row's keys. Sets of CPU numbers are
    shown as CPU lists; every cell is escaped."""
    if columns is None:
        columns = list(rows[0].keys()) if rows else []
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f'<table class="cpu-table" border="1"><tr>{head}</tr>{body}</table>'


def log_lines_html(lines: Iterable[str], marked_substrings: Iterable[str]) -> str:
    """Log lines in a ``<pre>``; lines containing any of ``marked_substrings`` (e.g. the
    container ids under test) are wrapped in ``<mark>``."""
    markers = list(marked_substrings)
    if any(not isinstance(m, str) or not m for m in markers):
        raise ValueError(f"marked substrings must be non-empty strings, got {markers!r}")
    rendered = []
    for line in lines:
        text = escape(str(line).rstrip("\n"))
        if any(marker in line for marker in markers):
            text = f"<mark>{text}</mark>"
        rendered.append(text)
    return '<pre class="plugin-log">' + "\n".join(rendered) + "</pre>"
