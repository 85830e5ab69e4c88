package io.tunnelops.session;

import static io.tunnelops.testing.MockNamespace.drainRequests;
import static io.tunnelops.testing.MockNamespace.ready;
import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.policyAllowing;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.resources.CredentialsSecret;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.tunnelops.ssh.SshFingerprints;
import io.tunnelops.ssh.SshdLayout;
import io.tunnelops.testing.FakeKubelet;
import io.tunnelops.testing.ExpectedNetworkPolicy;
import io.tunnelops.testing.MockNamespace;

@QuarkusTest
@WithKubernetesTestServer(crud = true)
class TunnelSessionReconcilerTest {

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    KubernetesClient client;

    @Inject
    TunnelSessionReconciler reconciler;

    String ns;

    MockNamespace mock;

    ReconcilePasses passes;

    @BeforeEach
    void newNamespace() {
        passes = ReconcilePasses.record(reconciler::reconciliationCount);
        ns = "team-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        mock = new MockNamespace(client, ns);
    }

    @AfterEach
    void stopRecording() {
        passes.close();
    }

    @Test
    void sessionToAServiceBecomesReadyWithEndpointFingerprintAndCommand() {
        client.resource(targetService(ns, "postgres", 5432)).create();
        TunnelSession created = client.resource(session(ns, "pg-debug").toService("postgres", 5432).ttl("2h").build()).create();

        TunnelSession provisioning = mock.awaitPhase("pg-debug", SessionPhase.Provisioning);
        assertEquals("WaitingForEndpoint", ready(provisioning).getReason());
        assertEquals("False", ready(provisioning).getStatus());

        becomeAvailable("pg-debug", "10.96.12.7");
        TunnelSession ready = mock.awaitPhase("pg-debug", SessionPhase.Ready);

        var status = ready.getStatus();
        assertEquals("10.96.12.7", status.getEndpoint().getHost());
        assertEquals(2222, status.getEndpoint().getPort());
        assertEquals("10.96.12.7:2222", status.getEndpoint().getAddress());
        assertEquals("tunnel", status.getUsername());
        assertEquals("pg-debug-ssh", status.getCredentialsSecret());
        assertEquals("ssh -N -L 5432:postgres." + ns + ".svc.cluster.local:5432 -p 2222 tunnel@10.96.12.7",
                status.getSshCommand());
        assertEquals("service/postgres:5432", status.getTarget());
        assertEquals(Instant.parse(created.getMetadata().getCreationTimestamp()).plus(Duration.ofHours(2)).toString(),
                status.getExpiresAt());
        assertEquals(ready.getMetadata().getGeneration(), status.getObservedGeneration());
        Condition condition = ready(ready);
        assertEquals("True", condition.getStatus());
        assertEquals("SshdReady", condition.getReason());
        assertEquals(ready.getMetadata().getGeneration(), condition.getObservedGeneration());
        assertNotNull(condition.getLastTransitionTime());

        Map<String, String> items = mock.secretItems("pg-debug");
        assertEquals(SshFingerprints.sha256(items.get(SshdLayout.HOST_PUBLIC_KEY).strip()), status.getHostKeyFingerprint());
        assertTrue(status.getHostKeyFingerprint().startsWith("SHA256:"));
        assertEquals("[10.96.12.7]:2222 " + keyOnly(items.get(SshdLayout.HOST_PUBLIC_KEY)) + "\n",
                items.get(CredentialsSecret.KNOWN_HOSTS));
        List<String> permitOpen = items.get(SshdLayout.SSHD_CONFIG).lines()
                .filter(l -> l.startsWith("PermitOpen")).toList();
        assertEquals(List.of("PermitOpen postgres." + ns + ".svc.cluster.local:5432"), permitOpen);
        // no key material in status
        String statusJson = io.fabric8.kubernetes.client.utils.Serialization.asJson(status);
        assertFalse(statusJson.contains("PRIVATE KEY"));
        assertFalse(statusJson.contains(keyOnly(items.get(CredentialsSecret.CLIENT_PUBLIC_KEY)).split(" ")[1]));
        assertTrue(items.get(CredentialsSecret.SSH_CONFIG).contains("LocalForward 5432 postgres." + ns
                + ".svc.cluster.local:5432"));
    }

    @Test
    void generatedClientKeyIsAuthorizedAndNeverMountedIntoThePod() {
        client.resource(targetService(ns, "web", 80)).create();
        client.resource(session(ns, "web").toService("web", 80).build()).create();
        await().until(() -> mock.deployment("web") != null && mock.secret("web") != null);

        Map<String, String> items = mock.secretItems("web");
        assertTrue(items.get(CredentialsSecret.CLIENT_KEY).startsWith("-----BEGIN OPENSSH PRIVATE KEY-----"));
        assertEquals(items.get(CredentialsSecret.CLIENT_PUBLIC_KEY), items.get(SshdLayout.AUTHORIZED_KEYS));
        var volume = mock.deployment("web").getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getSecret() != null).findFirst().orElseThrow();
        assertEquals("web-ssh", volume.getSecret().getSecretName());
        assertEquals(List.of(SshdLayout.SSHD_CONFIG, SshdLayout.HOST_KEY, SshdLayout.AUTHORIZED_KEYS),
                volume.getSecret().getItems().stream().map(i -> i.getKey()).toList());
    }

    @Test
    void userKeysAreUsedVerbatimAndNoClientKeyIsGenerated() {
        client.resource(targetService(ns, "redis", 6379)).create();
        String laptop = Ed25519KeyGenerator.generate("alice@laptop").publicKey();
        String ci = Ed25519KeyGenerator.generate("ci").publicKey();
        client.resource(session(ns, "cache").toService("redis", 6379).authorizedKeys(laptop, ci).build()).create();
        await().until(() -> mock.secret("cache") != null);

        Map<String, String> items = mock.secretItems("cache");
        assertEquals(laptop + "\n" + ci + "\n", items.get(SshdLayout.AUTHORIZED_KEYS));
        assertFalse(items.containsKey(CredentialsSecret.CLIENT_KEY));
        assertFalse(items.containsKey(CredentialsSecret.CLIENT_PUBLIC_KEY));
    }

    @Test
    void sshdPodIsHardened() {
        client.resource(targetService(ns, "api", 8080)).create();
        client.resource(session(ns, "api").toService("api", 8080).build()).create();
        await().until(() -> mock.deployment("api") != null);

        Deployment deployment = mock.deployment("api");
        assertEquals(1, deployment.getSpec().getReplicas());
        var pod = deployment.getSpec().getTemplate().getSpec();
        assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken());
        assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
        assertEquals(10001L, pod.getSecurityContext().getRunAsUser());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        var container = pod.getContainers().get(0);
        assertEquals("tunnelops/sshd:test", container.getImage());
        var security = container.getSecurityContext();
        assertEquals(Boolean.TRUE, security.getRunAsNonRoot());
        assertEquals(Boolean.FALSE, security.getAllowPrivilegeEscalation());
        assertEquals(Boolean.FALSE, security.getPrivileged());
        assertEquals(Boolean.TRUE, security.getReadOnlyRootFilesystem());
        assertEquals(List.of("ALL"), security.getCapabilities().getDrop());
        assertTrue(security.getCapabilities().getAdd() == null || security.getCapabilities().getAdd().isEmpty());
        assertEquals("RuntimeDefault", security.getSeccompProfile().getType());
        assertNotNull(container.getResources().getRequests().get("memory"));
        assertNotNull(container.getResources().getLimits().get("memory"));
        assertNotNull(container.getResources().getLimits().get("cpu"));
        assertEquals(2222, container.getReadinessProbe().getTcpSocket().getPort().getIntVal());
        var stateVolume = pod.getVolumes().stream().filter(v -> v.getEmptyDir() != null).findFirst().orElseThrow();
        assertEquals(SshdLayout.STATE_DIR, container.getVolumeMounts().stream()
                .filter(m -> m.getName().equals(stateVolume.getName())).findFirst().orElseThrow().getMountPath());
    }

    @Test
    void networkPolicyAllowsOnlyTheTargetPodsAndDnsOutAndTheSshdPortIn() {
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(policyAllowing(ns, "exposed", "postgres", List.of(5432), Expose.LoadBalancer)).create();
        client.resource(session(ns, "np").toService("postgres", 5432).expose(Expose.LoadBalancer, "203.0.113.0/24").build())
                .create();
        await().until(() -> mock.networkPolicy("np") != null && mock.service("np") != null);

        ExpectedNetworkPolicy.of("np").ingressFrom("203.0.113.0/24").egressToPods(Map.of("app", "postgres"), 5432)
                .assertIs(mock.networkPolicy("np"));

        Service sshd = mock.service("np");
        assertEquals("LoadBalancer", sshd.getSpec().getType());
        assertEquals(List.of("203.0.113.0/24"), sshd.getSpec().getLoadBalancerSourceRanges());
    }

    /**
     * The sshd connects to the Service (PermitOpen names its DNS name and Service port), kube-proxy forwards to the pod
     * port, and the NetworkPolicy sees the pod port: a Service port mapped to another number, or to a container port's
     * name (which the network plugin resolves against the selected pods' container ports), must reach the egress rule
     * as the pod port, and PermitOpen must keep the Service port. Each exposure gives the same egress; ingress is from
     * the ranges given, or from anywhere without them.
     */
    @Test
    void networkPolicyEgressIsToThePodPortsBehindTheServicePortsAndPermitOpenToTheServicePorts() {
        var postgres = new io.fabric8.kubernetes.api.model.ServiceBuilder(targetService(ns, "postgres", 5432, 6432)).build();
        postgres.getSpec().getPorts().get(0).setTargetPort(new io.fabric8.kubernetes.api.model.IntOrString(15432));
        postgres.getSpec().getPorts().get(1).setTargetPort(new io.fabric8.kubernetes.api.model.IntOrString("pgbouncer"));
        client.resource(postgres).create();
        client.resource(policyAllowing(ns, "exposed", "postgres", List.of(5432, 6432), Expose.ClusterIP, Expose.NodePort,
                Expose.LoadBalancer)).create();
        client.resource(session(ns, "plain").toService("postgres", 5432, 6432).build()).create();
        client.resource(session(ns, "node").toService("postgres", 6432, 5432).expose(Expose.NodePort, "203.0.113.0/24",
                "198.51.100.0/25").build()).create();
        client.resource(session(ns, "lb").toService("postgres", 5432, 6432).expose(Expose.LoadBalancer, "192.0.2.0/24")
                .build()).create();
        await().until(() -> mock.networkPolicy("plain") != null && mock.networkPolicy("node") != null
                && mock.networkPolicy("lb") != null && mock.secret("plain") != null && mock.secret("node") != null);

        Map<String, String> pods = Map.of("app", "postgres");
        ExpectedNetworkPolicy.of("plain").egressToPods(pods, 15432, "pgbouncer").assertIs(mock.networkPolicy("plain"));
        ExpectedNetworkPolicy.of("node").ingressFrom("203.0.113.0/24", "198.51.100.0/25")
                .egressToPods(pods, "pgbouncer", 15432).assertIs(mock.networkPolicy("node"));
        ExpectedNetworkPolicy.of("lb").ingressFrom("192.0.2.0/24").egressToPods(pods, 15432, "pgbouncer")
                .assertIs(mock.networkPolicy("lb"));

        String host = "postgres." + ns + ".svc.cluster.local";
        assertEquals(List.of("PermitOpen " + host + ":5432 " + host + ":6432"), permitOpen("plain"));
        assertEquals(List.of("PermitOpen " + host + ":6432 " + host + ":5432"), permitOpen("node"));
    }

    private List<String> permitOpen(String session) {
        return mock.secretItems(session).get(SshdLayout.SSHD_CONFIG).lines().filter(l -> l.startsWith("PermitOpen")).toList();
    }

    @Test
    void loadBalancerEndpointComesFromItsIngress() {
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(policyAllowing(ns, "exposed", "postgres", List.of(5432), Expose.LoadBalancer)).create();
        client.resource(session(ns, "lb").toService("postgres", 5432).expose(Expose.LoadBalancer).build()).create();
        await().until(() -> mock.service("lb") != null);
        client.services().inNamespace(ns).withName("lb-sshd").editStatus(s -> {
            s.setStatus(new io.fabric8.kubernetes.api.model.ServiceStatusBuilder().withNewLoadBalancer()
                    .addNewIngress().withIp("198.51.100.7").endIngress().endLoadBalancer().build());
            return s;
        });
        markAvailable("lb");
        TunnelSession ready = mock.awaitPhase("lb", SessionPhase.Ready);
        assertEquals("198.51.100.7:2222", ready.getStatus().getEndpoint().getAddress());
    }

    @Test
    void nodePortAndLoadBalancerServicesKeepTheClientsAddressAndClusterIpHasNoTrafficPolicy() {
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(policyAllowing(ns, "exposed", "postgres", List.of(5432), Expose.ClusterIP, Expose.NodePort,
                Expose.LoadBalancer)).create();
        client.resource(session(ns, "np").toService("postgres", 5432).expose(Expose.NodePort, "203.0.113.0/24").build())
                .create();
        client.resource(session(ns, "open").toService("postgres", 5432).expose(Expose.NodePort).build()).create();
        client.resource(session(ns, "lb").toService("postgres", 5432).expose(Expose.LoadBalancer, "203.0.113.0/24")
                .build()).create();
        client.resource(session(ns, "plain").toService("postgres", 5432).build()).create();
        await().until(() -> mock.service("np") != null && mock.service("open") != null && mock.service("lb") != null
                && mock.service("plain") != null);

        // no SNAT to a node's address: the NetworkPolicy's ipBlocks see the client, with or without ranges
        assertEquals("Local", mock.service("np").getSpec().getExternalTrafficPolicy());
        assertEquals("Local", mock.service("open").getSpec().getExternalTrafficPolicy());
        assertEquals("Local", mock.service("lb").getSpec().getExternalTrafficPolicy());
        assertEquals(List.of("203.0.113.0/24"), mock.service("lb").getSpec().getLoadBalancerSourceRanges());
        // the API server refuses the field on a ClusterIP Service
        assertNull(mock.service("plain").getSpec().getExternalTrafficPolicy());
    }

    @Test
    void nodePortEndpointIsTheAddressOfTheNodeRunningTheSshdPodAndFollowsIt() {
        String nodeA = ns + "-a";
        String nodeB = ns + "-b";
        node(nodeA, "192.0.2.10", "198.51.100.20");
        node(nodeB, "192.0.2.11", null);
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(policyAllowing(ns, "exposed", "postgres", List.of(5432), Expose.NodePort)).create();
        client.resource(session(ns, "np-port").toService("postgres", 5432).expose(Expose.NodePort).build()).create();
        await().until(() -> mock.service("np-port") != null);
        assertEquals("NodePort", mock.service("np-port").getSpec().getType());
        client.services().inNamespace(ns).withName("np-port-sshd").edit(s -> {
            s.getSpec().getPorts().get(0).setNodePort(30222);
            return s;
        });
        markAvailable("np-port");

        // a node port but no sshd pod on a node yet: nothing to publish (any node's address would not answer)
        TunnelSession waiting = mock.awaitPhase("np-port", SessionPhase.Provisioning);
        await().until(() -> "WaitingForEndpoint".equals(ready(mock.current("np-port")).getReason()));
        assertNull(mock.current("np-port").getStatus().getEndpoint(), waiting.toString());
        assertNull(mock.secretItems("np-port").get(CredentialsSecret.KNOWN_HOSTS));

        // the pod runs on B (of two nodes): B's address, its internal one as B has no external one
        FakeKubelet.sshdPodOnNode(client, ns, "np-port", "np-port-sshd-1", nodeB, true);
        TunnelSession onB = mock.awaitPhase("np-port", SessionPhase.Ready);
        assertEquals("192.0.2.11:30222", onB.getStatus().getEndpoint().getAddress());
        assertTrue(onB.getStatus().getSshCommand().endsWith("-p 30222 tunnel@192.0.2.11"), onB.getStatus().getSshCommand());
        assertEquals("[192.0.2.11]:30222", mock.secretItems("np-port").get(CredentialsSecret.KNOWN_HOSTS).split(" ")[0]);

        // the pod moves: the old one goes, a new one starts on A; the endpoint follows it, A's external address first
        client.pods().inNamespace(ns).withName("np-port-sshd-1").withGracePeriod(0).delete();
        FakeKubelet.sshdPodOnNode(client, ns, "np-port", "np-port-sshd-2", nodeA, false);
        // The endpoint goes away with the old pod and comes back with the new one. A status patch computed from a
        // cache that has not seen the first write yet is refused (JSON patch: "replace" of a missing field) and
        // retried with JOSDK's back-off (2 s, 3 s, 4.5 s, ...): allow for a few retries on a loaded machine.
        await().atMost(Duration.ofSeconds(30)).until(() -> mock.current("np-port").getStatus().getEndpoint() != null
                && "198.51.100.20:30222".equals(mock.current("np-port").getStatus().getEndpoint().getAddress()));
        FakeKubelet.sshdPodOnNode(client, ns, "np-port", "np-port-sshd-2", nodeA, true);
        await().until(() -> "[198.51.100.20]:30222".equals(
                mock.secretItems("np-port").get(CredentialsSecret.KNOWN_HOSTS).split(" ")[0]));
        TunnelSession onA = mock.awaitPhase("np-port", SessionPhase.Ready);
        assertTrue(onA.getStatus().getSshCommand().endsWith("-p 30222 tunnel@198.51.100.20"), onA.getStatus().getSshCommand());

        // a ready pod wins over a newer one that is not ready yet (created in the same second, the newer one still
        // sorts first: by its name, so that this checks readiness and not the order of creation)
        FakeKubelet.sshdPodOnNode(client, ns, "np-port", "np-port-sshd-0", nodeB, false);
        passes.awaitWholePass(ns, "np-port", () -> touch("np-port-sshd-0"));
        assertEquals("198.51.100.20:30222", mock.current("np-port").getStatus().getEndpoint().getAddress());

        // no sshd pod at all: no endpoint, not Ready (the last address would not answer)
        client.pods().inNamespace(ns).withName("np-port-sshd-2").withGracePeriod(0).delete();
        client.pods().inNamespace(ns).withName("np-port-sshd-0").withGracePeriod(0).delete();
        await().until(() -> mock.current("np-port").getStatus().getEndpoint() == null);
        TunnelSession gone = mock.current("np-port");
        assertEquals(SessionPhase.Provisioning, gone.getStatus().getPhase());
        assertEquals("WaitingForEndpoint", ready(gone).getReason());
        assertNull(gone.getStatus().getSshCommand());
    }

    @Test
    void aSecondReconcileOfAnUnchangedNodePortSessionWritesNothing() throws Exception {
        node(ns + "-only", "192.0.2.12", null);
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(policyAllowing(ns, "exposed", "postgres", List.of(5432), Expose.NodePort)).create();
        client.resource(session(ns, "steady-np").toService("postgres", 5432).expose(Expose.NodePort, "203.0.113.0/24")
                .build()).create();
        await().until(() -> mock.service("steady-np") != null);
        client.services().inNamespace(ns).withName("steady-np-sshd").edit(s -> {
            s.getSpec().getPorts().get(0).setNodePort(30223);
            return s;
        });
        FakeKubelet.sshdPodOnNode(client, ns, "steady-np", "steady-np-sshd-1", ns + "-only", true);
        markAvailable("steady-np");
        await().until(() -> mock.current("steady-np").getStatus() != null
                && mock.current("steady-np").getStatus().getPhase() == SessionPhase.Ready
                && mock.secretItems("steady-np").get(CredentialsSecret.KNOWN_HOSTS) != null);
        await().pollDelay(Duration.ofMillis(500)).until(() -> true);
        drainRequests(server);

        // an event on an owned resource triggers a full pass over the unchanged session; the second shows it ended
        passes.awaitWholePass(ns, "steady-np", () -> client.apps().deployments().inNamespace(ns).withName("steady-np-sshd")
                .edit(d -> { d.getMetadata().getAnnotations().put("touched-by-test", UUID.randomUUID().toString()); return d; }));

        List<String> writes = drainRequests(server).stream()
                .filter(r -> !r.getMethod().equals("GET"))
                .map(r -> r.getMethod() + " " + r.getPath()).toList();
        assertEquals(2, writes.size(), "only the test's own two edits, but saw " + writes);
        assertTrue(writes.stream().allMatch(w -> w.contains("/deployments/steady-np-sshd")), writes.toString());
        assertEquals("192.0.2.12:30223", mock.current("steady-np").getStatus().getEndpoint().getAddress());
    }

    /** An event on the pod that the session's informers see, with nothing in it the reconciler reads. */
    private void touch(String pod) {
        client.pods().inNamespace(ns).withName(pod)
                .edit(p -> { p.getMetadata().setAnnotations(Map.of("touched-by-test", UUID.randomUUID().toString())); return p; });
    }

    private void node(String name, String internalIp, String externalIp) {
        var addresses = new io.fabric8.kubernetes.api.model.NodeStatusBuilder().addNewAddress().withType("InternalIP")
                .withAddress(internalIp).endAddress();
        if (externalIp != null) {
            addresses.addNewAddress().withType("ExternalIP").withAddress(externalIp).endAddress();
        }
        client.resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata().withName(name).endMetadata()
                .withStatus(addresses.build()).build()).create();
    }

    @Test
    void aSecondReconcileOfAnUnchangedSessionWritesNothing() throws Exception {
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(session(ns, "steady").toService("postgres", 5432).build()).create();
        mock.awaitPhase("steady", SessionPhase.Provisioning);
        becomeAvailable("steady", "10.96.0.20");
        mock.awaitPhase("steady", SessionPhase.Ready);
        Map<String, String> itemsBefore = mock.secretItems("steady");
        await().pollDelay(Duration.ofMillis(500)).until(() -> true);
        drainRequests(server);

        // An event on an owned resource triggers a full pass over the unchanged session; the second shows it ended.
        passes.awaitWholePass(ns, "steady", () -> client.apps().deployments().inNamespace(ns).withName("steady-sshd")
                .edit(d -> { d.getMetadata().getAnnotations().put("touched-by-test", UUID.randomUUID().toString()); return d; }));

        List<String> writes = drainRequests(server).stream()
                .filter(r -> !r.getMethod().equals("GET"))
                .map(r -> r.getMethod() + " " + r.getPath()).toList();
        assertEquals(2, writes.size(), "only the test's own two edits, but saw " + writes);
        assertTrue(writes.stream().allMatch(w -> w.contains("/deployments/steady-sshd")), writes.toString());
        assertEquals(itemsBefore, mock.secretItems("steady"), "keys must never be regenerated");
    }

    @Test
    void aMissingTargetServiceFailsWithoutProvisioningAndRecoversWhenItAppears() {
        client.resource(session(ns, "orphan").toService("nosuchdb", 5432).build()).create();
        TunnelSession failed = mock.awaitPhase("orphan", SessionPhase.Failed);
        assertEquals("TargetServiceNotFound", ready(failed).getReason());
        assertEquals("Service \"nosuchdb\" does not exist in namespace " + ns + "; create it or fix spec.target.service",
                ready(failed).getMessage());
        mock.assertNothingProvisioned("orphan");

        long settled = reconciler.reconciliationCount();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> reconciler.reconciliationCount() <= settled + 1);

        client.resource(targetService(ns, "nosuchdb", 5432)).create();
        mock.awaitPhase("orphan", SessionPhase.Provisioning);
        await().until(() -> mock.deployment("orphan") != null);
    }

    @Test
    void anotherSessionsSshdServiceIsNoTarget() {
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(session(ns, "first").toService("postgres", 5432).build()).create();
        await().until(() -> client.services().inNamespace(ns).withName("first-sshd").get() != null);

        // the target-services informer leaves the operator's own Services out: a tunnel to a tunnel is refused
        client.resource(session(ns, "second").toService("first-sshd", 2222).build()).create();
        TunnelSession failed = mock.awaitPhase("second", SessionPhase.Failed);
        assertEquals("TargetServiceNotFound", ready(failed).getReason());
        mock.assertNothingProvisioned("second");
    }

    @Test
    void badInputFailsWithAMessageThatSaysWhatToFixAndOtherSessionsAreUnaffected() {
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(session(ns, "wrong-port").toService("postgres", 5433).build()).create();
        // type says ed25519, the blob is not an ed25519 key: passes the CRD pattern, fails parsing
        client.resource(session(ns, "bad-key").toService("postgres", 5432)
                .authorizedKeys("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== me").build()).create();
        client.resource(session(ns, "loopback").toHost("127.0.0.1", 22).build()).create();
        client.resource(session(ns, "metadata").toHost("169.254.169.254", 80).build()).create();
        client.resource(session(ns, "bad-range").toService("postgres", 5432).expose(Expose.LoadBalancer, "1::2::3/64")
                .build()).create();
        client.resource(session(ns, "good").toService("postgres", 5432).build()).create();

        TunnelSession wrongPort = mock.awaitPhase("wrong-port", SessionPhase.Failed);
        assertEquals("TargetPortNotExposed", ready(wrongPort).getReason());
        assertEquals("Service \"postgres\" does not expose TCP port 5433; it exposes [5432]. Fix spec.target.ports",
                ready(wrongPort).getMessage());
        TunnelSession badKey = mock.awaitPhase("bad-key", SessionPhase.Failed);
        assertEquals("InvalidAuthorizedKey", ready(badKey).getReason());
        assertTrue(ready(badKey).getMessage().startsWith("spec.access.authorizedKeys[0]: "), ready(badKey).getMessage());
        assertEquals("TargetNotAllowed", ready(mock.awaitPhase("loopback", SessionPhase.Failed)).getReason());
        assertEquals("TargetNotAllowed", ready(mock.awaitPhase("metadata", SessionPhase.Failed)).getReason());
        TunnelSession badRange = mock.awaitPhase("bad-range", SessionPhase.Failed);
        assertEquals("spec.access.sourceRanges[0] \"1::2::3/64\" is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32",
                ready(badRange).getMessage());
        for (String name : List.of("wrong-port", "bad-key", "loopback", "metadata", "bad-range")) {
            mock.assertNothingProvisioned(name);
        }

        becomeAvailable("good", "10.96.0.30");
        mock.awaitPhase("good", SessionPhase.Ready);
    }

    @Test
    void everythingASessionOwnsPointsAtItAndGoesWhenItIsDeleted() {
        client.resource(targetService(ns, "postgres", 5432)).create();
        TunnelSession created = client.resource(session(ns, "gone").toService("postgres", 5432).build()).create();
        await().until(() -> mock.deployment("gone") != null && mock.secret("gone") != null && mock.service("gone") != null
                && mock.networkPolicy("gone") != null);

        List<HasMetadata> owned = List.of(mock.deployment("gone"), mock.secret("gone"), mock.service("gone"), mock.networkPolicy("gone"));
        for (HasMetadata resource : owned) {
            OwnerReference owner = resource.getMetadata().getOwnerReferences().get(0);
            assertEquals(created.getMetadata().getUid(), owner.getUid(), resource.getKind());
            assertEquals("TunnelSession", owner.getKind());
            assertEquals("tunnel-operator", resource.getMetadata().getLabels().get("app.kubernetes.io/managed-by"));
            assertEquals("gone", resource.getMetadata().getLabels().get("tunnelops.io/session"));
        }

        client.resource(created).delete();
        // the mock server has no garbage collector: the operator itself must delete them
        await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> mock.assertNothingProvisioned("gone"));
        await().until(() -> client.resources(TunnelSession.class).inNamespace(ns).withName("gone").get() == null);
    }

    // ---- helpers

    /** What the kubelet and the Service controller would do: the mock server runs no controllers. */
    private void becomeAvailable(String session, String clusterIp) {
        FakeKubelet.sshdAvailable(client, ns, session, clusterIp);
    }

    private void markAvailable(String session) {
        FakeKubelet.deploymentAvailable(client, ns, session);
    }

    private static String keyOnly(String publicKeyLine) {
        String[] parts = publicKeyLine.strip().split(" ");
        return parts[0] + " " + parts[1];
    }
}
