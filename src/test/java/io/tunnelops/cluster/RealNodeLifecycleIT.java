package io.tunnelops.cluster;

import static io.tunnelops.cluster.RealNodeFixtures.apply;
import static io.tunnelops.cluster.RealNodeFixtures.assertNothingLeft;
import static io.tunnelops.cluster.RealNodeFixtures.awaitPhase;
import static io.tunnelops.cluster.RealNodeFixtures.echoTarget;
import static io.tunnelops.cluster.RealNodeFixtures.ready;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.e2e.SessionUser;

/**
 * How sessions end on a real node: the idle timeout and the end on disconnect, told by the real container's
 * termination message (written by our image's entrypoint, read by the kubelet, reported in the pod status); expiry,
 * which deletes the pod and cuts a live connection.
 */
class RealNodeLifecycleIT {

    static RealNodeCluster cluster;

    @BeforeAll
    static void up() {
        cluster = RealNodeCluster.shared();
    }

    private static String session(String name, String extra) {
        return """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: %s}
                spec:
                  target: {service: echo, ports: [8080]}
                  %s
                """.formatted(name, extra);
    }

    @Test
    void idleAndOneShotSessionsEndFromTheRealContainersTerminationMessage() throws Exception {
        String ns = cluster.namespace("node-ends");
        echoTarget(ns, "echo", 8080);
        Path home = Files.createTempDirectory("real-node-ends-");
        // 10 s: long enough for the test (and kubectl wait on a loaded machine) to see Ready before an idle end
        apply(ns, session("idle", "idleTimeout: 10s"));
        apply(ns, session("once", "endOnDisconnect: true"));
        SessionUser idleUser = ready(ns, "idle", home);
        // a live connection holds the idle session open well past its 10 s timeout ...
        Process live = startLiveConnection(idleUser, ns, home.resolve("idle-live.log"));
        SessionUser once;
        try {
            once = ready(ns, "once", home);
            Instant until = Instant.now().plusSeconds(15);
            while (Instant.now().isBefore(until)) {
                assertEquals(SessionPhase.Ready, get(ns, "idle").getStatus().getPhase(),
                        "the idle session ended while a connection was open");
                Thread.sleep(500);
            }
        } finally {
            live.destroy();
            live.waitFor(10, TimeUnit.SECONDS);
        }
        Instant closed = Instant.now();
        // ... and once it is closed, the session ends as idle, not before the timeout has run again
        TunnelSession idle = awaitPhase(ns, "idle", SessionPhase.Ended, Duration.ofSeconds(60));
        assertEquals(EndReason.Idle, idle.getStatus().getEndReason());
        String idleMessage = idle.getStatus().getConditions().get(0).getMessage();
        assertTrue(idleMessage.startsWith("Idle:"), "the entrypoint's termination message: " + idleMessage);
        // endedAt has whole seconds and the entrypoint looks once a second: 10 s, less 3 s of rounding
        Instant endedAt = Instant.parse(idle.getStatus().getEndedAt());
        assertFalse(endedAt.isBefore(closed.plusSeconds(7)), "ended " + endedAt + ", connection closed " + closed);

        assertEquals("once", SessionUser.run(once.ssh("-p", once.port(), "-W", "echo." + ns + ".svc.cluster.local:8080",
                "tunnel@" + once.host()), "once").output());
        TunnelSession disconnected = awaitPhase(ns, "once", SessionPhase.Ended, Duration.ofSeconds(60));
        assertEquals(EndReason.Disconnected, disconnected.getStatus().getEndReason());
        System.out.println("real node: idle end " + Duration.between(closed, endedAt).toMillis() + " ms after the "
                + "connection closed: " + idleMessage + "; one-shot end: "
                + disconnected.getStatus().getConditions().get(0).getMessage());
        assertNothingLeft(ns, "idle");
        assertNothingLeft(ns, "once");
    }

    /** ssh -W to the echo target, kept open (stdin stays open), once a line has gone through. */
    private static Process startLiveConnection(SessionUser user, String ns, Path log) throws Exception {
        Process live = new ProcessBuilder(user.ssh("-p", user.port(), "-W", "echo." + ns + ".svc.cluster.local:8080",
                "tunnel@" + user.host())).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        OutputStream in = live.getOutputStream();
        in.write("alive\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        org.awaitility.Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> Files.readString(log).contains("alive"));
        assertTrue(live.isAlive(), "the connection is open");
        return live;
    }

    private static TunnelSession get(String ns, String name) {
        return cluster.admin().resources(TunnelSession.class).inNamespace(ns).withName(name).get();
    }

    @Test
    void expiryDeletesThePodAndCutsALiveConnection() throws Exception {
        String ns = cluster.namespace("node-expiry");
        echoTarget(ns, "echo", 8080);
        Path home = Files.createTempDirectory("real-node-expiry-");
        apply(ns, session("short", "ttl: 1m"));
        SessionUser user = ready(ns, "short", home);

        Process live = startLiveConnection(user, ns, home.resolve("live.log"));
        var exited = live.onExit().thenApply(p -> Instant.now());
        try {
            TunnelSession expired = awaitPhase(ns, "short", SessionPhase.Expired, Duration.ofSeconds(120));
            Instant expiresAt = Instant.parse(expired.getStatus().getExpiresAt());
            Instant endedAt = Instant.parse(expired.getStatus().getEndedAt());
            assertFalse(endedAt.isBefore(expiresAt), "not ended early: " + endedAt + " < " + expiresAt);
            assertTrue(live.waitFor(60, TimeUnit.SECONDS), "the live connection is cut when the session expires");
            Instant cut = exited.get();
            assertFalse(cut.isBefore(expiresAt), "the connection lasted until expiry: cut " + cut + " < " + expiresAt);
            System.out.printf("real node: expired %d ms after expiresAt; live connection cut %d ms after expiresAt%n",
                    Duration.between(expiresAt, endedAt).toMillis(), Duration.between(expiresAt, cut).toMillis());
            assertNothingLeft(ns, "short");
        } finally {
            live.destroyForcibly();
        }
    }

    @Test
    void anSshdThatCannotStartGivesTheSessionAClearConditionAndThenFailsIt() throws Exception {
        // An image no registry has: its registry is this machine's port 9, where nothing listens, so the kubelet's
        // pull fails at once and nothing is looked up or sent anywhere else.
        String missing = "127.0.0.1:9/tunnelops/sshd:does-not-exist";
        cluster.upgrade(Map.of("app.envs.TUNNEL_OPERATOR_SSHD_IMAGE", missing,
                "app.envs.TUNNEL_OPERATOR_SSHD_START_TIMEOUT", "40s"));
        try {
            String ns = cluster.namespace("node-nostart");
            echoTarget(ns, "echo", 8080);
            apply(ns, session("stuck", "ttl: 1h"));
            TunnelSession stuck = org.awaitility.Awaitility.await().atMost(60, TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> cluster.admin().resources(TunnelSession.class).inNamespace(ns).withName("stuck").get(),
                            s -> s.getStatus() != null && s.getStatus().getConditions() != null && s.getStatus()
                                    .getConditions().stream().anyMatch(c -> "SshdCannotStart".equals(c.getReason())));
            var condition = stuck.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
                    .findFirst().orElseThrow();
            assertEquals("False", condition.getStatus());
            assertEquals(SessionPhase.Provisioning, stuck.getStatus().getPhase());
            assertTrue(condition.getMessage().contains(missing), condition.getMessage());
            assertTrue(condition.getMessage().matches("(?s).*(ErrImagePull|ImagePullBackOff).*"), condition.getMessage());
            System.out.println("real node: a missing image: " + condition.getMessage());

            TunnelSession failed = awaitPhase(ns, "stuck", SessionPhase.Failed, Duration.ofSeconds(90));
            var last = failed.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
                    .findFirst().orElseThrow();
            assertEquals("SshdStartTimeout", last.getReason());
            assertTrue(last.getMessage().contains(missing), last.getMessage());
            assertNothingLeft(ns, "stuck");
        } finally {
            cluster.upgrade(Map.of());
        }
    }
}
