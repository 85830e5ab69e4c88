package io.tunnelops.operator;

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
        boolean synced = true;
        for (var controller : runtime.unhealthyEventSources().entrySet()) { // every controller, with what is unhealthy
            if (!controller.getValue().isEmpty()) {
                synced = false;
                response.withData(controller.getKey(), "not synced: " + controller.getValue().keySet());
            }
        }
        return synced ? response.up().build() : response.down().build();
    }
}
