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

    /** Lifetime of a session whose spec.ttl is absent. */
    @WithDefault("1h")
    Duration defaultTtl();
}
