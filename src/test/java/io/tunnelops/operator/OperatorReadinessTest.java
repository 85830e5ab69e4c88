package io.tunnelops.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.javaoperatorsdk.operator.health.EventSourceHealthIndicator;
import io.javaoperatorsdk.operator.health.Status;

/** Readiness by role: down while starting, up for a standby, up for the leader only once its informers are synced. */
class OperatorReadinessTest {

    /** What the operator's runtime reports: started or not, and per controller its unhealthy event sources. */
    static final class Runtime {
        boolean started;
        Map<String, Map<String, EventSourceHealthIndicator>> unhealthy = Map.of();
    }

    private final Runtime runtime = new Runtime();

    @Test
    void downWhileTheOperatorStarts() {
        HealthCheckResponse response = readiness(true, false).call();
        assertEquals(HealthCheckResponse.Status.DOWN, response.getStatus());
        assertEquals("starting", data(response, "role"));
    }

    @Test
    void aStandbyIsReadyAlthoughItsInformersDoNotRun() {
        runtime.started = true;
        runtime.unhealthy = Map.of("tunnelsession", Map.of("TunnelSessionInformer", () -> Status.UNHEALTHY));
        HealthCheckResponse response = readiness(true, false).call();
        assertEquals(HealthCheckResponse.Status.UP, response.getStatus());
        assertEquals("standby", data(response, "role"));
    }

    @Test
    void theLeaderIsReadyOnlyOnceEveryInformerHasSynced() {
        runtime.started = true;
        runtime.unhealthy = Map.of("tunnelsession", Map.of("TunnelSessionInformer", () -> Status.UNHEALTHY),
                "tunnelpolicy", Map.of());
        HealthCheckResponse syncing = readiness(true, true).call();
        assertEquals(HealthCheckResponse.Status.DOWN, syncing.getStatus());
        assertEquals("leader", data(syncing, "role"));
        assertEquals("not synced: [TunnelSessionInformer]", data(syncing, "tunnelsession"));

        runtime.unhealthy = Map.of("tunnelsession", Map.of(), "tunnelpolicy", Map.of()); // JOSDK lists every controller
        assertEquals(HealthCheckResponse.Status.UP, readiness(true, true).call().getStatus());
    }

    @Test
    void withoutLeaderElectionTheSingleInstanceIsReadyOnceSynced() {
        runtime.started = true;
        runtime.unhealthy = Map.of("tunnelsession", Map.of("TunnelSessionInformer", () -> Status.UNHEALTHY));
        HealthCheckResponse syncing = readiness(false, false).call();
        assertEquals(HealthCheckResponse.Status.DOWN, syncing.getStatus());
        assertEquals("single", data(syncing, "role"));
        runtime.unhealthy = Map.of("tunnelsession", Map.of());
        assertEquals(HealthCheckResponse.Status.UP, readiness(false, false).call().getStatus());
    }

    private OperatorReadiness readiness(boolean election, boolean leading) {
        OperatorReadiness readiness = new OperatorReadiness();
        readiness.operator = new Operator(o -> o.withKubernetesClient(new KubernetesClientBuilder().build())) {
            @Override
            public RuntimeInfo getRuntimeInfo() {
                return new RuntimeInfo(this) {
                    @Override
                    public boolean isStarted() {
                        return runtime.started;
                    }

                    @Override
                    public Map<String, Map<String, EventSourceHealthIndicator>> unhealthyEventSources() {
                        return runtime.unhealthy;
                    }
                };
            }
        };
        Leadership leadership = new Leadership();
        leadership.settings = settings(election);
        if (election && leading) {
            leadership.client = readiness.operator.getKubernetesClient();
            leadership.leaderElectionConfiguration().getLeaderCallbacks().orElseThrow().onStartLeading();
        }
        readiness.leadership = leadership;
        return readiness;
    }

    private static String data(HealthCheckResponse response, String key) {
        return response.getData().map(d -> String.valueOf(d.get(key))).orElse(null);
    }

    private static LeaderElectionSettings settings(boolean enabled) {
        return new LeaderElectionSettings() {
            public boolean enabled() {
                return enabled;
            }

            public String leaseName() {
                return "tunnel-operator";
            }

            public Optional<String> leaseNamespace() {
                return Optional.of("tunnel-operator");
            }

            public Duration leaseDuration() {
                return Duration.ofSeconds(15);
            }

            public Duration renewDeadline() {
                return Duration.ofSeconds(10);
            }

            public Duration retryPeriod() {
                return Duration.ofSeconds(2);
            }

            public Optional<String> identity() {
                return Optional.of("test");
            }
        };
    }
}
