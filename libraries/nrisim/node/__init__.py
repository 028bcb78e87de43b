"""The node layer: kube-scheduler, kubelet, containerd + NRI (runtime), the node object, the
plugin's DaemonSet pod and what a container sees (procfs, exec). It never imports the API
server: it receives a :class:`~nrisim.node.port.ClusterPort` (object store, events, task
spawning) and talks to the plugin models through :mod:`nrisim.plugin.interface`."""
