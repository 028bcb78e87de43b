"""One module per procedure: its planning, its pod files and the keywords its resource file
uses. Each module defines ``Keywords(context)``; the library loads every module here, so
adding a procedure is one suite, one resource file, one module here and its manifests."""
from __future__ import annotations

import importlib
import pkgutil

from ..context import LibraryContext


def procedure_keywords(context: LibraryContext) -> list[object]:
    """A keyword object of every procedure module, in name order."""
    found = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        if hasattr(module, "Keywords"):
            found.append(module.Keywords(context))
    return found
