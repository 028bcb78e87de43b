"""Rows of tuples as an evidence table."""
from __future__ import annotations

from typing import Sequence

from ..evidence import cpu_table_html


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    return cpu_table_html([dict(zip(headers, row)) for row in rows], list(headers))
