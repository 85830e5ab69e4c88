package io.tunnelops.session;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.type.TypeReference;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.tunnelops.ssh.SshdLayout;

/**
 * What a Shell session's pod takes from its app: the image, environment, config volumes, working directory,
 * resources and user of one container of a Deployment (or the toolbox image, with nothing of an app). Computed once,
 * from the app's Deployment when the shell is first provisioned, and afterwards read back from the shell's own
 * Deployment, so later changes to the app never restart the shell.
 *
 * @param source "deployment/NAME" or "toolbox", for kubectl get
 * @param container the app container copied; null for the toolbox
 * @param volumes the copied volumes, renamed {@code app-N} so they never clash with the shell's own
 * @param mounts the copied mounts, on the renamed volumes, at the app's paths
 * @param runAsGroup null when the app leaves the group to its image
 * @param appLabels the app Deployment's labels, for policy decisions after the app is no longer read
 * @param omitted what of the app was left out, and why (shown in status)
 */
public record ShellSource(String source, String container, String image, List<EnvVar> env, List<EnvFromSource> envFrom,
        List<Volume> volumes, List<VolumeMount> mounts, String workingDir, ResourceRequirements resources,
        long runAsUser, Long runAsGroup, long fsGroup, List<Long> supplementalGroups,
        List<LocalObjectReference> imagePullSecrets, Map<String, String> nodeSelector, Map<String, String> appLabels,
        List<String> omitted) {

    static final String APP_NOT_FOUND = "AppNotFound";
    static final String APP_CONTAINER_NOT_FOUND = "AppContainerNotFound";
    public static final String TOOLBOX = "toolbox";
    private static final String FROM_DEPLOYMENT = "deployment/";
    /** The uid a shell runs as when the app runs as root or leaves the user to its image (restricted needs non-root). */
    public static final long DEFAULT_UID = SshdLayout.UID;
    /** Prefix of the copied volumes' names; the shell's own volumes never start with it. */
    public static final String APP_VOLUME_PREFIX = "app-";
    /** The name of the shell's container in its pod. */
    public static final String SHELL_CONTAINER = "shell";
    /** Variables the bundled sshd's start script and watcher read: the app may not set them. */
    private static final Pattern RESERVED_ENV = Pattern.compile("^(TUNNEL_.*|SSHD|TERMINATION_LOG)$");
    /** Where the shell pod mounts its own volumes; an app mount there or below would hide them. */
    public static final List<String> SHELL_MOUNTS = List.of(SshdLayout.CONFIG_DIR, SshdLayout.STATE_DIR, SshdLayout.BUNDLE_DIR);

    public static final String SOURCE_ANNOTATION = "tunnelops.io/shell-source";
    public static final String CONTAINER_ANNOTATION = "tunnelops.io/shell-container";
    public static final String APP_LABELS_ANNOTATION = "tunnelops.io/shell-app-labels";
    public static final String OMITTED_ANNOTATION = "tunnelops.io/shell-omitted";

    public ShellSource {
        env = List.copyOf(env);
        envFrom = List.copyOf(envFrom);
        volumes = List.copyOf(volumes);
        mounts = List.copyOf(mounts);
        supplementalGroups = List.copyOf(supplementalGroups);
        imagePullSecrets = List.copyOf(imagePullSecrets);
        nodeSelector = Map.copyOf(nodeSelector);
        appLabels = Map.copyOf(appLabels);
        omitted = List.copyOf(omitted);
    }

    /** The operator's toolbox image: a shell with tools and nothing of any app. */
    public static ShellSource toolbox(String image) {
        return new ShellSource(TOOLBOX, null, image, List.of(), List.of(), List.of(), List.of(), null, null, DEFAULT_UID,
                DEFAULT_UID, DEFAULT_UID, List.of(), List.of(), Map.of(), Map.of(), List.of());
    }

    /** An app that is not read because no policy allows a shell: enough for the policy's refusal, nothing more. */
    static ShellSource unread(String app) {
        return new ShellSource(sourceOf(app), null, null, List.of(), List.of(), List.of(), List.of(), null, null,
                DEFAULT_UID, DEFAULT_UID, DEFAULT_UID, List.of(), List.of(), Map.of(), Map.of(), List.of());
    }

    /** The source of a shell of this app: "deployment/NAME", or the toolbox for null. */
    public static String sourceOf(String app) {
        return app == null ? TOOLBOX : FROM_DEPLOYMENT + app;
    }

    /** The app's Deployment name; null for the toolbox. */
    public String app() {
        return source.startsWith(FROM_DEPLOYMENT) ? source.substring(FROM_DEPLOYMENT.length()) : null;
    }

    /** False for {@link #unread}: such a source never reaches a pod. */
    public boolean wasRead() {
        return image != null;
    }

    /**
     * Copies one container of the app. Never a service account token, a host path, a claim or any other volume that
     * is not plain configuration; never the app's command.
     *
     * @param containerName null for the first container
     */
    public static ShellSource fromApp(Deployment app, String containerName) throws InvalidSessionException {
        String appName = app.getMetadata().getName();
        PodSpec pod = app.getSpec() == null || app.getSpec().getTemplate() == null ? null
                : app.getSpec().getTemplate().getSpec();
        List<Container> containers = pod == null || pod.getContainers() == null ? List.of() : pod.getContainers();
        Container chosen = containers.stream()
                .filter(c -> containerName == null || containerName.equals(c.getName())).findFirst()
                .orElseThrow(() -> new InvalidSessionException(APP_CONTAINER_NOT_FOUND, "Deployment \"" + appName
                        + "\" has no container \"" + containerName + "\"; it has " + containers.stream()
                                .map(Container::getName).toList() + ". Fix spec.shell.container"));
        if (chosen.getImage() == null || chosen.getImage().isBlank()) {
            throw new InvalidSessionException(APP_CONTAINER_NOT_FOUND, "container \"" + chosen.getName()
                    + "\" of Deployment \"" + appName + "\" has no image");
        }
        List<String> omitted = new ArrayList<>();
        List<EnvVar> env = copyEnv(chosen, omitted);
        List<EnvFromSource> envFrom = chosen.getEnvFrom() == null ? List.of()
                : chosen.getEnvFrom().stream().map(e -> new EnvFromSourceBuilder(e).build()).toList();

        Map<String, Volume> appVolumes = new LinkedHashMap<>();
        for (Volume v : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
            appVolumes.put(v.getName(), v);
        }
        Map<String, String> renamed = new LinkedHashMap<>();
        List<Volume> volumes = new ArrayList<>();
        List<VolumeMount> mounts = new ArrayList<>();
        for (VolumeMount mount : chosen.getVolumeMounts() == null ? List.<VolumeMount>of() : chosen.getVolumeMounts()) {
            String where = "volume " + mount.getName() + " at " + mount.getMountPath();
            if (clashesWithShell(mount.getMountPath())) {
                omitted.add(where + ": the shell's own files are mounted there");
                continue;
            }
            Volume volume = appVolumes.get(mount.getName());
            if (volume == null) {
                omitted.add(where + ": the Deployment has no such volume");
                continue;
            }
            if (!renamed.containsKey(volume.getName())) {
                Optional<Volume> copy = copyVolume(volume, APP_VOLUME_PREFIX + renamed.size(), where, omitted);
                if (copy.isEmpty()) {
                    continue;
                }
                renamed.put(volume.getName(), copy.get().getName());
                volumes.add(copy.get());
            }
            // configuration is read-only in the shell; only a fresh emptyDir keeps the app's write access
            boolean writable = volume.getEmptyDir() != null && !Boolean.TRUE.equals(mount.getReadOnly());
            mounts.add(new VolumeMountBuilder().withName(renamed.get(volume.getName())).withMountPath(mount.getMountPath())
                    .withSubPath(mount.getSubPath()).withSubPathExpr(mount.getSubPathExpr())
                    .withReadOnly(!writable).build());
        }
        if (chosen.getVolumeDevices() != null && !chosen.getVolumeDevices().isEmpty()) {
            omitted.add("volumeDevices: raw block devices are never copied");
        }

        SecurityContext containerSecurity = chosen.getSecurityContext();
        PodSecurityContext podSecurity = pod.getSecurityContext();
        Long appUser = containerSecurity != null && containerSecurity.getRunAsUser() != null
                ? containerSecurity.getRunAsUser() : podSecurity == null ? null : podSecurity.getRunAsUser();
        Long appGroup = containerSecurity != null && containerSecurity.getRunAsGroup() != null
                ? containerSecurity.getRunAsGroup() : podSecurity == null ? null : podSecurity.getRunAsGroup();
        long uid;
        Long gid;
        if (appUser == null || appUser == 0) {
            // the restricted profile forbids root, and an unset user may be root in the image
            uid = DEFAULT_UID;
            gid = appGroup == null || appGroup == 0 ? DEFAULT_UID : appGroup;
            omitted.add(appUser == null ? "user: the app sets no runAsUser, so the shell runs as uid " + DEFAULT_UID
                    : "user: the app runs as root, the shell as uid " + DEFAULT_UID);
        } else {
            uid = appUser;
            gid = appGroup;
        }
        long fsGroup = podSecurity != null && podSecurity.getFsGroup() != null ? podSecurity.getFsGroup()
                : gid != null ? gid : uid;
        List<Long> supplementalGroups = podSecurity == null || podSecurity.getSupplementalGroups() == null ? List.of()
                : podSecurity.getSupplementalGroups();
        if (pod.getServiceAccountName() != null && !"default".equals(pod.getServiceAccountName())
                || !Boolean.FALSE.equals(pod.getAutomountServiceAccountToken())) {
            omitted.add("service account token: a shell never gets one");
        }
        return new ShellSource(sourceOf(appName), chosen.getName(), chosen.getImage(), env, envFrom, volumes,
                mounts, chosen.getWorkingDir(), copyResources(chosen.getResources()), uid, gid, fsGroup,
                supplementalGroups, pod.getImagePullSecrets() == null ? List.of() : pod.getImagePullSecrets(),
                pod.getNodeSelector() == null ? Map.of() : pod.getNodeSelector(),
                app.getMetadata().getLabels() == null ? Map.of() : app.getMetadata().getLabels(), omitted);
    }

    private static List<EnvVar> copyEnv(Container chosen, List<String> omitted) {
        List<EnvVar> env = new ArrayList<>();
        for (EnvVar variable : chosen.getEnv() == null ? List.<EnvVar>of() : chosen.getEnv()) {
            if (RESERVED_ENV.matcher(variable.getName()).matches()) {
                omitted.add("env " + variable.getName() + ": the name is reserved for the shell's sshd");
                continue;
            }
            EnvVar copy = new EnvVarBuilder(variable).build();
            var resourceRef = copy.getValueFrom() == null ? null : copy.getValueFrom().getResourceFieldRef();
            if (resourceRef != null && resourceRef.getContainerName() != null && !resourceRef.getContainerName().isEmpty()) {
                if (!resourceRef.getContainerName().equals(chosen.getName())) {
                    omitted.add("env " + variable.getName() + ": it reads the resources of container "
                            + resourceRef.getContainerName() + ", which the shell does not run");
                    continue;
                }
                resourceRef.setContainerName(SHELL_CONTAINER);
            }
            env.add(copy);
        }
        return env;
    }

    /** Plain configuration is copied; anything that shares state with the app or the node never is. */
    private static Optional<Volume> copyVolume(Volume volume, String name, String where, List<String> omitted) {
        VolumeBuilder copy = new VolumeBuilder().withName(name);
        if (volume.getConfigMap() != null) {
            return Optional.of(copy.withConfigMap(volume.getConfigMap()).build());
        }
        if (volume.getSecret() != null) {
            return Optional.of(copy.withSecret(volume.getSecret()).build());
        }
        if (volume.getDownwardAPI() != null) {
            return Optional.of(copy.withDownwardAPI(volume.getDownwardAPI()).build());
        }
        if (volume.getEmptyDir() != null) {
            return Optional.of(copy.withEmptyDir(volume.getEmptyDir()).build());
        }
        if (volume.getProjected() != null) {
            List<VolumeProjection> sources = volume.getProjected().getSources() == null ? List.of()
                    : volume.getProjected().getSources();
            List<VolumeProjection> kept = sources.stream().filter(s -> s.getServiceAccountToken() == null).toList();
            if (kept.size() < sources.size()) {
                omitted.add(where + ": its serviceAccountToken source (a shell never gets a token)");
            }
            if (kept.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(copy.withNewProjected().withDefaultMode(volume.getProjected().getDefaultMode())
                    .withSources(kept).endProjected().build());
        }
        String kind = volume.getHostPath() != null ? "hostPath"
                : volume.getPersistentVolumeClaim() != null ? "persistentVolumeClaim"
                : volume.getEphemeral() != null ? "ephemeral" : volume.getCsi() != null ? "csi" : "other";
        String why = switch (kind) {
            case "hostPath" -> "a shell never gets a path of the node";
            case "persistentVolumeClaim", "ephemeral", "csi" -> "storage the app writes is never shared with a shell";
            default -> "only configMap, secret, projected, downwardAPI and emptyDir volumes are copied";
        };
        omitted.add(where + " (" + kind + "): " + why);
        return Optional.empty();
    }

    private static ResourceRequirements copyResources(ResourceRequirements resources) {
        return resources == null ? null : new ResourceRequirementsBuilder(resources).build();
    }

    private static boolean clashesWithShell(String path) {
        String normalized = path == null ? "" : path.replaceAll("/+$", "");
        return SHELL_MOUNTS.stream().anyMatch(own -> normalized.equals(own) || normalized.startsWith(own + "/"))
                || SshdLayout.BUNDLE_DIR.startsWith(normalized + "/");
    }

    /**
     * What an existing shell pod took from its app, read back from the shell's Deployment (written by
     * {@code SshdDeployment}): the app itself is read only once.
     *
     * @return empty if the Deployment is not a shell's (a Tunnel session's, or from an older operator)
     */
    public static Optional<ShellSource> fromShellDeployment(Deployment shell) {
        Map<String, String> annotations = shell.getMetadata().getAnnotations() == null ? Map.of()
                : shell.getMetadata().getAnnotations();
        PodSpec pod = shell.getSpec() == null || shell.getSpec().getTemplate() == null ? null
                : shell.getSpec().getTemplate().getSpec();
        String source = annotations.get(SOURCE_ANNOTATION);
        Optional<Container> container = pod == null || pod.getContainers() == null ? Optional.empty()
                : pod.getContainers().stream().filter(c -> SHELL_CONTAINER.equals(c.getName())).findFirst();
        if (source == null || container.isEmpty()) {
            return Optional.empty();
        }
        Container c = container.get();
        PodSecurityContext security = pod.getSecurityContext() == null ? new PodSecurityContext() : pod.getSecurityContext();
        List<EnvVar> env = c.getEnv() == null ? List.of()
                : c.getEnv().stream().filter(e -> !RESERVED_ENV.matcher(e.getName()).matches()).toList();
        List<Volume> volumes = pod.getVolumes() == null ? List.of()
                : pod.getVolumes().stream().filter(v -> v.getName().startsWith(APP_VOLUME_PREFIX)).toList();
        List<VolumeMount> mounts = c.getVolumeMounts() == null ? List.of()
                : c.getVolumeMounts().stream().filter(m -> m.getName().startsWith(APP_VOLUME_PREFIX)).toList();
        long uid = security.getRunAsUser() == null ? DEFAULT_UID : security.getRunAsUser();
        return Optional.of(new ShellSource(source, annotations.get(CONTAINER_ANNOTATION), c.getImage(), env,
                c.getEnvFrom() == null ? List.of() : c.getEnvFrom(), volumes, mounts, c.getWorkingDir(), c.getResources(),
                uid, security.getRunAsGroup(), security.getFsGroup() == null ? uid : security.getFsGroup(),
                security.getSupplementalGroups() == null ? List.of() : security.getSupplementalGroups(),
                pod.getImagePullSecrets() == null ? List.of() : pod.getImagePullSecrets(),
                pod.getNodeSelector() == null ? Map.of() : pod.getNodeSelector(),
                readJson(annotations.get(APP_LABELS_ANNOTATION), new TypeReference<Map<String, String>>() {
                }, Map.of()),
                readJson(annotations.get(OMITTED_ANNOTATION), new TypeReference<List<String>>() {
                }, List.of())));
    }

    /** The annotations that carry what cannot be read back from the pod template. */
    public Map<String, String> annotations() {
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(SOURCE_ANNOTATION, source);
        if (container != null) {
            annotations.put(CONTAINER_ANNOTATION, container);
        }
        annotations.put(APP_LABELS_ANNOTATION, Serialization.asJson(new java.util.TreeMap<>(appLabels)));
        annotations.put(OMITTED_ANNOTATION, Serialization.asJson(omitted));
        return annotations;
    }

    private static <T> T readJson(String json, TypeReference<T> type, T fallback) {
        if (json == null) {
            return fallback;
        }
        try {
            return Serialization.jsonMapper().readValue(json, type);
        } catch (java.io.IOException e) {
            return fallback;
        }
    }
}
