package io.tunnelops.session.resources;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.fabric8.kubernetes.api.model.Secret;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.SessionPlan;
import io.tunnelops.ssh.SshdLayout;

/**
 * One sshd replica under the `restricted` Pod Security Standard: non-root, no privilege escalation, no capabilities,
 * read-only root filesystem, RuntimeDefault seccomp, no service account token. It mounts only what sshd needs
 * from the credentials Secret (never the client private key).
 */
@KubernetesDependent(informer = @Informer(labelSelector = SessionLabels.OWNED_SELECTOR))
public class SshdDeployment extends CRUDKubernetesDependentResource<Deployment, TunnelSession> {

    public static final String NAME = "sshd-deployment";
    public static final String CONTAINER = "sshd";
    static final String CONFIG_VOLUME = "config";
    static final String STATE_VOLUME = "state";
    /** Group-readable, so sshd (in fsGroup) reads a root-owned file; sshd accepts a host key it does not own. */
    static final int SECRET_MODE = 0440;

    public SshdDeployment() {
        super(Deployment.class);
    }

    @Override
    protected Deployment desired(TunnelSession session, Context<TunnelSession> context) {
        SessionPlan plan = Plans.of(context);
        long uid = SshdLayout.UID;
        var container = new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(plan.sshdImage())
                .withImagePullPolicy("IfNotPresent")
                .addNewPort().withName("ssh").withContainerPort(SshdLayout.PORT).withProtocol("TCP").endPort()
                .withSecurityContext(new SecurityContextBuilder()
                        .withRunAsNonRoot(true).withRunAsUser(uid).withRunAsGroup(uid)
                        .withAllowPrivilegeEscalation(false).withPrivileged(false)
                        .withReadOnlyRootFilesystem(true)
                        .withNewCapabilities().withDrop("ALL").endCapabilities()
                        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                        .build())
                .withResources(new ResourceRequirementsBuilder()
                        .withRequests(Map.of("cpu", new Quantity("10m"), "memory", new Quantity("16Mi")))
                        .withLimits(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("64Mi"),
                                "ephemeral-storage", new Quantity("16Mi")))
                        .build())
                .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString(SshdLayout.PORT)).endTcpSocket()
                // written out although they are the API server's defaults: a defaulted 1 shows in JOSDK's diff as a
                // "copy" from spec.replicas, not as an addition, and the Deployment would be updated on every pass
                .withInitialDelaySeconds(1).withPeriodSeconds(5).withTimeoutSeconds(1).withSuccessThreshold(1)
                .withFailureThreshold(3).endReadinessProbe()
                .withVolumeMounts(
                        new VolumeMountBuilder().withName(CONFIG_VOLUME).withMountPath(SshdLayout.CONFIG_DIR)
                                .withReadOnly(true).build(),
                        new VolumeMountBuilder().withName(STATE_VOLUME).withMountPath(SshdLayout.STATE_DIR).build())
                // the entrypoint ends the session from inside the pod and says why in its termination message
                .withEnv(new EnvVarBuilder().withName("TUNNEL_IDLE_TIMEOUT_SECONDS")
                                .withValue(String.valueOf(plan.idleTimeoutSeconds())).build(),
                        new EnvVarBuilder().withName("TUNNEL_END_ON_DISCONNECT")
                                .withValue(String.valueOf(plan.endOnDisconnect())).build())
                .withTerminationMessagePolicy("File")
                .build();

        return new DeploymentBuilder()
                .withMetadata(SessionLabels.metadata(session, SessionLabels.sshdName(session)))
                .withNewSpec()
                .withReplicas(1)
                .withNewStrategy().withType("Recreate").endStrategy()
                .withNewSelector().withMatchLabels(SessionLabels.sshdPodSelector(session)).endSelector()
                .withNewTemplate()
                .withNewMetadata().withLabels(SessionLabels.of(session))
                .withAnnotations(Map.of(SessionLabels.CONFIG_HASH, configHash(context))).endMetadata()
                .withNewSpec()
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withSecurityContext(new PodSecurityContextBuilder()
                        .withRunAsNonRoot(true).withRunAsUser(uid).withRunAsGroup(uid).withFsGroup(uid)
                        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                        .build())
                .withContainers(container)
                .withVolumes(
                        new VolumeBuilder().withName(CONFIG_VOLUME).withNewSecret()
                                .withSecretName(SessionLabels.secretName(session))
                                .withDefaultMode(SECRET_MODE)
                                .withItems(item(SshdLayout.SSHD_CONFIG), item(SshdLayout.HOST_KEY),
                                        item(SshdLayout.AUTHORIZED_KEYS))
                                .endSecret().build(),
                        new VolumeBuilder().withName(STATE_VOLUME).withNewEmptyDir().withMedium("Memory")
                                .withSizeLimit(new Quantity("1Mi")).endEmptyDir().build())
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    private static KeyToPath item(String key) {
        return new KeyToPath(key, null, key);
    }

    /** What the sshd reads at start: when it changes the pod must restart; the other Secret items never matter. */
    private static String configHash(Context<TunnelSession> context) {
        Map<String, String> items = CredentialsSecret.decode(context.getSecondaryResource(Secret.class));
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String key : List.of(SshdLayout.SSHD_CONFIG, SshdLayout.HOST_KEY, SshdLayout.AUTHORIZED_KEYS)) {
                digest.update(key.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(items.getOrDefault(key, "").getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
