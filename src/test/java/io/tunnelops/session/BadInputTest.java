package io.tunnelops.session;

import static io.tunnelops.testing.SessionFixtures.session;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.testing.BadInputCases;
import io.tunnelops.testing.BadInputCases.Case;
import io.tunnelops.testing.FakeKubelet;

/**
 * Input that must never get through, written straight to the API (as if the CRD schema were bypassed or older):
 * each case ends with its exact reason, a message saying what is wrong with it, and nothing provisioned, and the
 * operator keeps serving a good session. The table is {@link BadInputCases}; RealAdmissionIT sends it through a real
 * API server.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class BadInputTest {

    @Inject
    KubernetesClient client;

    @Test
    void everyBadInputEndsWithItsReasonAndNothingIsProvisionedWhileAGoodSessionStillWorks() {
        String ns = "bad-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        BadInputCases.targetServices(ns).forEach(service -> client.resource(service).create());

        List<Case> cases = BadInputCases.cases();
        for (Case c : cases) {
            client.resource(c.session(ns)).create();
        }
        client.resource(session(ns, "good").toService("postgres", 5432).build()).create();

        List<String> wrong = new ArrayList<>();
        Map<String, String> messages = new LinkedHashMap<>();
        for (Case c : cases) {
            await().atMost(15, TimeUnit.SECONDS).until(() -> phase(ns, c.name()) != null
                    && phase(ns, c.name()) != SessionPhase.Provisioning);
            TunnelSession s = client.resources(TunnelSession.class).inNamespace(ns).withName(c.name()).get();
            String reason = s.getStatus().getConditions().get(0).getReason();
            String message = s.getStatus().getConditions().get(0).getMessage();
            messages.put(c.name(), message);
            if (s.getStatus().getPhase() != c.phase() || !reason.equals(c.reason()) || !c.matches(message)) {
                wrong.add(c.name() + ": expected " + c.phase() + "/" + c.reason() + " saying \"" + c.phrase() + "\" but got "
                        + s.getStatus().getPhase() + "/" + reason + " (" + message + ")");
            }
        }
        assertEquals(List.of(), wrong);
        // each phrase is its case's own: another case's message, unless word for word the same, does not say it
        List<String> shared = new ArrayList<>();
        for (Case c : cases) {
            messages.forEach((other, message) -> {
                if (!other.equals(c.name()) && !message.equals(messages.get(c.name())) && c.matches(message)) {
                    shared.add(c.name() + "'s phrase \"" + c.phrase() + "\" is also in " + other + "'s message: " + message);
                }
            });
        }
        assertEquals(List.of(), shared);
        assertTrue(cases.size() >= 40, "the table has " + cases.size() + " cases");
        for (Case c : cases) {
            assertNull(client.apps().deployments().inNamespace(ns).withName(c.name() + "-sshd").get(), c.name());
            assertNull(client.services().inNamespace(ns).withName(c.name() + "-sshd").get(), c.name());
            assertNull(client.secrets().inNamespace(ns).withName(c.name() + "-ssh").get(), c.name());
            assertNull(client.network().v1().networkPolicies().inNamespace(ns).withName(c.name() + "-sshd").get(), c.name());
        }

        // the operator keeps serving
        FakeKubelet.sshdAvailable(client, ns, "good", "10.96.9.9");
        await().atMost(10, TimeUnit.SECONDS).until(() -> phase(ns, "good") == SessionPhase.Ready);
    }

    private SessionPhase phase(String ns, String name) {
        TunnelSession s = client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
        return s == null || s.getStatus() == null ? null : s.getStatus().getPhase();
    }
}
