package io.tunnelops.cluster;

import static io.tunnelops.cluster.RealNodeFixtures.apply;
import static io.tunnelops.cluster.RealNodeFixtures.echoTarget;
import static io.tunnelops.cluster.RealNodeFixtures.pipeThrough;
import static io.tunnelops.cluster.RealNodeFixtures.ready;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.e2e.SessionUser;
import io.tunnelops.testing.Kubectl;
import io.tunnelops.testing.TcpProbe;

/**
 * access.sourceRanges means the addresses of the clients, on a real node with kube-proxy (iptables) and a NetworkPolicy
 * firewall: a NodePort session whose ranges hold the client's address carries a tunnel, one whose ranges exclude it
 * refuses the connection, on the same node and the same kind of port, and the sshd sees the client's own address.
 */
class RealNodeSourceRangesIT {

    static RealNodeCluster cluster;
    static Kubectl kubectl;

    @BeforeAll
    static void up() {
        cluster = RealNodeCluster.shared();
        kubectl = cluster.kubectl();
    }

    @Test
    void aNodePortSessionAdmitsOnlyClientsInItsSourceRanges() throws Exception {
        String ns = cluster.namespace("node-src");
        echoTarget(ns, "echo", 8080);
        String client = cluster.nodeEnv().get("LINK_HOST_IP");   // where this test's ssh client connects from
        Path home = Files.createTempDirectory("real-node-src-");
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelPolicy
                metadata: {name: nodeport}
                spec:
                  targets: [{services: [echo], ports: [8080]}]
                  allowedExpose: [ClusterIP, NodePort]
                  requireSourceRanges: true
                """);
        apply(ns, session("mine", client + "/32"));
        apply(ns, session("elsewhere", "192.0.2.0/24"));   // TEST-NET-1: never this machine's address

        // the positive control: the client's /32 admits it, and the sshd sees the client's own address
        SessionUser user = ready(ns, "mine", home);
        String target = "echo." + ns + ".svc.cluster.local:8080";
        byte[] data = new byte[64 * 1024];
        new Random(5).nextBytes(data);
        assertArrayEquals(data, pipeThrough(user.ssh("-p", user.port(), "-W", target, "tunnel@" + user.host()), data,
                home.resolve("mine.err")), "echoed through the NodePort of the session whose ranges hold the client");

        // the same kind of port on the same node, ranges without the client: the connection is refused
        kubectl.succeed("wait", "-n", ns, "--for=condition=Ready", "ts/elsewhere", "--timeout=120s");
        TunnelSession elsewhere = cluster.admin().resources(TunnelSession.class).inNamespace(ns).withName("elsewhere").get();
        String host = elsewhere.getStatus().getEndpoint().getHost();
        int port = elsewhere.getStatus().getEndpoint().getPort();
        assertEquals(user.host(), host, "both sessions are published on the same node address");
        awaitNodePortProgrammed(port);
        long refusedSince = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            assertFalse(TcpProbe.accepts(host, port), "ranges without the client admitted it at " + host + ":" + port);
            Thread.sleep(250);
        }
        SessionUser outsider = new SessionUser(elsewhere, ClusterFixtures.secretItems(cluster.admin(), ns, "elsewhere-ssh"),
                home.resolve("elsewhere"), null);
        var refused = SessionUser.run(outsider.ssh("-o", "ConnectTimeout=5", "-p", String.valueOf(port), "-W", target,
                "tunnel@" + host), "");
        assertNotEquals(0, refused.exitCode(), refused.output());
        assertTrue(refused.output().contains("Connection refused") || refused.output().contains("timed out"),
                refused.output());
        System.out.printf("real node: sourceRanges %s refused %s for %d ms: %s%n", "192.0.2.0/24", client,
                (System.nanoTime() - refusedSince) / 1_000_000, refused.output().strip());
        String elsewhereLog = kubectl.succeed("logs", "-n", ns, "deploy/elsewhere-sshd");
        // (the kubelet's readiness probe connects from the node's bridge address: those lines are not the client)
        assertFalse(elsewhereLog.contains("Connection from " + client + " "), "the client reached the sshd:\n" + elsewhereLog);

        // checked after the refusal, so a run without the fix shows both: what the sshd saw, what the outsider got
        String log = kubectl.succeed("logs", "-n", ns, "deploy/mine-sshd");
        System.out.printf("real node: the sshd of the session open to %s/32 logged: %s%n", client,
                log.lines().filter(l -> l.startsWith("Connection from")).toList());
        assertTrue(log.contains("Connection from " + client + " port"), "the sshd sees the client's address:\n" + log);

        // the refusal was the ranges: the same session, its ranges changed to the client's /32, admits it
        kubectl.succeed("patch", "-n", ns, "ts/elsewhere", "--type=merge", "-p",
                "{\"spec\":{\"access\":{\"sourceRanges\":[\"" + client + "/32\"]}}}");
        long patched = System.nanoTime();
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(() -> TcpProbe.accepts(host, port));
        System.out.printf("real node: ranges changed to %s/32, admitted %d ms later%n", client,
                (System.nanoTime() - patched) / 1_000_000);
        assertArrayEquals(data, pipeThrough(outsider.ssh("-p", String.valueOf(port), "-W", target, "tunnel@" + host), data,
                home.resolve("elsewhere.err")), "echoed once the ranges hold the client");

        kubectl.succeed("delete", "-n", ns, "ts/mine", "ts/elsewhere", "--wait=false");
        kubectl.succeed("wait", "-n", ns, "--for=delete", "ts/mine", "ts/elsewhere", "--timeout=60s");
        RealNodeFixtures.assertNothingLeft(ns, "mine");
        RealNodeFixtures.assertNothingLeft(ns, "elsewhere");
    }

    /** A NodePort session with these source ranges, to the echo Service. */
    static String session(String name, String... ranges) {
        return """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: %s}
                spec:
                  target: {service: echo, ports: [8080]}
                  ttl: 1h
                  access:
                    expose: NodePort
                    sourceRanges: [%s]
                """.formatted(name, String.join(", ", ranges));
    }

    /**
     * Until kube-proxy has a rule for the NodePort, a connection is refused whatever the ranges say: a refusal only
     * counts once the rule is there.
     */
    private static void awaitNodePortProgrammed(int port) {
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.inNode("iptables-save", "-t", "nat").lines()
                        .anyMatch(l -> l.startsWith("-A KUBE-NODEPORTS") && l.contains("--dport " + port + " ")));
    }
}
