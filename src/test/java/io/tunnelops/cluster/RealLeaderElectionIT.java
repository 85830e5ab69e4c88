package io.tunnelops.cluster;

import static io.tunnelops.cluster.ClusterFixtures.assertNothingLeft;
import static io.tunnelops.cluster.ClusterFixtures.applyPostgresSession;
import static io.tunnelops.cluster.ClusterFixtures.awaitPhase;
import static io.tunnelops.cluster.ClusterFixtures.echoTarget;
import static io.tunnelops.cluster.ClusterFixtures.session;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.local.OperatorProcess;
import io.tunnelops.testing.Kubectl;

/**
 * Two replicas of the operator on the real control plane, as the chart runs them: one holds the Lease and acts, the
 * other waits (and is ready); a crashed leader is replaced within the lease duration, a stopped one at once; sessions
 * created meanwhile become Ready, and nothing of a session deleted meanwhile is ever created again.
 */
class RealLeaderElectionIT {

    static final String LEASE = "tunnel-operator";
    /** The default lease duration (LeaderElectionSettings) plus one retry period (2 s) and the test's polling. */
    static final Duration CRASH_HANDOVER_BOUND = Duration.ofSeconds(15 + 2 + 3);

    static RealCluster cluster;
    static KubernetesClient admin;
    static Kubectl kubectl;

    @BeforeAll
    static void up() {
        cluster = RealCluster.shared();
        admin = cluster.admin();
        kubectl = cluster.kubectl();
    }

    @AfterAll
    static void theDefaultOperatorAgain() {
        cluster.restartOperator(Map.of());
    }

    @Test
    void oneLeadsTheOtherWaitsAndTakesOverWhenTheLeaderDiesWithoutReCreatingADeletedSession() throws Exception {
        String ns = cluster.namespace("leader");
        echoTarget(ns, "postgres", 5432);
        // the running operator leads (it is alone); a second replica starts, is ready, and waits
        String first = await().atMost(30, TimeUnit.SECONDS).until(RealLeaderElectionIT::holder, h -> h != null);
        OperatorProcess standby = cluster.startReplica("replica-b", Map.of("TUNNEL_OPERATOR_LEADER_ELECTION_IDENTITY", "replica-b"));
        try {
            assertEquals(first, holder(), "the standby took the Lease from a live leader");
            applyPostgresSession(ns, "before", "1h");
            awaitPhase(ns, "before", SessionPhase.Ready);
            applyPostgresSession(ns, "doomed", "1h");
            awaitPhase(ns, "doomed", SessionPhase.Ready);
            assertEquals(List.of(), requestsOf("replica-b", ns, Set.of("create", "update", "patch", "delete")),
                    "the standby wrote to the sessions' namespace");

            // the leader crashes (SIGKILL: no release); a session is deleted and another created while nobody leads
            Instant crash = Instant.now();
            cluster.operator().kill();
            long killed = System.nanoTime();
            kubectl.succeed("delete", "-n", ns, "ts/doomed", "--wait=false");
            applyPostgresSession(ns, "during", "1h");
            await().atMost(CRASH_HANDOVER_BOUND.plusSeconds(10).toSeconds(), TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(200)).until(() -> "replica-b".equals(holder()));
            Duration handover = Duration.ofNanos(System.nanoTime() - killed);
            System.out.printf("leader election: a crashed leader replaced after %.1f s (lease 15 s)%n", handover.toMillis() / 1e3);
            assertTrue(handover.compareTo(CRASH_HANDOVER_BOUND) <= 0, "handover took " + handover);

            awaitPhase(ns, "during", SessionPhase.Ready);
            await().atMost(60, TimeUnit.SECONDS).until(() -> session(ns, "doomed") == null);
            assertNothingLeft(ns, "doomed");
            assertEquals(SessionPhase.Ready, session(ns, "before").getStatus().getPhase());
            // nothing of the deleted session was created after the crash, by either instance (Kubernetes' own
            // controllers still record Events named after the session's objects)
            List<AuditLog.Request> recreated = OperatorRbacAuditIT.completedRequests(cluster.auditLog())
                    .stream().filter(r -> r.userAgent().startsWith(RealCluster.OPERATOR_USER_AGENT))
                    .filter(r -> ns.equals(r.namespace()) && "create".equals(r.verb()))
                    .filter(r -> r.name().startsWith("doomed-")).filter(r -> Instant.parse(r.time()).isAfter(crash)).toList();
            assertEquals(List.of(), recreated, "objects of a deleted session created again");

            // a graceful stop (a rolling update) hands over at once: the Lease is released, not left to expire
            cluster.startOperator();
            assertEquals("replica-b", holder(), "a new replica took the Lease from a live leader");
            long stopped = System.nanoTime();
            standby.close();
            await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                    .until(() -> holder() != null && !"replica-b".equals(holder()));
            Duration graceful = Duration.ofNanos(System.nanoTime() - stopped);
            System.out.printf("leader election: a stopped leader replaced after %.1f s%n", graceful.toMillis() / 1e3);
            assertTrue(graceful.compareTo(Duration.ofSeconds(8)) < 0, "released, not left to expire (15 s): " + graceful);
            applyPostgresSession(ns, "after", "1h");
            awaitPhase(ns, "after", SessionPhase.Ready);
            assertNotEquals(first, holder(), "each instance has an identity of its own");
        } finally {
            standby.close();
        }
    }

    private static String holder() {
        Lease lease = admin.leases().inNamespace(RealCluster.OPERATOR_NAMESPACE).withName(LEASE).get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }

    /** Completed requests only: writes complete at once, the instances' watches stay open while they run. */
    private static List<AuditLog.Request> requestsOf(String instance, String ns, Set<String> verbs)
            throws java.io.IOException {
        String agent = RealCluster.OPERATOR_USER_AGENT + instance;
        return OperatorRbacAuditIT.completedRequests(cluster.auditLog()).stream().filter(r -> agent.equals(r.userAgent()) && ns.equals(r.namespace()))
                .filter(r -> verbs.contains(r.verb())).toList();
    }

}
