"""Remove every namespace nri-cpuset-acceptance created on a cluster (label
app.kubernetes.io/managed-by=nri-cpuset-acceptance), e.g. after runs killed with SIGKILL.

    nricpuset-cleanup --kubeconfig PATH [--context NAME] [--node NODE] [--include-active]

Namespaces of a run that still holds a live node lease are kept unless --include-active; the
expired leases of this tool are deleted too. Exit status 0 when nothing of ours is left.
"""
from __future__ import annotations

import argparse
import sys


from ..cluster import Cluster, ClusterError
from ..leftovers import find_leftovers, remove_namespaces
from ..nodelease import LEASE_NAMESPACE, MANAGED_BY, MANAGED_BY_LABEL, holder_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nricpuset-cleanup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--context")
    parser.add_argument("--node", help="only what was left on this node")
    parser.add_argument("--include-active", action="store_true",
                        help="also remove the namespaces of runs that hold a live lease (they will fail)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the deletions")
    args = parser.parse_args(argv)
    try:
        cluster = Cluster(args.kubeconfig, args.context, request_timeout=30.0)
        from kubernetes import client

        coordination = client.CoordinationV1Api(cluster.api_client)
        leases = coordination.list_namespaced_lease(LEASE_NAMESPACE,
                                                    label_selector=f"{MANAGED_BY_LABEL}={MANAGED_BY}").items
        active = {holder_of(lease).run_id: lease for lease in leases if not holder_of(lease).expired}
        leftovers = find_leftovers(cluster, args.node, own_run="")
        keep = [item for item in leftovers if item.run_id in active and not args.include_active]
        remove = [item for item in leftovers if item not in keep]
        for item in keep:
            print(f"cleanup: kept {item.namespace}: its run {item.run_id} is alive "
                  f"({holder_of(active[item.run_id]).describe()}); --include-active removes it")
        for item in remove:
            print(f"cleanup: removing namespace {item.namespace} (run {item.run_id or '?'})")
        problems = remove_namespaces(cluster, [item.namespace for item in remove], args.timeout)
        for lease in leases:
            holder = holder_of(lease)
            if holder.expired or args.include_active:
                if args.node and not lease.metadata.name.endswith(args.node):
                    continue
                coordination.delete_namespaced_lease(lease.metadata.name, LEASE_NAMESPACE)
                print(f"cleanup: deleted lease {LEASE_NAMESPACE}/{lease.metadata.name} of {holder.describe()}")
        cluster.close()
    except (ClusterError, OSError) as err:
        print(f"cleanup: failed: {err}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"cleanup: {problem}", file=sys.stderr)
    if not remove and not keep:
        print("cleanup: nothing of nri-cpuset-acceptance is left on the cluster")
    return 1 if problems or keep else 0


if __name__ == "__main__":
    sys.exit(main())
