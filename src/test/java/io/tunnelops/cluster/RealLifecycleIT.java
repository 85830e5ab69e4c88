package io.tunnelops.cluster;

import static io.tunnelops.cluster.ClusterFixtures.assertNothingLeft;
import static io.tunnelops.cluster.ClusterFixtures.echoTarget;
import static io.tunnelops.cluster.ClusterFixtures.secretItems;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelPolicySpec;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.e2e.SessionUser;
import io.tunnelops.testing.Kubectl;

/**
 * How sessions end on a real cluster: expiry on time (the real clock: the shortest ttl is one minute), idle timeout and
 * end on disconnect read from the real pod's termination message, extension without a restart, policy, garbage
 * collection by ownerReference with the operator stopped, and a crash of the operator in the middle of provisioning.
 * An sshd image that cannot be pulled is reported in the Ready condition and fails the session after the start timeout.
 * After each, nothing of the session is left: no Deployment, ReplicaSet, Pod, Service, EndpointSlice, Secret,
 * NetworkPolicy or sshd process.
 */
class RealLifecycleIT {

    static RealCluster cluster;
    static Kubectl kubectl;
    static KubernetesClient admin;

    @BeforeAll
    static void up() {
        cluster = RealCluster.shared();
        kubectl = cluster.kubectl();
        admin = cluster.admin();
    }

    @Test
    void aOneMinuteSessionExpiresOnTimeAndItsConnectionIsCut() throws Exception {
        String ns = cluster.namespace("expiry");
        echoTarget(ns, "postgres", 5432);
        apply(ns, session("short", "ttl: 1m"));
        SessionUser user = ready(ns, "short");
        Instant expiresAt = Instant.parse(user.session.getStatus().getExpiresAt());
        Process open = SessionUser.start(user.ssh("-N", "-L", "25432:postgres." + ns + ".svc.cluster.local:5432",
                "-p", user.port(), "tunnel@" + user.host()), Files.createTempFile("short-", ".log"));
        try {
            await().atMost(10, TimeUnit.SECONDS).until(() -> SessionUser.listening(25432));
            assertEquals("before expiry\n", SessionUser.roundTrip(25432, "before expiry\n"));

            TunnelSession ended = awaitPhase(ns, "short", SessionPhase.Expired, Duration.ofSeconds(90));
            Instant endedAt = Instant.parse(ended.getStatus().getEndedAt());
            long lateMillis = Duration.between(expiresAt, endedAt).toMillis();
            System.out.printf("real cluster: expiry at %s, ended at %s (%d ms late, seconds precision)%n", expiresAt,
                    endedAt, lateMillis);
            assertTrue(lateMillis >= 0, "ended early: " + endedAt + " before " + expiresAt);
            assertTrue(lateMillis <= 1000, "ended more than a second late: " + endedAt + " for " + expiresAt);
            assertEquals(EndReason.Expired, ended.getStatus().getEndReason());
            assertNothingLeft(ns, "short");
            // the sshd is gone, and with it the tunnel's connection
            await().atMost(15, TimeUnit.SECONDS).until(() -> !open.isAlive() || SessionUser.refused(25432));
        } finally {
            open.destroy();
        }
    }

    @Test
    void idleAndOneShotSessionsEndFromTheirPodsTerminationMessage() throws Exception {
        String ns = cluster.namespace("ends");
        echoTarget(ns, "postgres", 5432);
        apply(ns, session("idle", "idleTimeout: 5s"));
        apply(ns, session("once", "endOnDisconnect: true"));
        ready(ns, "idle");
        SessionUser once = ready(ns, "once");

        TunnelSession idle = awaitPhase(ns, "idle", SessionPhase.Ended, Duration.ofSeconds(60));
        assertEquals(EndReason.Idle, idle.getStatus().getEndReason());
        assertTrue(idle.getStatus().getConditions().get(0).getMessage().startsWith("Idle:"),
                idle.getStatus().getConditions().get(0).getMessage());

        assertEquals("once", SessionUser.run(once.ssh("-p", once.port(), "-W", "postgres." + ns
                + ".svc.cluster.local:5432", "tunnel@" + once.host()), "once").output());
        TunnelSession disconnected = awaitPhase(ns, "once", SessionPhase.Ended, Duration.ofSeconds(60));
        assertEquals(EndReason.Disconnected, disconnected.getStatus().getEndReason());
        assertNothingLeft(ns, "idle");
        assertNothingLeft(ns, "once");
    }

    @Test
    void raisingTheTtlMovesTheDeadlineWithoutRestartingTheSshd() throws Exception {
        String ns = cluster.namespace("extend");
        echoTarget(ns, "postgres", 5432);
        apply(ns, session("longer", "ttl: 1h"));
        SessionUser user = ready(ns, "longer");
        String podUid = sshdPod(ns, "longer").getMetadata().getUid();
        long sshdPid = cluster.node().runningSshds().entrySet().stream()
                .filter(e -> e.getKey().startsWith(ns + "/longer-sshd")).findFirst().orElseThrow().getValue();

        kubectl.succeed("patch", "-n", ns, "ts/longer", "--type", "merge", "-p", "{\"spec\":{\"ttl\":\"3h\"}}");
        await().atMost(30, TimeUnit.SECONDS).until(() -> Duration.between(
                Instant.parse(get(ns, "longer").getMetadata().getCreationTimestamp()),
                Instant.parse(get(ns, "longer").getStatus().getExpiresAt())).equals(Duration.ofHours(3)));
        await().atMost(30, TimeUnit.SECONDS).until(() -> admin.v1().events().inNamespace(ns).list().getItems().stream()
                .anyMatch(e -> "Extended".equals(e.getReason())));
        assertEquals(podUid, sshdPod(ns, "longer").getMetadata().getUid(), "the pod was not replaced");
        assertEquals(sshdPid, cluster.node().runningSshds().get(sshdPod(ns, "longer").getMetadata().getNamespace() + "/"
                + sshdPod(ns, "longer").getMetadata().getName()), "the sshd was not restarted");
        assertEquals("still here", SessionUser.run(user.ssh("-p", user.port(), "-W", "postgres." + ns
                + ".svc.cluster.local:5432", "tunnel@" + user.host()), "still here").output());
        kubectl.succeed("delete", "-n", ns, "ts/longer");
        assertNothingLeft(ns, "longer");
    }

    @Test
    void aSessionNoPolicyAllowsIsDeniedAndDeletingItsPolicyEndsALiveOne() throws Exception {
        String ns = cluster.namespace("policy");
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: no-policy}
                spec:
                  target: {host: db.corp.example, ports: [5432]}
                """);
        TunnelSession denied = awaitPhase(ns, "no-policy", SessionPhase.Denied, Duration.ofSeconds(30));
        assertTrue(denied.getStatus().getConditions().get(0).getMessage().contains("has no TunnelPolicy"),
                denied.getStatus().getConditions().get(0).getMessage());
        assertNothingLeft(ns, "no-policy");

        PolicyTarget rule = new PolicyTarget();
        rule.setHosts(List.of("db.corp.example"));
        rule.setPorts(List.of(5432));
        TunnelPolicySpec spec = new TunnelPolicySpec();
        spec.setTargets(List.of(rule));
        TunnelPolicy policy = new TunnelPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("corp-db").withNamespace(ns).build());
        policy.setSpec(spec);
        admin.resource(policy).create();
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: allowed}
                spec:
                  target: {host: db.corp.example, ports: [5432]}
                """);
        ready(ns, "allowed");
        kubectl.succeed("delete", "-n", ns, "tunnelpolicy/corp-db");
        TunnelSession ended = awaitPhase(ns, "allowed", SessionPhase.Denied, Duration.ofSeconds(30));
        assertEquals(EndReason.Denied, ended.getStatus().getEndReason());
        assertNothingLeft(ns, "allowed");
    }

    @Test
    void withTheOperatorStoppedTheGarbageCollectorDeletesWhatASessionOwned() throws Exception {
        String ns = cluster.namespace("gc");
        echoTarget(ns, "postgres", 5432);
        apply(ns, session("orphan", "ttl: 1h"));
        ready(ns, "orphan");
        cluster.operator().close();
        try {
            kubectl.succeed("delete", "-n", ns, "ts/orphan", "--wait=false");
            // the finalizer holds the session while its operator is away; removed by hand, the session goes
            assertNotNull(get(ns, "orphan").getMetadata().getDeletionTimestamp());
            kubectl.succeed("patch", "-n", ns, "ts/orphan", "--type", "merge", "-p", "{\"metadata\":{\"finalizers\":null}}");
            await().atMost(30, TimeUnit.SECONDS).until(() -> get(ns, "orphan") == null);
            assertNothingLeft(ns, "orphan");
        } finally {
            cluster.startOperator();
        }
    }

    @Test
    void aCrashWhileProvisioningLeavesTheSurvivorsReadyAndTheDeletedWithNothing() throws Exception {
        String ns = cluster.namespace("crash");
        echoTarget(ns, "postgres", 5432);
        List<String> names = new ArrayList<>();
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            names.add("s" + i);
            all.append(session("s" + i, "ttl: 1h")).append("---\n");
        }
        kubectl.runWithInput(all.toString(), "apply", "-n", ns, "-f", "-");
        // SIGKILL as soon as the first sessions are being provisioned
        await().atMost(30, TimeUnit.SECONDS).until(() -> admin.apps().deployments().inNamespace(ns).list().getItems().size() >= 3);
        cluster.operator().kill();
        int provisionedWhenKilled = admin.apps().deployments().inNamespace(ns).list().getItems().size();
        List<String> deleted = names.subList(0, 5);
        for (String name : deleted) {
            kubectl.succeed("delete", "-n", ns, "ts/" + name, "--wait=false");
        }
        cluster.startOperator();

        for (String name : deleted) {
            await().atMost(60, TimeUnit.SECONDS).until(() -> get(ns, name) == null);
            assertNothingLeft(ns, name);
        }
        for (String name : names.subList(5, names.size())) {
            awaitPhase(ns, name, SessionPhase.Ready, Duration.ofSeconds(120));
        }
        System.out.printf("real cluster: operator killed with %d of 20 sessions provisioned; 5 deleted while it was down"
                + " left nothing, 15 became Ready%n", provisionedWhenKilled);
        assertEquals(15, cluster.node().runningSshds().keySet().stream().filter(k -> k.startsWith(ns + "/")).count(),
                "one sshd per surviving session: " + cluster.node().runningSshds());
    }

    @Test
    void anSshdImageThatDoesNotExistIsReportedAndTheSessionFailsAfterTheStartTimeoutLeavingNothing() throws Exception {
        String ns = cluster.namespace("startfail");
        echoTarget(ns, "postgres", 5432);
        String missing = "ghcr.io/tunnelops/sshd:does-not-exist";
        cluster.restartOperator(Map.of("TUNNEL_OPERATOR_SSHD_IMAGE", missing, "TUNNEL_OPERATOR_SSHD_START_TIMEOUT", "30s"));
        try {
            apply(ns, session("noimage", "ttl: 1h"));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                Condition ready = readyCondition(get(ns, "noimage"));
                assertEquals("SshdCannotStart", ready.getReason(), ready.getMessage());
            });
            Condition cannotStart = readyCondition(get(ns, "noimage"));
            assertEquals(SessionPhase.Provisioning, get(ns, "noimage").getStatus().getPhase());
            assertTrue(cannotStart.getMessage().matches("the sshd cannot start: pod noimage-sshd-[a-z0-9-]+: container "
                    + "sshd is waiting: ErrImagePull: image " + Pattern.quote(missing) + " .*"), cannotStart.getMessage());

            TunnelSession failed = awaitPhase(ns, "noimage", SessionPhase.Failed, Duration.ofSeconds(60));
            Condition timedOut = readyCondition(failed);
            assertEquals("SshdStartTimeout", timedOut.getReason());
            assertTrue(timedOut.getMessage().startsWith("the sshd did not become available within 30s; the sshd cannot "
                    + "start: pod noimage-sshd-"), timedOut.getMessage());
            assertTrue(timedOut.getMessage().contains("ErrImagePull: image " + missing), timedOut.getMessage());
            assertNothingLeft(ns, "noimage");
            await("a Warning event SshdStartTimeout").atMost(10, TimeUnit.SECONDS)
                    .until(() -> admin.v1().events().inNamespace(ns).list().getItems().stream()
                            .anyMatch(e -> "Warning".equals(e.getType()) && "SshdStartTimeout".equals(e.getReason())));
        } finally {
            cluster.restartOperator(Map.of());
        }
    }

    // ---- helpers

    private static Condition readyCondition(TunnelSession session) {
        return session.getStatus() == null ? new Condition() : session.getStatus().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType())).findFirst().orElse(new Condition());
    }

    private static String session(String name, String extra) {
        return """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: %s}
                spec:
                  target: {service: postgres, ports: [5432]}
                  %s
                """.formatted(name, extra);
    }

    private static void apply(String ns, String yaml) {
        Kubectl.Result result = kubectl.runWithInput(yaml, "apply", "-n", ns, "-f", "-");
        assertEquals(0, result.exitCode(), result.stderr());
    }

    private static SessionUser ready(String ns, String name) throws Exception {
        kubectl.succeed("wait", "-n", ns, "--for=condition=Ready", "ts/" + name, "--timeout=120s");
        Path home = Files.createTempDirectory("real-" + name + "-");
        return new SessionUser(get(ns, name), secretItems(ns, name + "-ssh"), home.resolve("user"), null);
    }

    private static TunnelSession get(String ns, String name) {
        return admin.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
    }

    private static io.fabric8.kubernetes.api.model.Pod sshdPod(String ns, String session) {
        return admin.pods().inNamespace(ns).withLabel(io.tunnelops.session.resources.SessionLabels.SESSION, session)
                .list().getItems().stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).findFirst()
                .orElseThrow();
    }

    private static TunnelSession awaitPhase(String ns, String name, SessionPhase phase, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(100)).until(() -> {
            TunnelSession s = get(ns, name);
            return s != null && s.getStatus() != null && s.getStatus().getPhase() == phase;
        });
        return get(ns, name);
    }
}
