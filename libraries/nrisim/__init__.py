"""nrisim: a simulated Kubernetes cluster (one node, containerd + NRI CPUSet plugin model) on loopback.

The keyword library never imports this package: it starts it as a subprocess
(``python -m nrisim serve``) and talks to it only through the Kubernetes API and
the node-side files (plugin log, restart command) it publishes.
"""
