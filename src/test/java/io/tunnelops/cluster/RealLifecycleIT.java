package io.tunnelops.cluster;

import static io.tunnelops.cluster.ClusterFixtures.assertNothingLeft;
import static io.tunnelops.cluster.ClusterFixtures.echoTarget;
import static io.tunnelops.cluster.ClusterFixtures.secretItems;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelPolicySpec;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.e2e.SessionUser;
import io.tunnelops.session.resources.SessionLabels;
import io.tunnelops.testing.Kubectl;

/**
 * How sessions end on a real cluster: expiry on time (the real clock: the shortest ttl is one minute), idle timeout and
 * end on disconnect read from the real pod's termination message, extension without a restart, policy, garbage
 * collection by ownerReference with the operator stopped, and a crash of the operator in the middle of provisioning.
 * An sshd image that cannot be pulled is reported in the Ready condition and fails the session after the start timeout.
 * After each, nothing of the session is left: no Deployment, ReplicaSet, Pod, Service, EndpointSlice, Secret,
 * NetworkPolicy or sshd process. A namespace deleted with live sessions goes, and the operator does not provision them
 * again there.
 */
class RealLifecycleIT {

    /** The namespace controller's passes (it re-checks every few seconds) and the operator's cleanup of each session. */
    static final Duration NAMESPACE_GONE_BOUND = Duration.ofSeconds(60);
    /** JOSDK's default retry of a failed pass: 4 retries after 2, 3, 4.5 and 6.75 s, and some margin. */
    static final Duration RETRIES_SPAN = Duration.ofSeconds(25);

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

    @Test
    void deletingANamespaceWithReadySessionsEndsThemWithoutProvisioningThemAgain() throws Exception {
        String ns = cluster.namespace("nsgone");
        echoTarget(ns, "postgres", 5432);
        List<String> names = List.of("a", "b", "c", "d");
        for (String name : names) {
            apply(ns, session(name, "ttl: 1h"));
        }
        for (String name : names) {
            ready(ns, name);
        }
        // The namespace controller deletes pods first, then every other kind in a random order: when the sessions'
        // objects go before the sessions (as in the N = 1000 benchmark), the operator sees them gone. A pod that no
        // node runs, held by a finalizer of the test's, keeps the namespace terminating with its sessions alive while
        // the test deletes their objects as the controller would.
        admin.resource(heldPod(ns)).create();
        Instant deleted = Instant.now();
        kubectl.succeed("delete", "namespace", ns, "--wait=false");
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> "Terminating".equals(admin.namespaces().withName(ns).get()
                    .getStatus().getPhase()));
            // what the operator is told when it creates there (checked on the real API server, not assumed)
            KubernetesClientException refusal = assertThrows(KubernetesClientException.class, () -> admin.configMaps()
                    .inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("probe").endMetadata()
                            .build()).create());
            assertEquals(403, refusal.getCode());
            assertEquals(List.of("NamespaceTerminating"), refusal.getStatus().getDetails().getCauses().stream()
                    .map(StatusCause::getReason).toList(), refusal.getStatus().toString());
            kubectl.succeed("delete", "-n", ns, "deployments,services,secrets,networkpolicies",
                    "-l", SessionLabels.OWNED_SELECTOR, "--wait=false");
            // longer than the operator's retries of a failed pass (JOSDK's default: 5 attempts, 2 s apart, times 1.5)
            await().pollDelay(RETRIES_SPAN).atMost(RETRIES_SPAN.plusSeconds(5)).until(() -> true);
        } finally {
            kubectl.succeed("patch", "-n", ns, "pod/held", "--type", "merge", "-p",
                    "{\"metadata\":{\"finalizers\":null}}");
        }
        await().atMost(NAMESPACE_GONE_BOUND).pollInterval(Duration.ofMillis(250))
                .until(() -> admin.namespaces().withName(ns).get() == null);
        Duration gone = Duration.between(deleted, Instant.now());

        // what the operator tried to create there once its objects were deleted: refused, the namespace terminates
        List<AuditLog.Request> refused = OperatorRbacAuditIT.completedRequests(cluster.auditLog()).stream()
                .filter(r -> r.userAgent().startsWith(RealCluster.OPERATOR_USER_AGENT) && ns.equals(r.namespace()))
                .filter(r -> "create".equals(r.verb()) && r.code() == 403 && !"events".equals(r.resource()))
                .toList();
        System.out.printf("real cluster: namespace with %d Ready sessions gone %.1f s after its deletion; the operator's"
                + " refused creates there: %d (%.2f per session)%n", names.size(), gone.toMillis() / 1e3, refused.size(),
                refused.size() / (double) names.size());
        refused.forEach(r -> System.out.println("  " + r));
        // one pass of a session tries each of its objects once; a retry or a later pass that provisions again would
        // try the same object again
        Map<String, Long> attempts = refused.stream().collect(Collectors.groupingBy(r -> r.resource() + "/" + r.name(),
                Collectors.counting()));
        assertTrue(attempts.values().stream().allMatch(n -> n == 1),
                "the same object refused more than once in the terminating namespace: " + attempts);
    }

    // ---- helpers

    /** A pod no node will run (its node selector matches none), kept by a finalizer until the test removes it. */
    private static Pod heldPod(String ns) {
        return new PodBuilder().withNewMetadata().withName("held").withNamespace(ns)
                .withFinalizers("tunnelops.io/test-hold").endMetadata()
                .withNewSpec().withAutomountServiceAccountToken(false).addToNodeSelector("tunnelops.io/no-such-node", "x")
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(10002L).withNewSeccompProfile()
                .withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addNewContainer().withName("held").withImage(NodeAgent.ECHO_IMAGE).withNewSecurityContext()
                .withAllowPrivilegeEscalation(false).withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext().endContainer().endSpec().build();
    }

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
