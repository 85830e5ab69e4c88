package io.tunnelops.session;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Operator-wide settings (application.properties or TUNNEL_OPERATOR_* environment variables). */
@ConfigMapping(prefix = "tunnel-operator")
public interface OperatorSettings {

    /** The image of the per-session sshd (built from images/sshd). */
    @WithDefault("ghcr.io/tunnelops/sshd:0.1.0")
    String sshdImage();

    /** The image of a Shell session without spec.shell.fromDeployment (built from images/toolbox). */
    @WithDefault("ghcr.io/tunnelops/shell-toolbox:0.1.0")
    String toolboxImage();

    /** Lifetime of a session whose spec.ttl is absent. */
    @WithDefault("1h")
    Duration defaultTtl();

    /** Longest ttl a session may have in a namespace without a TunnelPolicy (a policy's maxTtl overrides it). */
    @WithDefault("8h")
    Duration maxTtl();

    /** How long an ended session stays visible with its final phase before the operator deletes it. */
    @WithDefault("1h")
    Duration retention();

    /**
     * How long a session's sshd may go without an available replica before the session fails (phase Failed, its
     * resources removed), counted from the creation of its sshd Deployment or from when it stopped being Ready.
     */
    @WithDefault("5m")
    Duration sshdStartTimeout();

    /**
     * Longest wait between two looks at a live session. Deadlines are precise anyway (the reconciler wakes up at
     * expiresAt); this bounds the effect of a clock jump.
     */
    @WithDefault("5m")
    Duration recheckInterval();

    /** How often owned resources whose session no longer exists are looked for and removed. */
    @WithDefault("5m")
    Duration orphanSweepInterval();
}
