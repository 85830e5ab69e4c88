package io.tunnelops.api.v1alpha1;

/** Why a session ended. */
public enum EndReason {
    Expired,
    Idle,
    Disconnected,
    Deleted,
    Denied
}
