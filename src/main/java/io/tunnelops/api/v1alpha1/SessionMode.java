package io.tunnelops.api.v1alpha1;

/** What a session's sshd lets its holder do. */
public enum SessionMode {
    /** Port forwarding to the target only: no shell, no command, no other destination. */
    Tunnel,
    /** An interactive shell in a copy of an application's environment (not supported yet). */
    Shell
}
