package io.tunnelops.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.testing.SessionFixtures;

/**
 * A pass that ran from a cache still holding a deleted session fails on the session's 404 (its status patch): what it
 * created goes at once and nothing retries it. A 404 while the session still exists is an ordinary failure.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class DeletedSessionTest {

    @Inject
    KubernetesClient client;

    @Inject
    TunnelSessionReconciler reconciler;

    @Test
    void aSessionThatAnswers404IsGoneWhatThePassCreatedIsRemovedAndNothingRetries() {
        String ns = namespace();
        // the cache's copy of a session the API server no longer has, and what a pass created for it
        TunnelSession stale = SessionFixtures.session(ns, "gone").toService("postgres", 5432).build();
        stale.getMetadata().setUid(UUID.randomUUID().toString());
        Owned owned = createOwned(ns, "gone");

        ErrorStatusUpdateControl<TunnelSession> control = reconciler.updateErrorStatus(stale, context(owned),
                new KubernetesClientException("tunnelsessions \"gone\" not found", 404, null));

        assertTrue(control.isNoRetry(), "a deleted session is never retried");
        assertTrue(control.getResource().isEmpty(), "no status is written for a deleted session");
        assertNull(client.apps().deployments().inNamespace(ns).withName("gone-sshd").get());
        assertNull(client.services().inNamespace(ns).withName("gone-sshd").get());
        assertNull(client.secrets().inNamespace(ns).withName("gone-ssh").get());
        assertNull(client.network().v1().networkPolicies().inNamespace(ns).withName("gone-sshd").get());
    }

    @Test
    void a404AmongAWorkflowsAggregatedFailuresIsSeenToo() {
        String ns = namespace();
        TunnelSession stale = SessionFixtures.session(ns, "gone-aggregated").toService("postgres", 5432).build();
        stale.getMetadata().setUid(UUID.randomUUID().toString());
        Owned owned = createOwned(ns, "gone-aggregated");
        // as JOSDK hands it over: the dependents run in parallel and their failures are aggregated
        Exception failure = new OperatorException(new AggregatedOperatorException("Exception(s) during workflow execution.",
                Map.of("sshd-secret", new KubernetesClientException("secrets \"gone-aggregated-ssh\" not found", 404,
                        null))));

        ErrorStatusUpdateControl<TunnelSession> control = reconciler.updateErrorStatus(stale, context(owned), failure);

        assertTrue(control.isNoRetry(), "a deleted session is never retried");
        assertNull(client.apps().deployments().inNamespace(ns).withName("gone-aggregated-sshd").get());
    }

    @Test
    void a404WhileTheSessionStillExistsIsAnOrdinaryFailure() {
        String ns = namespace();
        TunnelSession live = client.resource(SessionFixtures.session(ns, "live").toService("postgres", 5432).build())
                .create();
        Owned owned = createOwned(ns, "live-copy");

        ErrorStatusUpdateControl<TunnelSession> control = reconciler.updateErrorStatus(live, context(owned),
                new KubernetesClientException("secrets \"x\" not found", 404, null));

        assertFalse(control.isNoRetry(), "retried as any failure");
        assertNotNull(client.apps().deployments().inNamespace(ns).withName("live-copy-sshd").get(), "nothing removed");
    }

    private String namespace() {
        String ns = "gone-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        return ns;
    }

    private record Owned(Deployment deployment, Service service, Secret secret, NetworkPolicy networkPolicy) {
    }

    private Owned createOwned(String ns, String session) {
        return new Owned(
                client.resource(new DeploymentBuilder().withNewMetadata().withNamespace(ns).withName(session + "-sshd")
                        .endMetadata().build()).create(),
                client.resource(new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(session + "-sshd")
                        .endMetadata().build()).create(),
                client.resource(new SecretBuilder().withNewMetadata().withNamespace(ns).withName(session + "-ssh")
                        .endMetadata().build()).create(),
                client.resource(new NetworkPolicyBuilder().withNewMetadata().withNamespace(ns).withName(session + "-sshd")
                        .endMetadata().build()).create());
    }

    /** The reconciler's view of the pass: its client, and the owned objects its caches hold. */
    @SuppressWarnings("unchecked")
    private Context<TunnelSession> context(Owned owned) {
        return (Context<TunnelSession>) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { Context.class },
                (proxy, method, args) -> switch (method.getName()) {
                    case "getClient" -> client;
                    case "getRetryInfo" -> Optional.empty();
                    case "getSecondaryResources" -> Set.of(pick(owned, (Class<?>) args[0]));
                    case "getSecondaryResource" -> Optional.of(pick(owned, (Class<?>) args[0]));
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static HasMetadata pick(Owned owned, Class<?> type) {
        for (HasMetadata r : new HasMetadata[] { owned.deployment(), owned.service(), owned.secret(), owned.networkPolicy() }) {
            if (type.isInstance(r)) {
                return r;
            }
        }
        throw new IllegalArgumentException(type.getName());
    }
}
