package io.tunnelops.policy;

import io.tunnelops.api.v1alpha1.TunnelPolicySpec;

/**
 * Whether policy allows a session, and if not, what is missing and which policy field would allow it.
 *
 * @param policy the allowing policy's name, or "default" when the namespace has none
 * @param allowedBy the allowing policy's spec; null when denied or allowed by default
 * @param denialReason the kind of rule a denied session breaks first (the reason tag of the denials metric); null when
 *            allowed
 */
public record PolicyDecision(boolean allowed, String policy, String message, TunnelPolicySpec allowedBy,
        DenialReason denialReason) {

    static PolicyDecision allow(String policy, TunnelPolicySpec allowedBy) {
        return new PolicyDecision(true, policy, "allowed by " + policy, allowedBy, null);
    }

    static PolicyDecision deny(DenialReason reason, String message) {
        return new PolicyDecision(false, null, message, null, reason);
    }
}
