package io.tunnelops.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.resources.CredentialsSecret;

/** A namespace of the mock server as the reconciler tests look at it: sessions, what they own, the request log. */
public record MockNamespace(KubernetesClient client, String ns) {

    public TunnelSession current(String name) {
        return client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
    }

    public TunnelSession awaitPhase(String name, SessionPhase phase) {
        await().atMost(15, TimeUnit.SECONDS).until(() -> {
            TunnelSession s = current(name);
            return s != null && s.getStatus() != null && s.getStatus().getPhase() == phase;
        });
        return current(name);
    }

    /**
     * An event the session's informers see and that changes nothing it depends on (a pod labelled as its sshd's,
     * annotated anew each time): one more reconcile pass of the session, under whatever clock the test set.
     */
    public static void nudge(KubernetesClient client, String ns, String session) {
        var pod = new PodBuilder().withNewMetadata().withNamespace(ns).withName(session + "-nudge")
                .withLabels(Map.of("app.kubernetes.io/managed-by", "tunnel-operator", "tunnelops.io/session", session))
                .withAnnotations(Map.of("nudge", UUID.randomUUID().toString())).endMetadata()
                .withNewSpec().addNewContainer().withName("nudge").withImage("none").endContainer().endSpec().build();
        client.resource(pod).createOr(existing -> existing.update());
    }

    public static Condition ready(TunnelSession session) {
        return session.getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready")).findFirst()
                .orElseThrow();
    }

    public Deployment deployment(String session) {
        return client.apps().deployments().inNamespace(ns).withName(session + "-sshd").get();
    }

    public Service service(String session) {
        return client.services().inNamespace(ns).withName(session + "-sshd").get();
    }

    public Secret secret(String session) {
        return client.secrets().inNamespace(ns).withName(session + "-ssh").get();
    }

    public NetworkPolicy networkPolicy(String session) {
        return client.network().v1().networkPolicies().inNamespace(ns).withName(session + "-sshd").get();
    }

    public Map<String, String> secretItems(String session) {
        return CredentialsSecret.decode(Optional.ofNullable(secret(session)));
    }

    public void assertNothingProvisioned(String session) {
        assertNull(deployment(session), "Deployment of " + session);
        assertNull(service(session), "Service of " + session);
        assertNull(secret(session), "Secret of " + session);
        assertNull(networkPolicy(session), "NetworkPolicy of " + session);
    }

    /** The requests the mock server received since the last call. */
    public static List<RecordedRequest> drainRequests(KubernetesServer server) throws InterruptedException {
        List<RecordedRequest> requests = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.getKubernetesMockServer().takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
            requests.add(request);
        }
        return requests;
    }
}
