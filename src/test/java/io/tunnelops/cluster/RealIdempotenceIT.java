package io.tunnelops.cluster;

import static io.tunnelops.cluster.ClusterFixtures.echoTarget;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.tunnelops.testing.Kubectl;

/**
 * No change, no write, on a real API server: once a session is Ready, neither a restarted operator (a full resync)
 * nor an event on an owned object (a user's annotation on the Deployment) makes the operator write anything. The
 * mock server cannot show this: it does not default fields, and a defaulted value can make a dependent look changed.
 * Each pass is proven by the operator's own DEBUG line, and the writes are counted in the API server's audit log.
 */
class RealIdempotenceIT {

    private static final Set<String> WRITES = Set.of("create", "update", "patch", "delete", "deletecollection");
    private static final Map<String, String> DEBUG = Map.of("QUARKUS_LOG_CATEGORY__IO_TUNNELOPS_SESSION__LEVEL", "DEBUG");

    @AfterAll
    static void defaultOperator() {
        RealCluster.shared().restartOperator(Map.of());
    }

    @Test
    void aRestartAndAnEventOnAnOwnedObjectWriteNothingForAReadySession() throws Exception {
        RealCluster cluster = RealCluster.shared();
        Kubectl kubectl = cluster.kubectl();
        String ns = cluster.namespace("idem");
        echoTarget(ns, "postgres", 5432);
        Kubectl.Result applied = kubectl.runWithInput("""
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: steady}
                spec:
                  target: {service: postgres, ports: [5432]}
                """, "apply", "-n", ns, "-f", "-");
        assertEquals(0, applied.exitCode(), applied.stderr());
        kubectl.succeed("wait", "-n", ns, "--for=condition=Ready", "ts/steady", "--timeout=120s");

        int before = Files.readAllLines(cluster.operatorLog()).size();
        cluster.restartOperator(DEBUG);
        String agent = cluster.operatorUserAgent();
        awaitPass(ns, before, 1);
        kubectl.succeed("annotate", "-n", ns, "deployment/steady-sshd", "example.com/note=touched");
        awaitPass(ns, before, 2);

        List<AuditLog.Request> writes = await().atMost(Duration.ofSeconds(30))
                .until(() -> OperatorRbacAuditIT.readAudit(cluster.auditLog(), agent), r -> r != null).stream()
                .filter(r -> r.userAgent().equals(agent) && ns.equals(r.namespace()) && WRITES.contains(r.verb()))
                .toList();
        assertEquals(List.of(), writes, "writes by the restarted operator with nothing changed");
    }

    /** Waits until the operator's log, after its first {@code offset} lines, shows {@code pass} reconciles of the session. */
    private static void awaitPass(String ns, int offset, int pass) {
        String line = "reconciling TunnelSession " + ns + "/steady";
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            List<String> log = Files.readAllLines(RealCluster.shared().operatorLog());
            return log.subList(Math.min(offset, log.size()), log.size()).stream().filter(l -> l.contains(line)).count() >= pass;
        });
    }
}
