package io.tunnelops.session;

import static io.tunnelops.testing.MockNamespace.drainRequests;
import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.testing.FakeKubelet;
import io.tunnelops.testing.MockNamespace;

/**
 * When a namespace is deleted, the namespace controller deletes the sessions' objects, and the API server refuses
 * every create there (403, cause NamespaceTerminating) until the namespace is gone: a session that meets that refusal
 * is neither retried nor provisioned again, and its status is not written. Any other 403 is an ordinary failure.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class TerminatingNamespaceTest {

    /** JOSDK's first retry comes 2 s after a failed pass; this is well past it. */
    static final Duration PAST_THE_FIRST_RETRY = Duration.ofSeconds(4);

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    KubernetesClient client;

    @Inject
    TunnelSessionReconciler reconciler;

    String ns;

    MockNamespace mock;

    @BeforeEach
    void newNamespace() {
        ns = "doomed-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        mock = new MockNamespace(client, ns);
        client.resource(targetService(ns, "postgres", 5432)).create();
    }

    @Test
    void aSessionWhoseNamespaceIsTerminatingIsNotRetriedNotProvisionedAgainAndItsStatusIsNotWritten() throws Exception {
        TunnelSession ready = readySession("live");
        // from now on the API server refuses every create in the namespace, as a real one does while it terminates
        for (String path : List.of("/api/v1/namespaces/" + ns + "/services", "/api/v1/namespaces/" + ns + "/secrets",
                "/apis/apps/v1/namespaces/" + ns + "/deployments",
                "/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies")) {
            server.expect().post().withPath(path).andReturn(403, namespaceTerminating("live-sshd")).always();
        }
        drainRequests(server);

        // the namespace controller deletes the session's objects (here the Service first, then the rest)
        long before = reconciler.reconciliationCount();
        client.services().inNamespace(ns).withName("live-sshd").delete();
        await().until(() -> reconciler.reconciliationCount() > before);
        await().pollDelay(PAST_THE_FIRST_RETRY).until(() -> true);
        client.network().v1().networkPolicies().inNamespace(ns).withName("live-sshd").delete();
        client.secrets().inNamespace(ns).withName("live-ssh").delete();
        try (ReconcilePasses passes = ReconcilePasses.record(reconciler::reconciliationCount)) {
            passes.awaitWholePass(ns, "live", () -> MockNamespace.nudge(client, ns, "live"));
        }

        // this namespace only: other tests' sessions may still be retried
        List<String> writes = drainRequests(server).stream().filter(r -> !r.getMethod().equals("GET"))
                .map(TerminatingNamespaceTest::describe).filter(w -> w.contains("/namespaces/" + ns + "/")).toList();
        List<String> creates = writes.stream().filter(w -> w.startsWith("POST") && !w.contains("/events")).toList();
        // one pass tried the Service (and the NetworkPolicy, which does not depend on it), and nothing after it
        assertEquals(1, creates.stream().filter(w -> w.endsWith("/services")).count(), "creates: " + creates);
        assertTrue(creates.stream().noneMatch(w -> w.endsWith("/secrets") || w.endsWith("/deployments")),
                "provisioned again after the refusal: " + creates);
        assertTrue(creates.stream().filter(w -> w.endsWith("/networkpolicies")).count() <= 1, "creates: " + creates);
        assertEquals(List.of(), writes.stream().filter(w -> w.contains("/tunnelsessions/")).toList(),
                "the session was written");
        TunnelSession current = mock.current("live");
        assertEquals(SessionPhase.Ready, current.getStatus().getPhase());
        assertEquals(ready.getStatus(), current.getStatus());
    }

    @Test
    void aCreateForbiddenForAnotherReasonIsRetriedAsAnyFailure() throws Exception {
        readySession("other");
        // RBAC's refusal: a 403 without a NamespaceTerminating cause
        server.expect().post().withPath("/api/v1/namespaces/" + ns + "/services").andReturn(403, Serialization.asJson(
                Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure", "reason", "Forbidden", "code", 403,
                        "message", "services is forbidden: User \"system:serviceaccount:x:y\" cannot create resource",
                        "details", Map.of("kind", "services")))).always();
        drainRequests(server);

        client.services().inNamespace(ns).withName("other-sshd").delete();
        // the pass's create, then its retry's
        List<RecordedRequest> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            seen.addAll(drainRequests(server));
            return seen.stream().filter(r -> r.getMethod().equals("POST")
                    && r.getPath().endsWith("/namespaces/" + ns + "/services")).count() >= 2;
        });
    }

    @Test
    void theLastAttemptWritesNoFailedStatusForATerminatingNamespaceButDoesForAnotherRefusal() {
        TunnelSession session = client.resource(session(ns, "last").toService("postgres", 5432).build()).create();
        KubernetesClientException terminatingRefusal = new KubernetesClientException(Serialization.unmarshal(
                namespaceTerminating("last-sshd"), io.fabric8.kubernetes.api.model.Status.class));
        // as JOSDK hands it over: the workflow's failures, aggregated, inside an OperatorException
        Exception failure = new OperatorException(new AggregatedOperatorException("Exception(s) during workflow execution.",
                Map.of("sshd-service", terminatingRefusal)));

        ErrorStatusUpdateControl<TunnelSession> control = reconciler.updateErrorStatus(session, lastAttempt(), failure);
        assertTrue(control.isNoRetry(), "a session whose namespace terminates is never retried");
        assertTrue(control.getResource().isEmpty(), "no status is written for it");

        KubernetesClientException forbidden = new KubernetesClientException("services is forbidden", 403, null);
        ErrorStatusUpdateControl<TunnelSession> ordinary = reconciler.updateErrorStatus(
                client.resource(session(ns, "rbac").toService("postgres", 5432).build()).create(), lastAttempt(),
                new OperatorException(new AggregatedOperatorException("failed", Map.of("sshd-service", forbidden))));
        assertFalse(ordinary.isNoRetry());
        assertEquals(SessionPhase.Failed, ordinary.getResource().orElseThrow().getStatus().getPhase());
    }


    private TunnelSession readySession(String name) {
        client.resource(session(ns, name).toService("postgres", 5432).build()).create();
        FakeKubelet.sshdAvailable(client, ns, name, "10.96.50." + (name.length() + 10));
        return mock.awaitPhase(name, SessionPhase.Ready);
    }

    /** The API server's answer to a create in a terminating namespace, as a real one (v1.34) gives it. */
    private String namespaceTerminating(String name) {
        return Serialization.asJson(Map.of("kind", "Status", "apiVersion", "v1", "metadata", Map.of(), "status", "Failure",
                "message", "services \"" + name + "\" is forbidden: unable to create new content in namespace " + ns
                        + " because it is being terminated",
                "reason", "Forbidden", "code", 403, "details", Map.of("name", name, "kind", "services", "causes",
                        List.of(Map.of("reason", "NamespaceTerminating", "message", "namespace " + ns
                                + " is being terminated", "field", "metadata.namespace")))));
    }

    private static String describe(RecordedRequest request) {
        return request.getMethod() + " " + request.getPath().replaceFirst("\\?.*", "");
    }

    @SuppressWarnings("unchecked")
    private Context<TunnelSession> lastAttempt() {
        RetryInfo last = new RetryInfo() {
            @Override
            public int getAttemptCount() {
                return 5;
            }

            @Override
            public boolean isLastAttempt() {
                return true;
            }
        };
        return (Context<TunnelSession>) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { Context.class },
                (proxy, method, args) -> switch (method.getName()) {
                    case "getClient" -> client;
                    case "getRetryInfo" -> Optional.of(last);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
