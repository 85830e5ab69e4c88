package io.tunnelops.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.tunnelops.ssh.SshdLayout;

/**
 * The sshd container of a session's pod, run as a kubelet would run it, with Debian's OpenSSH: the Secret volume's
 * items with the modes the kubelet gives them, an emptyDir the pod's user owns, the image's own entrypoint, uid 10001
 * with no capabilities and no_new_privs, the container's environment, a private /etc/hosts (cluster DNS) and the
 * pod's network namespace. Shared by local mode's runner and the node agent of the real cluster.
 */
public final class SshdContainer {

    public static final Path ENTRYPOINT = Path.of("images/sshd/entrypoint.sh").toAbsolutePath();
    private static final String SSHD = "/usr/sbin/sshd";

    private SshdContainer() {
    }

    /**
     * @param dir the pod's directory (recreated); never under a group- or world-writable directory such as /tmp
     * @param address the pod's IP, where sshd listens
     * @param inPodNetwork the command prefix that enters the pod's network namespace
     */
    public static Process start(PodSpec pod, Secret secret, Path dir, String address, List<String> inPodNetwork,
            String hosts) {
        deleteTree(dir);
        Path config = dir.resolve("config");
        Path state = dir.resolve("state");
        Path terminationLog = dir.resolve("termination-log");
        int uid = SshdLayout.UID;
        try {
            Files.createDirectories(config);
            Files.createDirectories(state);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rwxr-xr-x"));
            // an emptyDir the pod's user owns (in a pod, the walk of StrictModes stops at the home directory inside it)
            Files.setAttribute(state, "unix:uid", uid);
            Files.setAttribute(state, "unix:gid", uid);
            Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
            write(terminationLog, "", "rw-------");
            Files.setAttribute(terminationLog, "unix:uid", uid);
            writeHosts(dir, hosts);
            // the image's entrypoint, copied where uid 10001 can read it whatever the checkout's directory modes
            write(dir.resolve("entrypoint.sh"), Files.readString(ENTRYPOINT), "r-xr-xr-x");
            materializeSecret(pod.getVolumes().stream().filter(v -> v.getSecret() != null).findFirst().orElseThrow(),
                    secret, config, state, pod.getSecurityContext() == null ? null : pod.getSecurityContext().getFsGroup());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        List<String> command = new ArrayList<>(inPodNetwork);
        command.addAll(List.of("unshare", "--mount", "--propagation", "private", "--",
                "/bin/sh", "-c", "mount --bind \"$0\" /etc/hosts && exec \"$@\"", dir.resolve("hosts").toString(),
                "setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--",
                "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"));
        // the container's own environment, as the kubelet sets it
        var container = pod.getContainers().get(0);
        if (container.getEnv() != null) {
            container.getEnv().stream().filter(e -> e.getValue() != null)
                    .forEach(e -> command.add(e.getName() + "=" + e.getValue()));
        }
        command.addAll(List.of("TUNNEL_CONFIG_DIR=" + config, "TUNNEL_STATE_DIR=" + state, "SSHD=" + SSHD,
                "TERMINATION_LOG=" + terminationLog,
                "/bin/sh", dir.resolve("entrypoint.sh").toString(),
                "-o", "ListenAddress=" + address + ":" + SshdLayout.PORT));
        try {
            return new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("sshd.log").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the entrypoint wrote to its termination log (the kubelet's terminationMessagePolicy: File). */
    public static String terminationMessage(Path dir) {
        try {
            Path log = dir.resolve("termination-log");
            return Files.exists(log) ? Files.readString(log).strip() : "";
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Cluster DNS as a hosts file: {@code <service>.<namespace>.svc.cluster.local} for each Service with a cluster IP
     * that {@code reachable} accepts.
     */
    public static String hostsFile(java.util.Collection<Service> services, java.util.function.Predicate<String> reachable) {
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n");
        services.stream()
                .filter(s -> s.getSpec() != null && s.getSpec().getClusterIP() != null
                        && !s.getSpec().getClusterIP().isBlank() && !"None".equals(s.getSpec().getClusterIP())
                        && reachable.test(s.getSpec().getClusterIP()))
                .sorted(Comparator.comparing(s -> s.getMetadata().getNamespace() + "/" + s.getMetadata().getName()))
                .forEach(s -> {
                    String fqdn = s.getMetadata().getName() + "." + s.getMetadata().getNamespace() + ".svc";
                    hosts.append(s.getSpec().getClusterIP()).append(' ').append(fqdn).append(".cluster.local ")
                            .append(fqdn).append('\n');
                });
        return hosts.toString();
    }

    /** Rewrites in place: each sshd has the file bind-mounted over /etc/hosts, so the inode must stay. */
    public static void writeHosts(Path dir, String hosts) {
        write(dir.resolve("hosts"), hosts, "rw-r--r--");
    }

    /** Stops the sshd and every connection it forked. */
    public static void stop(Process process) {
        ProcessHandle handle = process.toHandle();
        List<ProcessHandle> all = Stream.concat(handle.descendants(), Stream.of(handle)).toList();
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(3, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
    }

    /** The Secret volume's items, with the volume's modes, owned by root and group fsGroup, as the kubelet does. */
    static void materializeSecret(Volume volume, Secret secret, Path config, Path state, Long fsGroup)
            throws IOException {
        int defaultMode = Objects.requireNonNullElse(volume.getSecret().getDefaultMode(), 0644);
        List<KeyToPath> items = volume.getSecret().getItems() == null || volume.getSecret().getItems().isEmpty()
                ? secret.getData().keySet().stream().map(k -> new KeyToPath(k, null, k)).toList()
                : volume.getSecret().getItems();
        for (KeyToPath item : items) {
            String value = new String(Base64.getDecoder().decode(secret.getData().get(item.getKey())), StandardCharsets.UTF_8);
            if (item.getKey().equals(SshdLayout.SSHD_CONFIG)) {
                value = value.replace(SshdLayout.STATE_DIR, state.toString()); // paths remapped, nothing else
            }
            Path file = config.resolve(item.getPath());
            Files.writeString(file, value);
            if (fsGroup != null) {
                Files.setAttribute(file, "unix:gid", fsGroup.intValue());
            }
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(
                    modeString(item.getMode() != null ? item.getMode() : defaultMode)));
        }
    }

    static String modeString(int mode) {
        StringBuilder s = new StringBuilder();
        String rwx = "rwx";
        for (int bit = 8; bit >= 0; bit--) {
            s.append((mode & (1 << bit)) != 0 ? rwx.charAt(2 - bit % 3) : '-');
        }
        return s.toString();
    }

    static void write(Path file, String content, String mode) {
        try {
            Files.writeString(file, content, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover directory is harmless: the next start of this pod recreates it
        }
    }
}
