package io.tunnelops.ssh;

import java.util.List;

/**
 * What the sshd of one Tunnel session may do.
 *
 * @param sessionName "namespace/name", for the header comment
 * @param permitOpen "host:port" entries exactly as users will type them after -L
 */
public record TunnelSshdConfig(String sessionName, List<String> permitOpen) {

    public TunnelSshdConfig {
        permitOpen = permitOpen == null ? List.of() : List.copyOf(permitOpen); // the renderer refuses an empty list
    }
}
