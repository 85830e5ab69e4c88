package io.tunnelops.policy;

/**
 * The kind of policy rule a denied session breaks (the first one, when it breaks several): a bounded set, so that it
 * can tag the denials metric.
 */
public enum DenialReason {
    /** The session's mode (Shell) is not among the policy's modes, or there is no policy for it. */
    Mode,
    /** The target Service or host is not among the policy's targets, or a host has no policy at all. */
    Target,
    /** The target is allowed, some of its ports are not. */
    Port,
    /** A shell's app Deployment is not among the policy's shellApps. */
    ShellApp,
    /** The ttl exceeds the policy's (or the operator's) maximum. */
    Ttl,
    /** The idle timeout is missing or exceeds the policy's maximum. */
    IdleTimeout,
    /** The expose type (NodePort, LoadBalancer) is not allowed. */
    Expose,
    /** An exposed session lists no sourceRanges, as its policy requires. */
    SourceRanges,
    /** The only policies there are refuse everything until they are fixed. */
    InvalidPolicy
}
