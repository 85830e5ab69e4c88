package io.tunnelops.policy;

import static io.tunnelops.testing.SessionFixtures.policyAllowing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.TunnelPolicy;

/** The reason a denial is counted under (tunnel_operator_session_denials_total): the first rule the session breaks. */
class DenialReasonTest {

    private static final Duration MAX = Duration.ofHours(8);

    @Test
    void withoutAPolicyAHostIsATargetDenialAndALongTtlATtlDenial() {
        assertEquals(DenialReason.Target, evaluate(List.of(), tunnel(null, "db.example.com", 5432, Duration.ofHours(1),
                Expose.ClusterIP)).denialReason());
        assertEquals(DenialReason.Ttl, evaluate(List.of(), tunnel("postgres", null, 5432, Duration.ofHours(9),
                Expose.ClusterIP)).denialReason());
        assertEquals(DenialReason.Expose, evaluate(List.of(), tunnel("postgres", null, 5432, Duration.ofHours(1),
                Expose.NodePort)).denialReason());
        PolicyDecision allowed = evaluate(List.of(), tunnel("postgres", null, 5432, Duration.ofHours(1), Expose.ClusterIP));
        assertTrue(allowed.allowed());
        assertNull(allowed.denialReason());
    }

    @Test
    void withAPolicyTheFirstRuleBrokenIsTheReason() {
        TunnelPolicy policy = policyAllowing("team-a", "databases", "postgres", List.of(5432));
        assertEquals(DenialReason.Port, evaluate(List.of(policy), tunnel("postgres", null, 6543, Duration.ofHours(1),
                Expose.ClusterIP)).denialReason());
        assertEquals(DenialReason.Target, evaluate(List.of(policy), tunnel("redis", null, 5432, Duration.ofHours(1),
                Expose.ClusterIP)).denialReason());
        assertEquals(DenialReason.Mode, evaluate(List.of(policy), new SessionRequest(SessionMode.Shell, null, Map.of(),
                null, List.of(), Duration.ofHours(1), null, Expose.ClusterIP, List.of(), "app01", Map.of()))
                .denialReason());
    }

    private static PolicyDecision evaluate(List<TunnelPolicy> policies, SessionRequest request) {
        return PolicyEvaluator.evaluate(policies, request, "team-a", MAX);
    }

    private static SessionRequest tunnel(String service, String host, int port, Duration ttl, Expose expose) {
        return new SessionRequest(SessionMode.Tunnel, service, Map.of(), host, List.of(port), ttl, null, expose, List.of());
    }
}
