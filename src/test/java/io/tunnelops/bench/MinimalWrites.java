package io.tunnelops.bench;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.tunnelops.api.v1alpha1.Endpoint;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.api.v1alpha1.TunnelSessionStatus;
import io.tunnelops.cluster.RealCluster;
import io.tunnelops.session.ReadyCondition;
import io.tunnelops.session.resources.SessionLabels;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.tunnelops.ssh.KnownHosts;
import io.tunnelops.ssh.SshFingerprints;
import io.tunnelops.ssh.SshKeyPair;
import io.tunnelops.ssh.SshdConfigRenderer;
import io.tunnelops.ssh.SshdLayout;
import io.tunnelops.ssh.TunnelSshdConfig;

/**
 * The limit the operator is measured against: a plain Fabric8 client that provisions each session with exactly the
 * minimal writes (create the Secret, Service, Deployment and NetworkPolicy, then one status patch), no reads, as fast
 * as it can with the given concurrency. It acts as the operator's ServiceAccount, so the API server gives it the same
 * authorization and the same priority level (API Priority and Fairness) as the operator. The objects have the
 * operator's shape and size (a per-session host key, a rendered sshd_config, the restricted sshd pod), not its exact
 * bytes. The user's create of each TunnelSession is part of the timing, as in the operator's run.
 */
final class MinimalWrites {

    /** What one limit run took. */
    record Result(int sessions, Duration elapsed) {

        double perSecond() {
            return sessions / (elapsed.toNanos() / 1e9);
        }
    }

    private final KubernetesClient asOperator;
    private final KubernetesClient user;

    MinimalWrites(KubernetesClient asOperator, KubernetesClient user) {
        this.asOperator = asOperator;
        this.user = user;
    }

    Result run(SessionMix mix, int sessions, int concurrency) throws Exception {
        List<TunnelSession> all = IntStream.range(0, sessions).mapToObj(mix::session).toList(); // before the clock starts
        ExecutorService workers = Executors.newFixedThreadPool(concurrency);
        try {
            long begin = System.nanoTime();
            List<Future<?>> done = new ArrayList<>();
            for (TunnelSession session : all) {
                done.add(workers.submit(() -> provision(user.resource(session).create())));
            }
            for (Future<?> f : done) {
                f.get();
            }
            return new Result(sessions, Duration.ofNanos(System.nanoTime() - begin));
        } finally {
            workers.shutdownNow();
        }
    }

    private void provision(TunnelSession session) {
        String ns = session.getMetadata().getNamespace();
        String name = session.getMetadata().getName();
        String sshd = SessionLabels.sshdName(session);
        boolean ownKeys = !session.getSpec().getAccess().getAuthorizedKeys().isEmpty();

        SshKeyPair hostKey = Ed25519KeyGenerator.generate(name + "-host");
        SshKeyPair clientKey = ownKeys ? null : Ed25519KeyGenerator.generate(name + "-client");
        String permitOpen = session.getSpec().getTarget().getService() != null
                ? session.getSpec().getTarget().getService() + "." + ns + ".svc.cluster.local:"
                        + session.getSpec().getTarget().getPorts().get(0)
                : session.getSpec().getTarget().getHost() + ":" + session.getSpec().getTarget().getPorts().get(0);

        Service service = asOperator.resource(new ServiceBuilder().withMetadata(owned(session, sshd)).withNewSpec()
                .withType(session.getSpec().getAccess().getExpose().name())
                .withSelector(SessionLabels.sshdPodSelector(session))
                .addNewPort().withName("ssh").withProtocol("TCP").withPort(SshdLayout.PORT)
                .withTargetPort(new IntOrString(SshdLayout.PORT)).endPort().endSpec().build()).create();
        Endpoint endpoint = new Endpoint(service.getSpec().getClusterIP(), SshdLayout.PORT);

        Map<String, String> items = new LinkedHashMap<>();
        items.put(SshdLayout.SSHD_CONFIG, SshdConfigRenderer.render(new TunnelSshdConfig(name, List.of(permitOpen))));
        items.put(SshdLayout.HOST_KEY, hostKey.privateKey());
        items.put(SshdLayout.HOST_PUBLIC_KEY, hostKey.publicKey());
        items.put(SshdLayout.AUTHORIZED_KEYS, String.join("\n", ownKeys
                ? session.getSpec().getAccess().getAuthorizedKeys() : List.of(clientKey.publicKey())) + "\n");
        if (clientKey != null) {
            items.put("id_ed25519", clientKey.privateKey());
            items.put("id_ed25519.pub", clientKey.publicKey());
        }
        items.put("known_hosts", KnownHosts.line(endpoint.getHost(), endpoint.getPort(), hostKey.publicKey()));
        Secret secret = new SecretBuilder().withMetadata(owned(session, SessionLabels.secretName(session)))
                .withStringData(items).build();
        asOperator.resource(secret).create();

        asOperator.resource(new DeploymentBuilder().withMetadata(owned(session, sshd)).withNewSpec().withReplicas(1)
                .withNewStrategy().withType("Recreate").endStrategy()
                .withNewSelector().withMatchLabels(SessionLabels.sshdPodSelector(session)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(SessionLabels.of(session)).endMetadata()
                .withNewSpec().withAutomountServiceAccountToken(false).withEnableServiceLinks(false)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser((long) SshdLayout.UID)
                .withRunAsGroup((long) SshdLayout.UID).withFsGroup((long) SshdLayout.UID)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addNewContainer().withName("sshd").withImage(RealCluster.SSHD_IMAGE).withImagePullPolicy("IfNotPresent")
                .addNewPort().withName("ssh").withContainerPort(SshdLayout.PORT).withProtocol("TCP").endPort()
                .withNewSecurityContext().withRunAsNonRoot(true).withAllowPrivilegeEscalation(false)
                .withPrivileged(false).withReadOnlyRootFilesystem(true).withNewCapabilities().withDrop("ALL")
                .endCapabilities().withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .withNewResources().addToRequests("cpu", new Quantity("10m")).addToRequests("memory", new Quantity("16Mi"))
                .addToLimits("cpu", new Quantity("500m")).addToLimits("memory", new Quantity("64Mi"))
                .addToLimits("ephemeral-storage", new Quantity("16Mi")).endResources()
                .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString(SshdLayout.PORT)).endTcpSocket()
                .withPeriodSeconds(5).endReadinessProbe()
                .addNewVolumeMount().withName("config").withMountPath(SshdLayout.CONFIG_DIR).withReadOnly(true)
                .endVolumeMount()
                .addNewVolumeMount().withName("state").withMountPath(SshdLayout.STATE_DIR).endVolumeMount()
                .endContainer()
                .addNewVolume().withName("config").withNewSecret().withSecretName(SessionLabels.secretName(session))
                .withDefaultMode(0440).withItems(item(SshdLayout.SSHD_CONFIG), item(SshdLayout.HOST_KEY),
                        item(SshdLayout.AUTHORIZED_KEYS)).endSecret().endVolume()
                .addNewVolume().withName("state").withNewEmptyDir().withMedium("Memory")
                .withSizeLimit(new Quantity("1Mi")).endEmptyDir().endVolume()
                .endSpec().endTemplate().endSpec().build()).create();

        NetworkPolicyPort ssh = new NetworkPolicyPort(null, new IntOrString(SshdLayout.PORT), "TCP");
        NetworkPolicyPort target = new NetworkPolicyPort(null,
                new IntOrString(session.getSpec().getTarget().getPorts().get(0)), "TCP");
        String targetService = session.getSpec().getTarget().getService();
        NetworkPolicyPeer to = targetService != null
                ? new NetworkPolicyPeerBuilder().withNewPodSelector().addToMatchLabels("app", targetService).endPodSelector()
                        .build()
                : new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(session.getSpec().getTarget().getHost() + "/32")
                        .endIpBlock().build();
        asOperator.resource(new NetworkPolicyBuilder().withMetadata(owned(session, sshd)).withNewSpec()
                .withNewPodSelector().withMatchLabels(SessionLabels.sshdPodSelector(session)).endPodSelector()
                .withPolicyTypes("Ingress", "Egress")
                .addNewIngress().withPorts(ssh).endIngress()
                .addNewEgress().withPorts(target).withTo(to).endEgress()
                .endSpec().build()).create();

        Instant now = Instant.now();
        TunnelSessionStatus status = new TunnelSessionStatus();
        status.setObservedGeneration(session.getMetadata().getGeneration());
        status.setPhase(SessionPhase.Ready);
        status.setUsername(SshdLayout.USERNAME);
        status.setEndpoint(endpoint);
        status.setCredentialsSecret(SessionLabels.secretName(session));
        status.setHostKeyFingerprint(SshFingerprints.sha256(hostKey.publicKey()));
        status.setSshCommand("ssh -N -L 5432:" + permitOpen + " -p " + endpoint.getPort() + " " + SshdLayout.USERNAME
                + "@" + endpoint.getHost());
        status.setExpiresAt(now.plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS).toString());
        status.setConditions(ReadyCondition.set(List.of(), true, "SshdReady", "sshd accepts connections at "
                + endpoint.getHost() + ":" + endpoint.getPort() + "; credentials in Secret " + SessionLabels.secretName(session),
                session.getMetadata().getGeneration(), now));
        session.setStatus(status);
        asOperator.resource(session).patchStatus();
    }

    /** Named, labelled and owned as the operator's objects are. */
    private static ObjectMeta owned(TunnelSession session, String name) {
        return new ObjectMetaBuilder().withName(name).withNamespace(session.getMetadata().getNamespace())
                .withLabels(SessionLabels.of(session))
                .addNewOwnerReference().withApiVersion(session.getApiVersion()).withKind(session.getKind())
                .withName(session.getMetadata().getName()).withUid(session.getMetadata().getUid()).withController(true)
                .endOwnerReference().build();
    }

    private static KeyToPath item(String key) {
        return new KeyToPath(key, null, key);
    }
}
