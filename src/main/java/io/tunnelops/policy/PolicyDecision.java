package io.tunnelops.policy;

/**
 * Whether policy allows a session, and if not, what is missing and which policy field would allow it.
 *
 * @param policy the allowing policy's name, or "default" when the namespace has none
 */
public record PolicyDecision(boolean allowed, String policy, String message) {

    static PolicyDecision allow(String policy) {
        return new PolicyDecision(true, policy, "allowed by " + policy);
    }

    static PolicyDecision deny(String message) {
        return new PolicyDecision(false, null, message);
    }
}
