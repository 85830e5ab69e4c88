package io.tunnelops.session;

import static io.tunnelops.testing.MockNamespace.drainRequests;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.testing.MockNamespace;
import io.tunnelops.testing.SessionFixtures;

/**
 * A denial is final, and the operator's cache of policies can be behind the API server (a session applied together
 * with its policy): a session is denied only when the API server's list of the namespace's policies is the cached one.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class DenialFromAFreshPolicyListTest {

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    KubernetesClient client;

    @Test
    void aSessionIsNotDeniedWhileTheApiServerHoldsAPolicyTheCacheDoesNotHaveYet() throws Exception {
        String ns = "lag-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        String policies = "/apis/tunnelops.io/v1alpha1/namespaces/" + ns + "/tunnelpolicies";
        // the API server's first answer holds a policy the cache never got; its later answers, the store's, hold none
        server.expect().get().withPath(policies).andReturn(200, Serialization.asJson(Map.of("apiVersion",
                "tunnelops.io/v1alpha1", "kind", "TunnelPolicyList", "metadata", Map.of("resourceVersion", "99"),
                "items", List.of(Map.of("apiVersion", "tunnelops.io/v1alpha1", "kind", "TunnelPolicy",
                        "metadata", Map.of("name", "databases", "namespace", ns, "uid", "not-cached-yet",
                                "resourceVersion", "98"), "spec", Map.of()))))).once();
        drainRequests(server);

        // a host target: no policy allows it, so the session is denied, but not from the first, lagging answer
        client.resource(SessionFixtures.session(ns, "far").toHost("db.example.com", 5432).build()).create();
        new MockNamespace(client, ns).awaitPhase("far", SessionPhase.Denied);

        List<String> seen = drainRequests(server).stream()
                .filter(r -> r.getPath().equals(policies) || r.getPath().endsWith("/tunnelsessions/far/status"))
                .map(r -> r.getMethod() + " " + r.getPath()).toList();
        assertEquals(List.of("GET " + policies, "GET " + policies,
                "PATCH /apis/tunnelops.io/v1alpha1/namespaces/" + ns + "/tunnelsessions/far/status"), seen,
                "the lagging answer held the denial back; the next pass's agreeing answer let it through");
    }
}
