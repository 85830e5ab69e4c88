package io.tunnelops.policy;

import io.tunnelops.api.v1alpha1.TunnelPolicySpec;

/**
 * Whether policy allows a session, and if not, what is missing and which policy field would allow it.
 *
 * @param policy the allowing policy's name, or "default" when the namespace has none
 * @param allowedBy the allowing policy's spec; null when denied or allowed by default
 */
public record PolicyDecision(boolean allowed, String policy, String message, TunnelPolicySpec allowedBy) {

    static PolicyDecision allow(String policy, TunnelPolicySpec allowedBy) {
        return new PolicyDecision(true, policy, "allowed by " + policy, allowedBy);
    }

    static PolicyDecision deny(String message) {
        return new PolicyDecision(false, null, message, null);
    }
}
