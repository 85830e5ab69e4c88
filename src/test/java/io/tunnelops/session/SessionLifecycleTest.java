package io.tunnelops.session;

import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.resources.CredentialsSecret;
import io.tunnelops.ssh.SshdLayout;
import io.tunnelops.testing.FakeKubelet;
import io.tunnelops.testing.MockNamespace;
import io.tunnelops.testing.TestClock;

/** A session ends exactly when it should and leaves nothing behind; time moves by an injected clock. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class SessionLifecycleTest {

    @Inject
    KubernetesClient client;

    @Inject
    OrphanSweeper sweeper;

    @Inject
    TunnelSessionReconciler reconciler;

    TestClock clock;
    String ns;
    ReconcilePasses passes;

    @BeforeEach
    void setUp() {
        passes = ReconcilePasses.record(reconciler::reconciliationCount);
        clock = new TestClock(Instant.now());
        QuarkusMock.installMockForType(clock, java.time.Clock.class);
        ns = "life-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        client.resource(targetService(ns, "postgres", 5432)).create();
    }

    @AfterEach
    void stopRecording() {
        passes.close();
    }

    @Test
    void aSessionExpiresAtItsDeadlineNeverBeforeAndItsResourcesGo() {
        TunnelSession ready = readySession("short", "30m");
        Instant expiresAt = Instant.parse(ready.getStatus().getExpiresAt());
        assertEquals(Instant.parse(ready.getMetadata().getCreationTimestamp()).plus(Duration.ofMinutes(30)), expiresAt);

        clock.set(expiresAt.minusMillis(300));
        // whole passes run 300 ms before the deadline (the test's and the reconciler's own wake-ups): none ends it
        passes.awaitWholePass(ns, "short", () -> MockNamespace.nudge(client, ns, "short"));
        assertEquals(SessionPhase.Ready, get("short").getStatus().getPhase(), "ended before its deadline");
        assertNotNull(deployment("short"), "its sshd deleted before the deadline");

        clock.set(expiresAt);
        TunnelSession expired = awaitPhase("short", SessionPhase.Expired);
        assertEquals(EndReason.Expired, expired.getStatus().getEndReason());
        assertEquals(expiresAt.toString(), expired.getStatus().getEndedAt());
        assertEquals("Expired", ready(expired).getReason());
        assertEquals("False", ready(expired).getStatus());
        assertNull(expired.getStatus().getEndpoint());
        assertNull(expired.getStatus().getSshCommand());
        assertNothingLeft("short");
        // events are recorded in the background; one per transition
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertEquals(List.of("Expired", "Provisioned", "Ready"),
                eventReasons("short").stream().sorted().toList(), "the events of the session's life"));
    }

    @Test
    void anEndedSessionStaysForItsRetentionAndIsThenDeleted() {
        TunnelSession ready = readySession("kept", "10m");
        clock.set(Instant.parse(ready.getStatus().getExpiresAt()));
        MockNamespace.nudge(client, ns, "kept");
        TunnelSession expired = awaitPhase("kept", SessionPhase.Expired);

        clock.set(Instant.parse(expired.getStatus().getEndedAt()).plus(Duration.ofMinutes(59)));
        passes.awaitWholePass(ns, "kept", () -> MockNamespace.nudge(client, ns, "kept"));
        assertNotNull(get("kept"), "kept for the retention period");
        assertEquals(expired.getStatus(), get("kept").getStatus(), "an ended session's status is final");

        clock.set(Instant.parse(expired.getStatus().getEndedAt()).plus(Duration.ofHours(1)));
        MockNamespace.nudge(client, ns, "kept");
        await().atMost(10, TimeUnit.SECONDS).until(() -> get("kept") == null);
    }

    @Test
    void raisingTheTtlExtendsTheSessionWithoutRestartingItsSshd() {
        TunnelSession ready = readySession("longer", "1h");
        Instant created = Instant.parse(ready.getMetadata().getCreationTimestamp());
        Deployment before = deployment("longer");

        client.resources(TunnelSession.class).inNamespace(ns).withName("longer")
                .edit(s -> { s.getSpec().setTtl("3h"); return s; });

        await().atMost(10, TimeUnit.SECONDS).until(() ->
                created.plus(Duration.ofHours(3)).toString().equals(get("longer").getStatus().getExpiresAt()));
        Deployment after = deployment("longer");
        assertEquals(before.getMetadata().getUid(), after.getMetadata().getUid());
        assertEquals(before.getSpec().getTemplate(), after.getSpec().getTemplate(), "the pod is not restarted");
        await().atMost(5, TimeUnit.SECONDS).until(() -> eventReasons("longer").contains("Extended"));

        clock.set(created.plus(Duration.ofHours(2)));
        passes.awaitWholePass(ns, "longer", () -> MockNamespace.nudge(client, ns, "longer"));
        assertEquals(SessionPhase.Ready, get("longer").getStatus().getPhase(), "past the old deadline, still live");
        assertEquals(after.getMetadata().getUid(), deployment("longer").getMetadata().getUid(),
                "past the old deadline, the same sshd");
    }

    @Test
    void anIdleTimeoutReportedByTheSshdPodEndsTheSession() {
        readySession("idle", "1h");
        sshdPodTerminated("idle", "Idle: no SSH connection for 900s");
        TunnelSession ended = awaitPhase("idle", SessionPhase.Ended);
        assertEquals(EndReason.Idle, ended.getStatus().getEndReason());
        assertEquals("Idle: no SSH connection for 900s", ready(ended).getMessage());
        assertNothingLeft("idle");
        await().atMost(5, TimeUnit.SECONDS).until(() -> eventReasons("idle").contains("Ended"));
    }

    @Test
    void aClosedConnectionReportedByTheSshdPodEndsAOneShotSession() {
        readySession("oneshot", "1h");
        sshdPodTerminated("oneshot", "Disconnected: the SSH connection closed");
        TunnelSession ended = awaitPhase("oneshot", SessionPhase.Ended);
        assertEquals(EndReason.Disconnected, ended.getStatus().getEndReason());
        assertNothingLeft("oneshot");
    }

    @Test
    void deletingASessionMidProvisioningRemovesEverythingAndARecreatedOneGetsNewKeys() {
        client.resource(session(ns, "again").toService("postgres", 5432).build()).create();
        await().atMost(10, TimeUnit.SECONDS).until(() -> secret("again") != null && deployment("again") != null);
        String firstHostKey = CredentialsSecret.decode(java.util.Optional.of(secret("again"))).get(SshdLayout.HOST_PUBLIC_KEY);

        client.resources(TunnelSession.class).inNamespace(ns).withName("again").delete();
        await().atMost(10, TimeUnit.SECONDS).until(() -> get("again") == null);
        assertNothingLeft("again");

        client.resource(session(ns, "again").toService("postgres", 5432).build()).create();
        await().atMost(10, TimeUnit.SECONDS).until(() -> secret("again") != null);
        String secondHostKey = CredentialsSecret.decode(java.util.Optional.of(secret("again"))).get(SshdLayout.HOST_PUBLIC_KEY);
        assertNotEquals(firstHostKey, secondHostKey);
    }

    @Test
    void orphansOfSessionsThatNoLongerExistAreRemovedAndLiveSessionsKeepTheirs() {
        readySession("alive", "1h");
        var orphanLabels = Map.of("app.kubernetes.io/managed-by", "tunnel-operator", "tunnelops.io/session", "gone");
        client.resource(new SecretBuilder().withNewMetadata().withNamespace(ns).withName("gone-ssh").withLabels(orphanLabels)
                .addNewOwnerReference().withApiVersion("tunnelops.io/v1alpha1").withKind("TunnelSession").withName("gone")
                .withUid("00000000-dead").endOwnerReference().endMetadata().build()).create();
        client.resource(new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder().withNewMetadata().withNamespace(ns)
                .withName("gone-sshd").withLabels(orphanLabels).endMetadata().withNewSpec().endSpec().build()).create();

        int deleted = sweeper.sweep();

        assertEquals(2, deleted);
        assertNull(secret("gone"));
        assertNull(deployment("gone"));
        assertNotNull(secret("alive"));
        assertNotNull(deployment("alive"));
    }

    // ---- helpers

    private TunnelSession readySession(String name, String ttl) {
        client.resource(session(ns, name).toService("postgres", 5432).ttl(ttl).build()).create();
        FakeKubelet.sshdAvailable(client, ns, name, "10.96.1." + (Math.abs(name.hashCode()) % 200 + 2));
        return awaitPhase(name, SessionPhase.Ready);
    }

    /** What the kubelet reports after the entrypoint exits with a reason (the container is restarted: lastState). */
    private void sshdPodTerminated(String session, String message) {
        client.resource(new PodBuilder().withNewMetadata().withNamespace(ns).withName(session + "-sshd-abc12")
                .withLabels(Map.of("app.kubernetes.io/managed-by", "tunnel-operator", "tunnelops.io/session", session,
                        "app.kubernetes.io/component", "sshd"))
                .endMetadata().withNewSpec().addNewContainer().withName("sshd").withImage("sshd").endContainer().endSpec()
                .withNewStatus().addNewContainerStatus().withName("sshd").withRestartCount(1)
                .withNewLastState().withNewTerminated().withExitCode(0).withReason("Completed").withMessage(message)
                .endTerminated().endLastState().withNewState().withNewRunning().endRunning().endState()
                .endContainerStatus().endStatus().build()).create();
    }


    private TunnelSession get(String name) {
        return client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
    }

    private TunnelSession awaitPhase(String name, SessionPhase phase) {
        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            TunnelSession s = get(name);
            return s != null && s.getStatus() != null && s.getStatus().getPhase() == phase;
        });
        return get(name);
    }

    private static Condition ready(TunnelSession session) {
        return session.getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready")).findFirst()
                .orElseThrow();
    }

    private Deployment deployment(String session) {
        return client.apps().deployments().inNamespace(ns).withName(session + "-sshd").get();
    }

    private io.fabric8.kubernetes.api.model.Secret secret(String session) {
        return client.secrets().inNamespace(ns).withName(session + "-ssh").get();
    }

    private void assertNothingLeft(String session) {
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> {
            assertNull(deployment(session), "Deployment");
            assertNull(client.services().inNamespace(ns).withName(session + "-sshd").get(), "Service");
            assertNull(secret(session), "Secret");
            assertNull(client.network().v1().networkPolicies().inNamespace(ns).withName(session + "-sshd").get(),
                    "NetworkPolicy");
        });
    }

    private List<String> eventReasons(String session) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> session.equals(e.getInvolvedObject().getName()))
                .map(io.fabric8.kubernetes.api.model.Event::getReason).toList();
    }
}
