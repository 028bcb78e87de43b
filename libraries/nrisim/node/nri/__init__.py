"""The runtime side of NRI (what containerd does for an external plugin): the trunk
multiplexer, ttrpc, the NRI messages and the plugin connection the simulated runtime drives."""
