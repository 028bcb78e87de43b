"""HTML/SVG fragments for log.html evidence: a CPU map, CPU tables and marked plugin log lines.

All functions return strings for ``robot.api.logger.info(fragment, html=True)``; every text
that comes from outside (pod names, log lines) is escaped.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape

from .cpusets import format_cpu_list

KINDS = ("annotated", "integer", "shared", "free", "conflict", "leaked", "offline")
#: kinds whose CPUs the plugin must not give to an integer container
EXCLUSIVE_KINDS = frozenset({"annotated", "integer"})
COLOURS = {
    "annotated": "#4e79a7",
    "integer": "#59a14f",
    "shared": "#f2cf5b",
    "free": "#e6e6e6",
    "conflict": "#e15759",
    "leaked": "#f28e2b",  # the plugin reserves it, no container holds it
    "offline": "#ffffff",  # present on the node, not online: neither free nor held
}
_TEXT_COLOURS = {"annotated": "#ffffff", "integer": "#ffffff", "conflict": "#ffffff", "leaked": "#ffffff"}
#: the holder name of leaked CPUs in the map and its table
LEAKED_HOLDER = "reserved by the plugin, held by no container"
#: the holder name of offline CPUs in the map and its table
OFFLINE_HOLDER = "offline (not online on the node)"
_CELL = 30
_GAP = 2
_LEGEND_ROW = 22
_CHAR = 7  # px per character of the 11 px monospace legend text (about 6.6 px, rounded up)
_MIN_WIDTH = 400  # narrow grids (few columns) still get a readable legend


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


def _tag(index: int) -> str:
    """A, B, ... Z, AA, AB, ...: a short name for the index-th holder in the map."""
    tag = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        tag = chr(ord("A") + rest) + tag
    return tag


def _flow(items: Sequence[tuple[str, str, str]], width: int, top: int) -> tuple[list[str], int]:
    """Lay out ``(fill, label, css class)`` legend items left to right, wrapping at ``width``
    (labels are monospace, about _CHAR px per character). Returns the parts and the bottom y."""
    parts: list[str] = []
    x, y = _GAP, top
    for fill, label, css in items:
        item_width = 18 + _CHAR * len(label) + 10
        if x > _GAP and x + item_width > width:
            x, y = _GAP, y + _LEGEND_ROW
        parts.append(
            f'<g class="{css}"><rect x="{x}" y="{y}" width="14" height="14" '
            f'fill="{fill}" stroke="#555555" stroke-width="0.5"/>'
            f'<text x="{x + 18}" y="{y + 11}">{escape(label)}</text></g>'
        )
        x += item_width
    return parts, y + _LEGEND_ROW


def holder_tags(holders: Mapping[int, tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The letter of each holder (A, B, ... in the order of its lowest CPU), as the map and its
    table show it; free CPUs get none."""
    tags: dict[tuple[str, str], str] = {}
    for cpu in sorted(holders):
        holder = holders[cpu]
        if holder[0] and holder[1] not in ("free", "offline") and holder not in tags:
            tags[holder] = _tag(len(tags))
    return tags


def cpu_map_svg(ncpus: int, holders: Mapping[int, tuple[str, str]], columns: int = 16) -> str:
    """An inline SVG grid, one cell per CPU, coloured by the holder's kind, with a legend.

    ``holders`` maps CPU -> ``(pod, kind)``; CPUs not in it are ``free``. Each holder gets
    a letter (A, B, ... in the order of its lowest CPU) shown in its cells and keyed under
    the legend, so a screenshot or print still says which pod holds which CPU (the cell's
    tooltip gives the full name too).
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
    tags = holder_tags(holders)
    rows = -(-ncpus // columns)
    width = max(columns * (_CELL + _GAP) + _GAP, _MIN_WIDTH)
    grid_height = rows * (_CELL + _GAP) + _GAP
    cells = []
    for cpu in range(ncpus):
        pod, kind = holders.get(cpu, ("", "free"))
        x = _GAP + (cpu % columns) * (_CELL + _GAP)
        y = _GAP + (cpu // columns) * (_CELL + _GAP)
        label = f"cpu {cpu}: {pod} ({kind})" if pod else f"cpu {cpu}: ({kind})"
        tag = tags.get((pod, kind), "")
        colour = _TEXT_COLOURS.get(kind, "#000000")
        number_y = y + 13 if tag else y + _CELL / 2 + 4
        cells.append(
            f'<g class="cpu {kind}" data-cpu="{cpu}"><title>{escape(label)}</title>'
            f'<rect x="{x}" y="{y}" width="{_CELL}" height="{_CELL}" rx="3" '
            f'fill="{COLOURS[kind]}" stroke="#555555" stroke-width="0.5"/>'
            f'<text x="{x + _CELL / 2:g}" y="{number_y:g}" text-anchor="middle" '
            f'fill="{colour}">{cpu}</text>'
            + (f'<text x="{x + _CELL / 2:g}" y="{y + _CELL - 4:g}" text-anchor="middle" font-size="8" '
               f'fill="{colour}" class="tag">{escape(tag)}</text>' if tag else "")
            + "</g>"
        )
    counts = {kind: 0 for kind in KINDS}
    for cpu in range(ncpus):
        counts[holders.get(cpu, ("", "free"))[1]] += 1
    shown = [k for k in KINDS if k not in ("leaked", "offline") or counts[k]]  # those two only when there are some
    legend, bottom = _flow([(COLOURS[k], f"{k} ({counts[k]})", "legend") for k in shown],
                           width, grid_height + 4)
    key, bottom = _flow([(COLOURS[kind], f"{tag} {pod}", "pod-key") for (pod, kind), tag in tags.items()],
                        width, bottom) if tags else ([], bottom)
    height = bottom + 2
    return "".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="11" '
        f'class="cpu-map">',
        *cells, *legend, *key, "</svg>",
    ])


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
    # long lines wrap instead of running out of log.html's message cell; a long log scrolls
    # in a box the reader can resize instead of pushing the rest of the step far down
    style = "white-space:pre-wrap;overflow-wrap:anywhere;max-height:36em;overflow:auto;resize:vertical"
    return f'<pre class="plugin-log" style="{style}">' + "\n".join(rendered) + "</pre>"
