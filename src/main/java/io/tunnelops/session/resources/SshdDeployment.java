package io.tunnelops.session.resources;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import java.util.ArrayList;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
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
import io.tunnelops.operator.CacheWithoutManagedFields;
import io.tunnelops.session.SessionPlan;
import io.tunnelops.session.ShellSource;
import io.tunnelops.ssh.SshdLayout;

/**
 * One sshd replica under the `restricted` Pod Security Standard: non-root, no privilege escalation, no capabilities,
 * read-only root filesystem, RuntimeDefault seccomp, no service account token. It mounts only what sshd needs
 * from the credentials Secret (never the client private key). In Shell mode the sshd runs inside the app's image.
 */
@KubernetesDependent(informer = @Informer(labelSelector = SessionLabels.OWNED_SELECTOR, itemStore = CacheWithoutManagedFields.class))
public class SshdDeployment extends CRUDKubernetesDependentResource<Deployment, TunnelSession> {

    public static final String NAME = "sshd-deployment";
    public static final String CONTAINER = "sshd";
    static final String BUNDLE_CONTAINER = "bundle";
    /** The containers that run sshd or prepare it: Tunnel mode's, a shell's, a shell's init container. */
    public static final Set<String> CONTAINERS = Set.of(CONTAINER, ShellSource.SHELL_CONTAINER, BUNDLE_CONTAINER);
    static final String CONFIG_VOLUME = "config";
    static final String STATE_VOLUME = "state";
    static final String BUNDLE_VOLUME = "bundle";
    static final String TMP_VOLUME = "tmp";
    /** Where our sshd image keeps the Shell bundle (images/sshd/Dockerfile), and where the shell pod mounts its copy. */
    static final String BUNDLE_IN_IMAGE = "/opt/tunnel-bundle";
    /** Group-readable, so sshd (in fsGroup) reads a root-owned file; sshd accepts a host key it does not own. */
    static final int SECRET_MODE = 0440;

    public SshdDeployment() {
        super(Deployment.class);
    }

    @Override
    protected Deployment desired(TunnelSession session, Context<TunnelSession> context) {
        SessionPlan plan = Plans.of(context);
        var metadata = SessionLabels.metadata(session, SessionLabels.sshdName(session));
        if (plan.isShell()) {
            metadata.setAnnotations(plan.shell().annotations());
        }
        return new DeploymentBuilder()
                .withMetadata(metadata)
                .withNewSpec()
                .withReplicas(1)
                .withNewStrategy().withType("Recreate").endStrategy()
                .withNewSelector().withMatchLabels(SessionLabels.sshdPodSelector(session)).endSelector()
                .withNewTemplate()
                .withNewMetadata().withLabels(SessionLabels.of(session))
                .withAnnotations(Map.of(SessionLabels.CONFIG_HASH, configHash(context))).endMetadata()
                .withSpec(plan.isShell() ? shellPod(session, plan) : tunnelPod(session, plan))
                .endTemplate()
                .endSpec()
                .build();
    }

    /** Tunnel mode: our sshd image, as its own user. */
    private static PodSpec tunnelPod(TunnelSession session, SessionPlan plan) {
        long uid = SshdLayout.UID;
        var container = sshdContainer(CONTAINER, plan.sshdImage(), uid, uid)
                .withResources(new ResourceRequirementsBuilder()
                        .withRequests(Map.of("cpu", new Quantity("10m"), "memory", new Quantity("16Mi")))
                        .withLimits(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("64Mi"),
                                "ephemeral-storage", new Quantity("16Mi")))
                        .build())
                .withVolumeMounts(configMount(), stateMount())
                .withEnv(watcherEnv(plan))
                .build();
        return new PodSpecBuilder()
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withSecurityContext(podSecurity(uid, uid, uid, List.of()))
                .withContainers(container)
                .withVolumes(configVolume(session), stateVolume(false))
                .build();
    }

    /**
     * Shell mode: the app's image runs our bundled sshd (copied by an init container from our image into an
     * emptyDir) instead of the app's command, with the app's environment, config volumes (read-only), working
     * directory, resources and user; never a service account token.
     */
    private static PodSpec shellPod(TunnelSession session, SessionPlan plan) {
        ShellSource shell = plan.shell();
        var bundle = new ContainerBuilder()
                .withName(BUNDLE_CONTAINER)
                .withImage(plan.sshdImage())
                .withImagePullPolicy("IfNotPresent")
                // -R, not -a: -a would also set the times and mode of the emptyDir itself ("/."), which is root's, and
                // fails as a non-root user ("cp: preserving times for '/tunnel/bundle/.': Operation not permitted");
                // -R still copies the busybox links as links and keeps the programs executable. -f: a second run (the
                // kubelet re-runs init containers when it recreates the pod's sandbox) replaces the read-only scripts
                // the first one copied ("cp: cannot create regular file '/tunnel/bundle/./bundle-sshd': Permission denied")
                .withCommand("cp", "-Rf", BUNDLE_IN_IMAGE + "/.", SshdLayout.BUNDLE_DIR + "/")
                .withSecurityContext(containerSecurity(SshdLayout.UID, (long) SshdLayout.UID))
                .withResources(new ResourceRequirementsBuilder()
                        .withRequests(Map.of("cpu", new Quantity("10m"), "memory", new Quantity("16Mi")))
                        .withLimits(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("64Mi")))
                        .build())
                .withVolumeMounts(new VolumeMountBuilder().withName(BUNDLE_VOLUME).withMountPath(SshdLayout.BUNDLE_DIR).build())
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .build();

        List<EnvVar> env = new ArrayList<>(shell.env());
        env.addAll(watcherEnv(plan));
        env.addAll(List.of(env("TUNNEL_CONFIG_DIR", SshdLayout.CONFIG_DIR), env("TUNNEL_STATE_DIR", SshdLayout.STATE_DIR),
                env("TUNNEL_SSHD_PORT", String.valueOf(SshdLayout.PORT)), env("TUNNEL_SHELL", ""),
                env("TUNNEL_PROC_NET", "/proc/net"), env("TUNNEL_MONITOR_INTERVAL", "1"),
                env("TERMINATION_LOG", "/dev/termination-log")));
        List<VolumeMount> mounts = new ArrayList<>(shell.mounts());
        mounts.add(new VolumeMountBuilder().withName(BUNDLE_VOLUME).withMountPath(SshdLayout.BUNDLE_DIR).withReadOnly(true).build());
        mounts.add(configMount());
        mounts.add(stateMount());
        List<Volume> volumes = new ArrayList<>(shell.volumes());
        volumes.addAll(List.of(configVolume(session), stateVolume(true),
                new VolumeBuilder().withName(BUNDLE_VOLUME).withNewEmptyDir().withSizeLimit(new Quantity("64Mi"))
                        .endEmptyDir().build()));
        if (shell.mounts().stream().noneMatch(m -> "/tmp".equals(m.getMountPath()))) {
            // the root filesystem is read-only: scripts still find a /tmp
            mounts.add(new VolumeMountBuilder().withName(TMP_VOLUME).withMountPath("/tmp").build());
            volumes.add(new VolumeBuilder().withName(TMP_VOLUME).withNewEmptyDir().withSizeLimit(new Quantity("256Mi"))
                    .endEmptyDir().build());
        }
        var container = sshdContainer(ShellSource.SHELL_CONTAINER, shell.image(), shell.runAsUser(), shell.runAsGroup())
                .withCommand(SshdLayout.BUNDLE_DIR + "/busybox", "sh", SshdLayout.BUNDLE_DIR + "/bundle-sshd")
                .withWorkingDir(shell.workingDir())
                .withEnv(env)
                .withEnvFrom(shell.envFrom())
                .withResources(shell.resources())
                .withVolumeMounts(mounts)
                .build();
        return new PodSpecBuilder()
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withSecurityContext(podSecurity(shell.runAsUser(), shell.runAsGroup(), shell.fsGroup(),
                        shell.supplementalGroups()))
                .withImagePullSecrets(shell.imagePullSecrets().isEmpty() ? null : shell.imagePullSecrets())
                .withNodeSelector(shell.nodeSelector().isEmpty() ? null : shell.nodeSelector())
                .withInitContainers(bundle)
                .withContainers(container)
                .withVolumes(volumes)
                .build();
    }

    /** The container that runs sshd, in either mode: restricted, read-only root, probed on the sshd port. */
    private static ContainerBuilder sshdContainer(String name, String image, long uid, Long gid) {
        return new ContainerBuilder()
                .withName(name)
                .withImage(image)
                .withImagePullPolicy("IfNotPresent")
                .addNewPort().withName("ssh").withContainerPort(SshdLayout.PORT).withProtocol("TCP").endPort()
                .withSecurityContext(containerSecurity(uid, gid))
                .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString(SshdLayout.PORT)).endTcpSocket()
                // written out although they are the API server's defaults: a defaulted 1 shows in JOSDK's diff as a
                // "copy" from spec.replicas, not as an addition, and the Deployment would be updated on every pass
                .withInitialDelaySeconds(1).withPeriodSeconds(5).withTimeoutSeconds(1).withSuccessThreshold(1)
                .withFailureThreshold(3).endReadinessProbe()
                .withTerminationMessagePolicy("File");
    }

    private static SecurityContext containerSecurity(long uid, Long gid) {
        return new SecurityContextBuilder()
                .withRunAsNonRoot(true).withRunAsUser(uid).withRunAsGroup(gid)
                .withAllowPrivilegeEscalation(false).withPrivileged(false)
                .withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .build();
    }

    private static PodSecurityContext podSecurity(long uid, Long gid, long fsGroup, List<Long> supplementalGroups) {
        return new PodSecurityContextBuilder()
                .withRunAsNonRoot(true).withRunAsUser(uid).withRunAsGroup(gid).withFsGroup(fsGroup)
                .withSupplementalGroups(supplementalGroups.isEmpty() ? null : supplementalGroups)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .build();
    }

    /** The entrypoint ends the session from inside the pod and says why in its termination message. */
    private static List<EnvVar> watcherEnv(SessionPlan plan) {
        return List.of(env("TUNNEL_IDLE_TIMEOUT_SECONDS", String.valueOf(plan.idleTimeoutSeconds())),
                env("TUNNEL_END_ON_DISCONNECT", String.valueOf(plan.endOnDisconnect())));
    }

    private static EnvVar env(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }

    private static VolumeMount configMount() {
        return new VolumeMountBuilder().withName(CONFIG_VOLUME).withMountPath(SshdLayout.CONFIG_DIR).withReadOnly(true)
                .build();
    }

    private static VolumeMount stateMount() {
        return new VolumeMountBuilder().withName(STATE_VOLUME).withMountPath(SshdLayout.STATE_DIR).build();
    }

    private static Volume configVolume(TunnelSession session) {
        return new VolumeBuilder().withName(CONFIG_VOLUME).withNewSecret()
                .withSecretName(SessionLabels.secretName(session))
                .withDefaultMode(SECRET_MODE)
                .withItems(item(SshdLayout.SSHD_CONFIG), item(SshdLayout.HOST_KEY), item(SshdLayout.AUTHORIZED_KEYS))
                .endSecret().build();
    }

    /** In memory: the keys are copied here. A shell's home is here too, hence a little more room. */
    private static Volume stateVolume(boolean shell) {
        return new VolumeBuilder().withName(STATE_VOLUME).withNewEmptyDir().withMedium("Memory")
                .withSizeLimit(new Quantity(shell ? "16Mi" : "1Mi")).endEmptyDir().build();
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
