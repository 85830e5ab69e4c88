package io.tunnelops.api.v1alpha1;

/** How the session's sshd is reachable: the type of the Service the operator creates. */
public enum Expose {
    /** Reachable from inside the cluster only (default). */
    ClusterIP,
    /** Reachable on a port of every node. */
    NodePort,
    /** Reachable through a cloud load balancer; restrict it with access.sourceRanges. */
    LoadBalancer
}
