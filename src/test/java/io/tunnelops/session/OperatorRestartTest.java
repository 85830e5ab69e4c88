package io.tunnelops.session;

import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.testing.FakeKubelet;
import io.tunnelops.testing.MockNamespace;
import io.tunnelops.testing.TestClock;

/** Deadlines live in the API, not in the operator's memory: a restart neither extends nor shortens a session. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
// its own application instance: the test stops the operator the other tests share
@TestProfile(OperatorRestartTest.OwnApplication.class)
class OperatorRestartTest {

    public static class OwnApplication implements QuarkusTestProfile {
    }


    @Inject
    KubernetesClient client;

    @Inject
    Operator operator;

    @Inject
    OperatorSettings settings;

    @Test
    void aSessionWhoseDeadlinePassedWhileTheOperatorWasDownEndsAtOnceAndAnotherKeepsItsDeadline() {
        TestClock clock = new TestClock(Instant.now());
        QuarkusMock.installMockForType(clock, java.time.Clock.class);
        String ns = "restart-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        client.resource(targetService(ns, "postgres", 5432)).create();
        TunnelSession shortOne = ready(ns, "short", "10m");
        TunnelSession longOne = ready(ns, "long", "2h");
        String longDeadline = longOne.getStatus().getExpiresAt();

        var apiServer = client.getConfiguration();
        operator.stop(); // also closes the client it shares with this test
        client = new KubernetesClientBuilder().withConfig(apiServer).build();
        // while the operator is down, time passes beyond the short session's deadline only
        clock.set(Instant.parse(shortOne.getStatus().getExpiresAt()).plus(Duration.ofMinutes(5)));

        // a new process: a fresh operator, fresh informers, and no timer of the old one; configured from the
        // reconciler's annotations like the first, without server-side apply like the first
        KubernetesClient restartedClient = client;
        TunnelSessionReconciler fresh = new TunnelSessionReconciler();
        fresh.settings = settings;
        fresh.clock = clock;
        fresh.events = new SessionEvents();
        fresh.events.client = restartedClient;
        fresh.events.clock = clock;
        fresh.transitions = new SessionTransitions(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), clock);
        Operator restarted = new Operator(o -> o.withKubernetesClient(restartedClient)
                .withUseSSAToPatchPrimaryResource(false)
                .withSSABasedCreateUpdateMatchForDependentResources(false));
        restarted.register(fresh);
        ReconcilePasses passes = ReconcilePasses.record(fresh::reconciliationCount);
        restarted.start();
        try {
            assertEndsAndKeeps(ns, longDeadline, passes);
        } finally {
            restarted.stop();
            passes.close();
        }
    }

    private void assertEndsAndKeeps(String ns, String longDeadline, ReconcilePasses passes) {
        await().atMost(10, TimeUnit.SECONDS).until(() -> phase(ns, "short") == SessionPhase.Expired);
        assertEquals(EndReason.Expired, get(ns, "short").getStatus().getEndReason());
        // a whole pass of the restarted operator over the long session, under the moved clock
        passes.awaitWholePass(ns, "long", () -> MockNamespace.nudge(client, ns, "long"));
        TunnelSession stillLive = get(ns, "long");
        assertEquals(SessionPhase.Ready, stillLive.getStatus().getPhase());
        assertEquals(longDeadline, stillLive.getStatus().getExpiresAt(), "the restart did not move the deadline");
    }

    private TunnelSession ready(String ns, String name, String ttl) {
        client.resource(session(ns, name).toService("postgres", 5432).ttl(ttl).build()).create();
        FakeKubelet.sshdAvailable(client, ns, name, "10.96.2." + (name.length() + 2));
        await().atMost(10, TimeUnit.SECONDS).until(() -> phase(ns, name) == SessionPhase.Ready);
        return get(ns, name);
    }

    private SessionPhase phase(String ns, String name) {
        TunnelSession s = get(ns, name);
        return s == null || s.getStatus() == null ? null : s.getStatus().getPhase();
    }


    private TunnelSession get(String ns, String name) {
        return client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
    }
}
