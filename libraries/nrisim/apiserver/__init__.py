"""The API server layer: HTTP routing, object store and watches, selectors, validation,
discovery, tables, events, exec streams, and the registry logic (``cluster``) that drives
the node layer through :class:`~nrisim.node.port.ClusterPort`."""
