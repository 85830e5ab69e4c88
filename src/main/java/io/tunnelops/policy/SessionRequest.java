package io.tunnelops.policy;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.SessionMode;

/**
 * What a session asks for, as policy sees it.
 *
 * @param service the target Service's name, or null for a host target
 * @param serviceLabels the target Service's labels
 * @param host the target host, or null for a Service target
 * @param idleTimeout null when the session sets none
 * @param shellApp Shell mode: the Deployment whose environment the shell copies; null for the toolbox (or a tunnel)
 * @param shellAppLabels that Deployment's labels
 */
public record SessionRequest(SessionMode mode, String service, Map<String, String> serviceLabels, String host,
        List<Integer> ports, Duration ttl, Duration idleTimeout, Expose expose, List<String> sourceRanges,
        String shellApp, Map<String, String> shellAppLabels) {

    /** A Tunnel session's request. */
    public SessionRequest(SessionMode mode, String service, Map<String, String> serviceLabels, String host,
            List<Integer> ports, Duration ttl, Duration idleTimeout, Expose expose, List<String> sourceRanges) {
        this(mode, service, serviceLabels, host, ports, ttl, idleTimeout, expose, sourceRanges, null, Map.of());
    }

    String targetDisplay() {
        return service != null ? "Service " + service : "host " + host;
    }
}
