"""Reading robot's HTML outputs as a person's browser would show them."""
from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path


def decoded_robot_html(path: Path) -> str:
    """log.html / report.html text plus every string of their data model decoded: robot stores
    longer strings zlib-compressed and base64-encoded, where a plain search cannot see them."""
    text = path.read_text(errors="replace")
    parts = [text]
    for block in re.findall(r'window\.output\["strings"\] = window\.output\["strings"\]\.concat\((\[.*?\])\);',
                            text, flags=re.S):
        for item in json.loads(block.replace("\\x3c/", "\\u003c/")):  # robot writes '</' as '\x3c/'
            if item.startswith("*"):
                parts.append(item[1:])
            else:
                parts.append(zlib.decompress(base64.b64decode(item)).decode("utf-8", errors="replace"))
    return "\n".join(parts)
