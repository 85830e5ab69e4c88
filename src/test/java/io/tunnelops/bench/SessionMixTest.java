package io.tunnelops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.policy.PolicyDecision;
import io.tunnelops.policy.PolicyEvaluator;
import io.tunnelops.policy.SessionRequest;
import io.tunnelops.session.SessionDurations;
import io.tunnelops.testing.CrdAdmission;

/** The benchmark's sessions are ones the API server accepts, in the proportions its report states. */
class SessionMixTest {

    private final SessionMix mix = new SessionMix("bench-n100", SessionMix.usersKeys(3));
    private final List<TunnelSession> sessions = IntStream.range(0, 100).mapToObj(mix::session).toList();

    @Test
    void theApiServerAcceptsEverySessionAndThePolicy() {
        CrdAdmission sessionsCrd = CrdAdmission.forCrdFile("tunnelsessions.tunnelops.io-v1.yml");
        for (TunnelSession session : sessions) {
            assertEquals(List.of(), sessionsCrd.admit(Serialization.asYaml(session)).violations(),
                    session.getMetadata().getName());
        }
        assertEquals(List.of(), CrdAdmission.forCrdFile("tunnelpolicies.tunnelops.io-v1.yml")
                .admit(Serialization.asYaml(SessionMix.policy("bench-n100-0"))).violations());
    }

    @Test
    void theTeamsPolicyAllowsEverySession() throws Exception {
        for (TunnelSession session : sessions) {
            var target = session.getSpec().getTarget();
            var request = new SessionRequest(SessionMode.Tunnel, target.getService(), Map.of(), target.getHost(),
                    target.getPorts(), SessionDurations.parse("ttl", session.getSpec().getTtl()), null,
                    session.getSpec().getAccess().getExpose(), session.getSpec().getAccess().getSourceRanges());
            PolicyDecision decision = PolicyEvaluator.evaluate(List.of(SessionMix.policy(session.getMetadata().getNamespace())),
                    request, session.getMetadata().getNamespace(), Duration.ofHours(12));
            assertTrue(decision.allowed(), session.getMetadata().getName() + ": " + decision.message());
        }
    }

    @Test
    void tenNamespacesTakeTenSessionsEachInTheStatedMix() {
        assertEquals(Map.of("bench-n100-0", 10L, "bench-n100-1", 10L, "bench-n100-2", 10L, "bench-n100-3", 10L,
                "bench-n100-4", 10L, "bench-n100-5", 10L, "bench-n100-6", 10L, "bench-n100-7", 10L, "bench-n100-8", 10L,
                "bench-n100-9", 10L), count(s -> s.getMetadata().getNamespace()));
        assertEquals(Map.of("service", 70L, "host", 30L),
                count(s -> s.getSpec().getTarget().getService() != null ? "service" : "host"));
        assertEquals(Map.of("own", 40L, "generated", 60L),
                count(s -> s.getSpec().getAccess().getAuthorizedKeys().isEmpty() ? "generated" : "own"));
        assertEquals(Map.of("NodePort", 10L, "ClusterIP", 90L), count(s -> s.getSpec().getAccess().getExpose().name()));
        // the whole mix in every namespace, not one kind of session per namespace
        for (String ns : mix.namespaces()) {
            List<TunnelSession> in = sessions.stream().filter(s -> s.getMetadata().getNamespace().equals(ns)).toList();
            assertEquals(1, in.stream().filter(s -> s.getSpec().getAccess().getExpose() == Expose.NodePort).count(), ns);
            assertEquals(3, in.stream().filter(s -> s.getSpec().getTarget().getHost() != null).count(), ns);
            assertEquals(4, in.stream().filter(s -> !s.getSpec().getAccess().getAuthorizedKeys().isEmpty()).count(), ns);
        }
    }

    private Map<String, Long> count(java.util.function.Function<TunnelSession, String> by) {
        return sessions.stream().collect(Collectors.groupingBy(by, Collectors.counting()));
    }
}
