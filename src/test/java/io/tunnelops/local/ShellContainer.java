package io.tunnelops.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.tunnelops.ssh.SshdLayout;

/**
 * The "shell" container of a Shell session's pod, run on this machine with no image: the host's filesystem stands in
 * for the app's image. What the pod would run, run the same way: the bundle's own start script
 * ({@code images/sshd/bundle-sshd}, with Tunnel mode's watcher as {@code tunnel-sshd}) over a bundle assembled from
 * this machine's packages (its sshd, loader, static busybox and nss_wrapper, the same Debian packages the image's
 * bundle is made of), as the pod's user (runAsUser/runAsGroup/fsGroup, never root), with no capabilities and
 * no_new_privs, the container's environment (literal values, ConfigMap and Secret references, a few field
 * references), the rendered sshd_config from the Secret (paths remapped), in the pod's network namespace, with a
 * private /etc/hosts, /tmp and /etc/motd in a mount namespace of its own, and the pod's name as hostname. The login
 * shell is the host's /bin/bash.
 *
 * <p>What a pod has and this cannot give: the app's image (programs and files are the host's), a read-only root
 * filesystem (the user may write wherever the host's modes allow its uid), the app's volumes at their mount paths
 * (ConfigMap, Secret and projected ConfigMap/Secret volumes are written into the pod's directory instead, and the
 * session's message of the day says where), downward API volumes, resource limits.
 */
public final class ShellContainer {

    private static final Logger LOG = Logger.getLogger(ShellContainer.class);

    public static final Path BUNDLE_SCRIPT = Path.of("images/sshd/bundle-sshd").toAbsolutePath();
    /** The host programs the local bundle is made of, with the Debian package that has each. */
    static final Map<String, String> HOST_PARTS = Map.of(
            "/usr/sbin/sshd", "openssh-server",
            "/bin/busybox", "busybox-static",
            "/lib64/ld-linux-x86-64.so.2", "libc6",
            "/bin/bash", "bash");
    static final List<Path> NSS_WRAPPER = List.of(Path.of("/usr/lib/x86_64-linux-gnu/libnss_wrapper.so"),
            Path.of("/usr/lib64/libnss_wrapper.so"), Path.of("/usr/lib/libnss_wrapper.so"));
    /** The container's own mounts, the operator's: never an app volume. */
    private static final Set<String> OPERATOR_MOUNTS = Set.of(SshdLayout.CONFIG_DIR, SshdLayout.STATE_DIR, "/tmp");
    private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final Pattern REFERENCE = Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][A-Za-z0-9_.-]*)\\)");

    /**
     * What the kubelet reads from the API for a pod's environment and volumes.
     *
     * @param configMaps by name in the pod's namespace, null if absent
     * @param secrets by name in the pod's namespace, null if absent
     */
    public record PodObjects(String namespace, String podName, Function<String, ConfigMap> configMaps,
            Function<String, Secret> secrets) {
    }

    /** A container whose configuration refers to something missing: the kubelet's CreateContainerConfigError. */
    public static final class ContainerConfigException extends RuntimeException {
        ContainerConfigException(String message) {
            super(message);
        }
    }

    private ShellContainer() {
    }

    /** A Shell session's pod: its container runs the bundle's start script (the contract of issue 10). */
    public static boolean isShell(PodSpec pod) {
        List<String> command = pod.getContainers().get(0).getCommand();
        return command != null && command.stream().anyMatch(word -> word.endsWith("/bundle-sshd"));
    }

    /** Which of the host's programs are missing, as "path (Debian package)"; empty when a Shell pod can run. */
    public static List<String> missingHostParts() {
        List<String> missing = new ArrayList<>();
        HOST_PARTS.forEach((path, pkg) -> {
            if (!Files.isExecutable(Path.of(path))) {
                missing.add(path + " (" + pkg + ")");
            }
        });
        if (nssWrapper() == null) {
            missing.add("libnss_wrapper.so (libnss-wrapper)");
        }
        return missing;
    }

    /** This machine's libnss_wrapper.so, or null. */
    public static Path nssWrapper() {
        return NSS_WRAPPER.stream().filter(Files::isRegularFile).findFirst().orElse(null);
    }

    /**
     * Starts the shell container; the caller has materialised nothing yet.
     *
     * @param dir the pod's directory (recreated); never under a group- or world-writable directory
     * @throws ContainerConfigException when an env or volume source it needs is missing
     */
    public static Process start(PodSpec pod, Secret credentials, Path dir, String address, List<String> inPodNetwork,
            String hosts, PodObjects objects) {
        List<String> missing = missingHostParts();
        if (!missing.isEmpty()) {
            throw new ContainerConfigException("local mode runs Shell sessions with this machine's OpenSSH, busybox and"
                    + " nss_wrapper; missing: " + String.join(", ", missing));
        }
        Container container = pod.getContainers().get(0);
        if (runAsUser(pod, container) == 0) {
            throw new ContainerConfigException("local mode never runs a Shell pod as root: runAsUser is 0 or unset");
        }
        Identity identity = identity(pod, container, hostIds(Path.of("/etc/passwd")), hostIds(Path.of("/etc/group")));
        long uid = identity.uid();
        long gid = identity.gid();
        Long fsGroup = identity.fsGroup();
        List<String> groups = identity.groups().stream().map(String::valueOf).toList();
        // before anything is written: a missing ConfigMap leaves no half-made pod
        Map<String, String> environment = environment(container, objects, address);

        SshdContainer.deleteTree(dir);
        Path config = dir.resolve("config");
        Path state = dir.resolve("state");
        Path bundle = dir.resolve("bundle");
        Path tmp = dir.resolve("tmp");
        Path terminationLog = dir.resolve("termination-log");
        List<String> volumeNotes;
        try {
            for (Path d : List.of(config, state, bundle, tmp)) {
                Files.createDirectories(d);
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rwxr-xr-x"));
            // the state emptyDir: the pod's user owns it (StrictModes walks no further up than the home inside it)
            chown(state, uid, gid);
            Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
            Files.setAttribute(tmp, "unix:mode", 01777); // /tmp's sticky mode, which PosixFilePermissions cannot say
            SshdContainer.write(terminationLog, "", "rw-------");
            chown(terminationLog, uid, gid);
            SshdContainer.writeHosts(dir, hosts);
            assembleBundle(bundle);
            SshdContainer.materializeSecret(credentialsVolume(pod, container), credentials, config, state, fsGroup);
            volumeNotes = new ArrayList<>(identity.notes());
            volumeNotes.addAll(materializeAppVolumes(pod, container, dir.resolve("volumes"), objects, identity));
            SshdContainer.write(dir.resolve("motd"), motd(container, volumeNotes), "rw-r--r--");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LOG.infof("local mode: the host's filesystem stands in for image %s in Shell pod %s/%s (container %s, uid %d)",
                container.getImage(), objects.namespace(), objects.podName(), container.getName(), uid);
        volumeNotes.forEach(note -> LOG.infof("local mode: %s/%s: %s", objects.namespace(), objects.podName(), note));

        List<String> command = new ArrayList<>(inPodNetwork);
        // a pod's hostname is its name: a UTS namespace of its own, so this machine's name stays as it is
        String hostname = objects.podName().length() > 63 ? objects.podName().substring(0, 63) : objects.podName();
        command.addAll(List.of("unshare", "--mount", "--uts", "--propagation", "private", "--", "/bin/sh", "-c",
                "mount --bind \"$0\" /etc/hosts && mount --bind \"$1\" /tmp"
                        + " && { [ ! -f /etc/motd ] || mount --bind \"$2\" /etc/motd; }"
                        + " && echo \"$3\" > /proc/sys/kernel/hostname && shift 3 && exec \"$@\"",
                dir.resolve("hosts").toString(), tmp.toString(), dir.resolve("motd").toString(), hostname,
                "setpriv", "--reuid=" + uid, "--regid=" + gid,
                groups.isEmpty() ? "--clear-groups" : "--groups=" + String.join(",", groups),
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", "env", "-i"));
        environment.forEach((name, value) -> command.add(name + "=" + value));
        // the pod's paths, remapped into the pod's directory (the mount namespace only replaces files that exist)
        command.addAll(List.of("TUNNEL_CONFIG_DIR=" + config, "TUNNEL_STATE_DIR=" + state,
                "TERMINATION_LOG=" + terminationLog));
        command.addAll(remapBundle(container, bundle));
        command.addAll(List.of("-o", "ListenAddress=" + address + ":" + SshdLayout.PORT));
        try {
            return new ProcessBuilder(command).directory(state.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("sshd.log").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The bundle's layout ({@code images/sshd/Dockerfile}, stage bundle) made of this machine's programs: links to its
     * sshd, loader, busybox and nss_wrapper, busybox's applets in bin/, and the two scripts the image carries.
     * Root-owned and read-only to the pod's user, as the read-only bundle mount is.
     */
    private static void assembleBundle(Path bundle) throws IOException {
        Files.createDirectories(bundle.resolve("lib"));
        Files.createDirectories(bundle.resolve("bin"));
        Files.createSymbolicLink(bundle.resolve("sshd"), Path.of("/usr/sbin/sshd"));
        Files.createSymbolicLink(bundle.resolve("ld-linux-x86-64.so.2"), Path.of("/lib64/ld-linux-x86-64.so.2"));
        Files.createSymbolicLink(bundle.resolve("busybox"), Path.of("/bin/busybox"));
        Files.createSymbolicLink(bundle.resolve("lib/libnss_wrapper.so"), nssWrapper());
        SshdContainer.write(bundle.resolve("bundle-sshd"), Files.readString(BUNDLE_SCRIPT), "r-xr-xr-x");
        SshdContainer.write(bundle.resolve("tunnel-sshd"), Files.readString(SshdContainer.ENTRYPOINT), "r-xr-xr-x");
        Process list = new ProcessBuilder("/bin/busybox", "--list").redirectErrorStream(true).start();
        String applets = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        for (String applet : applets.split("\n")) {
            if (applet.matches("[a-z0-9_.\\[-]+")) {
                Files.createSymbolicLink(bundle.resolve("bin").resolve(applet), Path.of("../busybox"));
            }
        }
        for (Path d : List.of(bundle, bundle.resolve("lib"), bundle.resolve("bin"))) {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** The container's command with the bundle volume's mount path replaced by the local bundle. */
    private static List<String> remapBundle(Container container, Path bundle) {
        String mountPath = container.getVolumeMounts().stream()
                .filter(m -> container.getCommand().stream().anyMatch(w -> w.startsWith(m.getMountPath() + "/")))
                .map(VolumeMount::getMountPath).findFirst()
                .orElseThrow(() -> new ContainerConfigException("the shell container's command is not in a mounted bundle"));
        List<String> command = new ArrayList<>();
        for (String word : container.getCommand()) {
            command.add(word.startsWith(mountPath + "/") ? bundle + word.substring(mountPath.length()) : word);
        }
        if (container.getArgs() != null) {
            command.addAll(container.getArgs());
        }
        return command;
    }

    // ---- user

    /**
     * Who the shell runs as here. The pod's uid and groups, unless one of them is an account or group of this machine
     * (other than the runner's own {@value SshdLayout#USERNAME}, uid {@value SshdLayout#UID}): in a cluster such a
     * uid is confined to its pod, here it would own that account's files (uid 1000, a developer's home) or hold that
     * group's rights (disk, adm, sudo, root). Such a uid or gid becomes {@value SshdLayout#UID}; such a
     * supplementary group is dropped; each change is said in the notes.
     *
     * @param groups the supplementary groups: fsGroup, then supplementalGroups, as the kubelet gives them
     */
    record Identity(long uid, long gid, Long fsGroup, List<Long> groups, List<String> notes) {
    }

    static Identity identity(PodSpec pod, Container container, Set<Long> hostUsers, Set<Long> hostGroups) {
        List<String> notes = new ArrayList<>();
        long uid = runAsUser(pod, container);
        if (uid != SshdLayout.UID && hostUsers.contains(uid)) {
            notes.add("uid " + uid + " is an account of this machine: the shell runs as uid " + SshdLayout.UID + " instead");
            uid = SshdLayout.UID;
        }
        long gid = safeGroup(runAsGroup(pod, container, runAsUser(pod, container)), hostGroups, "runAsGroup", notes);
        Long fsGroup = pod.getSecurityContext() == null ? null : pod.getSecurityContext().getFsGroup();
        if (fsGroup != null) {
            fsGroup = safeGroup(fsGroup, hostGroups, "fsGroup", notes);
        }
        List<Long> groups = new ArrayList<>();
        if (fsGroup != null) {
            groups.add(fsGroup);
        }
        if (pod.getSecurityContext() != null && pod.getSecurityContext().getSupplementalGroups() != null) {
            for (Long group : pod.getSecurityContext().getSupplementalGroups()) {
                if (group != SshdLayout.UID && (group == 0 || hostGroups.contains(group))) {
                    notes.add("supplemental group " + group + " is a group of this machine: left out");
                } else if (!groups.contains(group)) {
                    groups.add(group);
                }
            }
        }
        return new Identity(uid, gid, fsGroup, List.copyOf(groups), List.copyOf(notes));
    }

    private static long safeGroup(long gid, Set<Long> hostGroups, String what, List<String> notes) {
        if (gid != SshdLayout.UID && (gid == 0 || hostGroups.contains(gid))) {
            notes.add(what + " " + gid + " is a group of this machine: the shell uses gid " + SshdLayout.UID + " instead");
            return SshdLayout.UID;
        }
        return gid;
    }

    /** The numeric ids (third field) of /etc/passwd or /etc/group. */
    static Set<Long> hostIds(Path file) {
        try {
            Set<Long> ids = new java.util.HashSet<>();
            for (String line : Files.readAllLines(file)) {
                String[] fields = line.split(":");
                if (fields.length > 2 && fields[2].matches("\\d{1,10}")) {
                    ids.add(Long.parseLong(fields[2]));
                }
            }
            return ids;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long runAsUser(PodSpec pod, Container container) {
        if (container.getSecurityContext() != null && container.getSecurityContext().getRunAsUser() != null) {
            return container.getSecurityContext().getRunAsUser();
        }
        return pod.getSecurityContext() == null || pod.getSecurityContext().getRunAsUser() == null ? 0
                : pod.getSecurityContext().getRunAsUser();
    }

    static long runAsGroup(PodSpec pod, Container container, long uid) {
        if (container.getSecurityContext() != null && container.getSecurityContext().getRunAsGroup() != null) {
            return container.getSecurityContext().getRunAsGroup();
        }
        return pod.getSecurityContext() == null || pod.getSecurityContext().getRunAsGroup() == null ? uid
                : pod.getSecurityContext().getRunAsGroup();
    }

    // ---- environment, as the kubelet builds it

    /**
     * envFrom in order, then env in order (later wins), with {@code $(NAME)} references to earlier variables expanded
     * in env values; ConfigMap and Secret references resolved from the API; field references to the pod's name,
     * namespace and IP. PATH defaults to the usual Debian image's, since there is no image to take it from.
     *
     * @throws ContainerConfigException for a missing, non-optional source or an unsupported one
     */
    static Map<String, String> environment(Container container, PodObjects objects, String podIp) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", DEFAULT_PATH);
        if (container.getEnvFrom() != null) {
            for (EnvFromSource from : container.getEnvFrom()) {
                String prefix = Objects.requireNonNullElse(from.getPrefix(), "");
                Map<String, String> values;
                if (from.getConfigMapRef() != null) {
                    values = configMapData(objects, from.getConfigMapRef().getName(),
                            Boolean.TRUE.equals(from.getConfigMapRef().getOptional()));
                } else if (from.getSecretRef() != null) {
                    values = secretData(objects, from.getSecretRef().getName(),
                            Boolean.TRUE.equals(from.getSecretRef().getOptional()));
                } else {
                    continue;
                }
                values.forEach((k, v) -> env.put(prefix + k, v));
            }
        }
        if (container.getEnv() != null) {
            for (EnvVar variable : container.getEnv()) {
                String value = value(variable, objects, podIp, env);
                if (value != null) {
                    env.put(variable.getName(), value);
                }
            }
        }
        return env;
    }

    private static String value(EnvVar variable, PodObjects objects, String podIp, Map<String, String> earlier) {
        if (variable.getValueFrom() == null) {
            return expand(Objects.requireNonNullElse(variable.getValue(), ""), earlier);
        }
        var from = variable.getValueFrom();
        if (from.getConfigMapKeyRef() != null) {
            var ref = from.getConfigMapKeyRef();
            return key(configMapData(objects, ref.getName(), Boolean.TRUE.equals(ref.getOptional())), ref.getKey(),
                    "ConfigMap " + ref.getName(), Boolean.TRUE.equals(ref.getOptional()));
        }
        if (from.getSecretKeyRef() != null) {
            var ref = from.getSecretKeyRef();
            return key(secretData(objects, ref.getName(), Boolean.TRUE.equals(ref.getOptional())), ref.getKey(),
                    "Secret " + ref.getName(), Boolean.TRUE.equals(ref.getOptional()));
        }
        if (from.getFieldRef() != null) {
            return switch (from.getFieldRef().getFieldPath()) {
                case "metadata.name" -> objects.podName();
                case "metadata.namespace" -> objects.namespace();
                case "status.podIP" -> podIp;
                default -> throw new ContainerConfigException("local mode cannot give " + variable.getName()
                        + " the field " + from.getFieldRef().getFieldPath()
                        + " (supported: metadata.name, metadata.namespace, status.podIP)");
            };
        }
        throw new ContainerConfigException("local mode cannot give " + variable.getName() + " its value"
                + " (resourceFieldRef and other sources are not supported; literal values, ConfigMap and Secret keys are)");
    }

    private static String key(Map<String, String> data, String key, String what, boolean optional) {
        String value = data.get(key);
        if (value == null && !optional) {
            throw new ContainerConfigException("couldn't find key " + key + " in " + what);
        }
        return value;
    }

    /** Kubernetes' expansion: $(NAME) of a variable defined before, $$ for a literal $, anything else as written. */
    static String expand(String value, Map<String, String> earlier) {
        Matcher m = REFERENCE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = m.group(1) == null ? "$" : earlier.getOrDefault(m.group(1), m.group());
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        return m.appendTail(out).toString();
    }

    private static Map<String, String> configMapData(PodObjects objects, String name, boolean optional) {
        ConfigMap map = objects.configMaps().apply(name);
        if (map == null) {
            if (optional) {
                return Map.of();
            }
            throw new ContainerConfigException("configmap \"" + name + "\" not found");
        }
        return map.getData() == null ? Map.of() : map.getData();
    }

    private static Map<String, String> secretData(PodObjects objects, String name, boolean optional) {
        Secret secret = objects.secrets().apply(name);
        if (secret == null) {
            if (optional) {
                return Map.of();
            }
            throw new ContainerConfigException("secret \"" + name + "\" not found");
        }
        Map<String, String> values = new LinkedHashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((k, v) -> values.put(k,
                    new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        }
        if (secret.getStringData() != null) {
            values.putAll(secret.getStringData());
        }
        return values;
    }

    // ---- volumes

    /** The Secret volume mounted at the config directory: the session's credentials, not an app's Secret. */
    static Volume credentialsVolume(PodSpec pod, Container container) {
        String name = container.getVolumeMounts().stream().filter(m -> SshdLayout.CONFIG_DIR.equals(m.getMountPath()))
                .map(VolumeMount::getName).findFirst()
                .orElseThrow(() -> new ContainerConfigException("nothing is mounted at " + SshdLayout.CONFIG_DIR));
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name) && v.getSecret() != null).findFirst()
                .orElseThrow(() -> new ContainerConfigException("the volume at " + SshdLayout.CONFIG_DIR + " is no Secret"));
    }

    /**
     * The app's volumes, written under {@code root/<volume>}: ConfigMap, Secret and projected ConfigMap/Secret data
     * with their items and modes (root-owned, group fsGroup, as the kubelet writes them), emptyDirs as empty
     * directories. They cannot appear at their mount paths: that would change this machine's filesystem.
     *
     * @return one line per app volume for the log and the message of the day
     */
    private static List<String> materializeAppVolumes(PodSpec pod, Container container, Path root, PodObjects objects,
            Identity identity) throws IOException {
        Long fsGroup = identity.fsGroup();
        List<String> notes = new ArrayList<>();
        String bundleMount = container.getVolumeMounts().stream()
                .filter(m -> container.getCommand().stream().anyMatch(w -> w.startsWith(m.getMountPath() + "/")))
                .map(VolumeMount::getMountPath).findFirst().orElse("");
        for (VolumeMount mount : container.getVolumeMounts()) {
            if (OPERATOR_MOUNTS.contains(mount.getMountPath()) || mount.getMountPath().equals(bundleMount)) {
                continue;
            }
            Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                    .orElse(null);
            if (volume == null) {
                continue;
            }
            Path target = root.resolve(volume.getName());
            String where = mount.getMountPath() + (mount.getSubPath() == null ? "" : " (subPath " + mount.getSubPath() + ")");
            Map<String, byte[]> files = new LinkedHashMap<>();
            String kind;
            int mode = 0644;
            if (volume.getConfigMap() != null) {
                var source = volume.getConfigMap();
                kind = "configMap " + source.getName();
                mode = Objects.requireNonNullElse(source.getDefaultMode(), 0644);
                addItems(files, bytes(configMapData(objects, source.getName(), Boolean.TRUE.equals(source.getOptional()))),
                        source.getItems(), kind, Boolean.TRUE.equals(source.getOptional()));
            } else if (volume.getSecret() != null) {
                var source = volume.getSecret();
                kind = "secret " + source.getSecretName();
                mode = Objects.requireNonNullElse(source.getDefaultMode(), 0644);
                addItems(files, bytes(secretData(objects, source.getSecretName(), Boolean.TRUE.equals(source.getOptional()))),
                        source.getItems(), kind, Boolean.TRUE.equals(source.getOptional()));
            } else if (volume.getProjected() != null) {
                kind = "projected";
                mode = Objects.requireNonNullElse(volume.getProjected().getDefaultMode(), 0644);
                for (var source : volume.getProjected().getSources()) {
                    if (source.getConfigMap() != null) {
                        var s = source.getConfigMap();
                        addItems(files, bytes(configMapData(objects, s.getName(), Boolean.TRUE.equals(s.getOptional()))),
                                s.getItems(), "configMap " + s.getName(), Boolean.TRUE.equals(s.getOptional()));
                    } else if (source.getSecret() != null) {
                        var s = source.getSecret();
                        addItems(files, bytes(secretData(objects, s.getName(), Boolean.TRUE.equals(s.getOptional()))),
                                s.getItems(), "secret " + s.getName(), Boolean.TRUE.equals(s.getOptional()));
                    } else {
                        notes.add("volume " + volume.getName() + " (" + where + "): a projected source other than"
                                + " configMap or secret is not supported in local mode; left out");
                    }
                }
            } else if (volume.getEmptyDir() != null) {
                Files.createDirectories(target);
                chown(target, identity.uid(), identity.gid());
                notes.add("volume " + volume.getName() + " (emptyDir, at " + where + " in the pod) is " + target);
                continue;
            } else {
                notes.add("volume " + volume.getName() + " (" + where + "): not supported in local mode; left out");
                continue;
            }
            Files.createDirectories(target);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (var file : files.entrySet()) {
                Path path = target.resolve(file.getKey()).normalize();
                if (!path.startsWith(target)) {
                    throw new ContainerConfigException("volume " + volume.getName() + ": item path " + file.getKey()
                            + " leaves the volume");
                }
                Files.createDirectories(path.getParent());
                Files.write(path, file.getValue());
                if (fsGroup != null) {
                    Files.setAttribute(path, "unix:gid", fsGroup.intValue());
                }
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(SshdContainer.modeString(mode)));
            }
            notes.add("volume " + volume.getName() + " (" + kind + ", at " + where + " in the pod) is " + target);
        }
        return notes;
    }

    private static Map<String, byte[]> bytes(Map<String, String> data) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        data.forEach((k, v) -> out.put(k, v.getBytes(StandardCharsets.UTF_8)));
        return out;
    }

    private static void addItems(Map<String, byte[]> files, Map<String, byte[]> data, List<KeyToPath> items, String what,
            boolean optional) {
        if (items == null || items.isEmpty()) {
            files.putAll(data);
            return;
        }
        for (KeyToPath item : items) {
            byte[] value = data.get(item.getKey());
            if (value == null) {
                if (optional) {
                    continue;
                }
                throw new ContainerConfigException("couldn't find key " + item.getKey() + " in " + what);
            }
            files.put(item.getPath(), value);
        }
    }

    private static String motd(Container container, List<String> volumeNotes) {
        StringBuilder motd = new StringBuilder("local mode: this shell runs on this machine's filesystem, which stands"
                + " in for the image " + container.getImage() + "; the app's environment is set.\n");
        volumeNotes.forEach(note -> motd.append("local mode: ").append(note).append('\n'));
        return motd.toString();
    }

    private static void chown(Path path, long uid, long gid) throws IOException {
        Files.setAttribute(path, "unix:uid", (int) uid);
        Files.setAttribute(path, "unix:gid", (int) gid);
    }
}
