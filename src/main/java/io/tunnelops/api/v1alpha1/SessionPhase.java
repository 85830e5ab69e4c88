package io.tunnelops.api.v1alpha1;

/** Where a session is in its life. */
public enum SessionPhase {
    /** Accepted, not yet acted on. */
    Pending,
    /** Its sshd, Service, Secret and NetworkPolicy are being created; waiting for the sshd to be available. */
    Provisioning,
    /** The sshd accepts connections at status.endpoint. */
    Ready,
    /** Ended by idle timeout, disconnect or deletion. */
    Ended,
    /** Reached status.expiresAt. */
    Expired,
    /** Refused by policy; nothing was provisioned. */
    Denied,
    /** Cannot be provisioned; the Ready condition's message says what to fix. */
    Failed
}
