"""Node-side access to the plugin: its log and its restart.

Backends: ``local`` (files and commands on this machine; the simulated cluster),
``ssh`` (a native NRI plugin on a real node) and ``daemonset`` (the plugin pod).
"""
from .base import LogMark, NodeAccess, NodeAccessError, RestartResult

__all__ = ["LogMark", "NodeAccess", "NodeAccessError", "RestartResult"]
