package io.tunnelops.operator;

import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RuntimeInfo;

/**
 * Ready when this instance can do its part: the leader once every informer has listed and is watching (before that its
 * caches would make it act on a partial view), a standby as soon as it waits for the Lease. A standby must count as
 * ready, or a rolling update (a new pod must be ready before the old leader goes) would never progress. Replaces the
 * Quarkus Operator SDK's own check (excluded in application.properties), which reports a standby as down.
 */
@Readiness
@ApplicationScoped
public class OperatorReadiness implements HealthCheck {

    static final String NAME = "tunnel-operator";

    @Inject
    Operator operator;

    @Inject
    Leadership leadership;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME);
        RuntimeInfo runtime = operator.getRuntimeInfo();
        if (!runtime.isStarted()) {
            return response.down().withData("role", "starting").build();
        }
        if (!leadership.isLeader()) {
            return response.up().withData("role", "standby").build();
        }
        response.withData("role", leadership.electionEnabled() ? "leader" : "single");
        Map<String, ? extends Map<String, ?>> unhealthy = runtime.unhealthyEventSources();
        unhealthy.forEach((controller, sources) -> response.withData(controller, "not synced: " + sources.keySet()));
        return unhealthy.isEmpty() ? response.up().build() : response.down().build();
    }
}
