"""Node-side access to the plugin: its log and its restart.

Backends: ``local`` (files and commands on this machine; the simulated cluster),
``ssh`` (a native NRI plugin on a real node) and ``daemonset`` (the plugin pod).
Build one with :func:`create_node_access`.
"""
from .base import LogMark, NodeAccess, NodeAccessError, RestartResult
from .factory import VALID_KINDS, create_node_access

__all__ = ["LogMark", "NodeAccess", "NodeAccessError", "RestartResult", "VALID_KINDS", "create_node_access"]
