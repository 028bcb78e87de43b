"""Keyword modules, one per concern; each gets the shared :class:`LibraryContext`."""
