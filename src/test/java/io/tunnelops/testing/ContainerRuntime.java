package io.tunnelops.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private containerd for tests that run our images without a cluster: its own config, root, state and socket under
 * one directory (never the machine's /run/containerd), images imported from OCI archives (nothing is ever pulled),
 * containers run with {@code ctr run}. Needs root, containerd and runc. {@link #close()} stops every container and
 * the daemon, checks that none of its processes and mounts is left, and deletes the directory.
 */
public final class ContainerRuntime implements AutoCloseable {

    private static final Duration START = Duration.ofSeconds(20);
    private static final Duration COMMAND = Duration.ofMinutes(2);
    private static final String NAMESPACE = "tunnel-it";
    /** Linux 6.x's capabilities, for a "drop ALL". */
    private static final List<String> ALL_CAPABILITIES = List.of("CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER",
            "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
            "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE",
            "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
            "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
            "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE");

    private final Path dir;
    private final Path socket;
    private final Process daemon;
    private final List<Container> running = new ArrayList<>();

    private ContainerRuntime(Path dir, Path socket, Process daemon) {
        this.dir = dir;
        this.socket = socket;
        this.daemon = daemon;
    }

    /** Starts containerd with everything under {@code dir} (made empty first); waits until it answers. */
    public static ContainerRuntime start(Path dir) {
        for (String tool : List.of("containerd", "ctr", "runc")) {
            if (Stream.of("/usr/bin", "/usr/sbin", "/usr/local/bin").noneMatch(d -> Files.isExecutable(Path.of(d, tool)))) {
                throw new IllegalStateException(tool + " is missing: apt-get install containerd runc (bash .ci/run does)");
            }
        }
        dir = dir.toAbsolutePath();
        deleteTree(dir);
        Path socket = dir.resolve("containerd.sock");
        Path config = dir.resolve("config.toml");
        Path log = dir.resolve("containerd.log");
        try {
            Files.createDirectories(dir);
            // No CRI (no kubelet here, and its CNI setup is not wanted); no debug or metrics listener.
            Files.writeString(config, """
                    version = 2
                    root = "%1$s/root"
                    state = "%1$s/state"
                    disabled_plugins = ["io.containerd.grpc.v1.cri"]
                    [grpc]
                      address = "%2$s"
                    [ttrpc]
                      address = "%2$s.ttrpc"
                    [debug]
                      address = ""
                    [metrics]
                      address = ""
                    [plugins."io.containerd.internal.v1.opt"]
                      path = "%1$s/opt"
                    """.formatted(dir, socket));
            Process daemon = new ProcessBuilder("containerd", "--config", config.toString()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            ContainerRuntime runtime = new ContainerRuntime(dir, socket, daemon);
            long deadline = System.nanoTime() + START.toNanos();
            while (true) {
                if (!daemon.isAlive()) {
                    throw new IllegalStateException("containerd exited with " + daemon.exitValue() + ", see " + log);
                }
                if (Files.exists(socket) && runtime.ctr(Duration.ofSeconds(5), "version").exitCode() == 0) {
                    return runtime;
                }
                if (System.nanoTime() > deadline) {
                    runtime.close();
                    throw new IllegalStateException("containerd did not answer within " + START.toSeconds() + " s, see " + log);
                }
                Thread.sleep(100);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Loads an OCI archive (as buildah push oci-archive: writes it); returns the image names it brought. */
    public List<String> importArchive(Path archive) {
        List<String> before = images();
        succeed("images", "import", "--all-platforms", archive.toAbsolutePath().toString());
        List<String> after = new ArrayList<>(images());
        after.removeAll(before);
        return after;
    }

    public List<String> images() {
        return Arrays.stream(succeed("images", "ls", "-q").split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** Runs a container to its end (or kills it after {@code timeout}); its output and exit code. */
    public Result run(RunSpec spec, Duration timeout) {
        Container container = start(spec);
        try {
            if (!container.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                container.stop(Duration.ofSeconds(2));
                throw new IllegalStateException("container " + spec.id + " did not end within " + timeout.toSeconds()
                        + " s; output:\n" + container.output());
            }
            return new Result(container.process.exitValue(), container.output());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            container.stop(Duration.ofSeconds(2));
        }
    }

    /** Starts a container; the ctr client stays attached, so its output goes to a file and its exit code is the task's. */
    public Container start(RunSpec spec) {
        List<String> args = new ArrayList<>(List.of("run", "--rm"));
        if (spec.hostNetwork) {
            args.add("--net-host");
        }
        if (spec.readOnly) {
            args.add("--read-only");
        }
        if (spec.restricted) {
            // what the sshd Deployment asks of Kubernetes: no capabilities, RuntimeDefault seccomp
            // (no_new_privs is ctr's default)
            args.add("--seccomp");
            ALL_CAPABILITIES.forEach(cap -> args.add("--cap-drop=CAP_" + cap)); // ctr 1.6 knows no "ALL"
        }
        spec.env.forEach((k, v) -> args.add("--env=" + k + "=" + v));
        args.addAll(spec.mounts.stream().map(m -> "--mount=" + m).toList());
        args.add(spec.image);
        args.add(spec.id);
        args.addAll(spec.args);
        Path output = dir.resolve(spec.id + ".out");
        try {
            Process process = new ProcessBuilder(ctrCommand(args)).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            process.getOutputStream().close();
            Container container = new Container(spec.id, process, output);
            synchronized (running) {
                running.add(container);
            }
            return container;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The host pid of a running container's main process, as containerd reports it (0 if it has none yet). */
    public long pid(String id) {
        for (String line : succeed("tasks", "ls").split("\n")) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length >= 3 && fields[0].equals(id) && fields[2].equals("RUNNING")) {
                return Long.parseLong(fields[1]);
            }
        }
        return 0;
    }

    /** Stops every container, then containerd; fails if a process or mount of this runtime is left. */
    @Override
    public void close() {
        List<Container> all;
        synchronized (running) {
            all = new ArrayList<>(running);
        }
        all.forEach(c -> c.stop(Duration.ofSeconds(5)));
        if (daemon.isAlive()) {
            // whatever is left in containerd's books (a container whose ctr client died)
            for (String id : listIds("tasks")) {
                ctr(COMMAND, "tasks", "kill", "--signal", "SIGKILL", id);
                ctr(COMMAND, "tasks", "delete", "--force", id);
            }
            for (String id : listIds("containers")) {
                ctr(COMMAND, "containers", "delete", id);
            }
            daemon.destroy();
            try {
                if (!daemon.waitFor(10, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly();
                    daemon.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<String> leftovers = new ArrayList<>();
        ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(dir.toString()))
                .forEach(p -> leftovers.add("process " + p.pid() + ": " + p.info().commandLine().orElse("")));
        try {
            Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                    .filter(mountPoint -> mountPoint.startsWith(dir.toString())).forEach(m -> leftovers.add("mount " + m));
        } catch (IOException e) {
            leftovers.add("cannot read /proc/self/mountinfo: " + e);
        }
        if (!leftovers.isEmpty()) {
            throw new IllegalStateException("containerd in " + dir + " left: " + leftovers);
        }
        deleteTree(dir);
    }

    private List<String> listIds(String what) {
        Result result = ctr(COMMAND, what, "ls", "-q");
        return result.exitCode() != 0 ? List.of()
                : Arrays.stream(result.output().split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    String succeed(String... args) {
        Result result = ctr(COMMAND, args);
        if (result.exitCode() != 0) {
            throw new IllegalStateException("ctr " + String.join(" ", args) + " exited " + result.exitCode() + ": "
                    + result.output());
        }
        return result.output();
    }

    private Result ctr(Duration timeout, String... args) {
        try {
            Process process = new ProcessBuilder(ctrCommand(List.of(args))).redirectErrorStream(true).start();
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "ctr timed out: " + List.of(args));
            }
            return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private List<String> ctrCommand(List<String> args) {
        List<String> command = new ArrayList<>(List.of("ctr", "--address", socket.toString(), "--namespace", NAMESPACE));
        command.addAll(args);
        return command;
    }

    /** Deletes a directory tree; fails when something cannot be deleted (a leftover mount, say). */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    /** Exit code and combined output. */
    public record Result(int exitCode, String output) {
    }

    /**
     * One {@code ctr run}: image, container id, command and settings. Without {@link #args} the image's entrypoint and
     * cmd run; with them, ctr 1.6 runs exactly those (unlike docker, it does not append them to the entrypoint).
     */
    public static final class RunSpec {
        private final String image;
        private final String id;
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> mounts = new ArrayList<>();
        private boolean hostNetwork;
        private boolean readOnly;
        private boolean restricted;

        public RunSpec(String image, String id) {
            this.image = image;
            this.id = id;
        }

        public RunSpec args(String... args) {
            this.args.addAll(List.of(args));
            return this;
        }

        public RunSpec env(String name, String value) {
            env.put(name, value);
            return this;
        }

        /** A host file or directory, read-only. */
        public RunSpec bindReadOnly(Path source, String target) {
            mounts.add("type=bind,src=" + source.toAbsolutePath() + ",dst=" + target + ",options=rbind:ro");
            return this;
        }

        /**
         * A fresh host directory, writable by all, as the kubelet makes an emptyDir. (Not a tmpfs: runc gives a tmpfs
         * the mode of the image's directory it covers, root's 0755 here, whatever mode= says.)
         */
        public RunSpec emptyDir(Path source, String target) {
            try {
                Files.createDirectories(source);
                Files.setPosixFilePermissions(source, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            mounts.add("type=bind,src=" + source.toAbsolutePath() + ",dst=" + target + ",options=rbind:rw");
            return this;
        }


        public RunSpec hostNetwork() {
            hostNetwork = true;
            return this;
        }

        public RunSpec readOnlyRoot() {
            readOnly = true;
            return this;
        }

        /** No capabilities and the runtime's default seccomp profile, as the restricted Pod Security Standard. */
        public RunSpec restricted() {
            restricted = true;
            return this;
        }
    }

    /** A running container: its ctr client process and output file. */
    public final class Container {
        private final String id;
        private final Process process;
        private final Path output;

        private Container(String id, Process process, Path output) {
            this.id = id;
            this.process = process;
            this.output = output;
        }

        public String id() {
            return id;
        }

        public boolean isRunning() {
            return process.isAlive();
        }

        /** The container's host pid once its task runs (waits up to 30 s). */
        public long pid() {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                long pid = ContainerRuntime.this.pid(id);
                if (pid > 0) {
                    return pid;
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException("container " + id + " ended: " + output());
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            throw new IllegalStateException("container " + id + " has no running task: " + output());
        }

        /** Waits until something accepts TCP connections on 127.0.0.1:port; fails at once if the container ends. */
        public void awaitListening(int port) throws InterruptedException {
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                if (!isRunning()) {
                    throw new AssertionError("the container ended before listening on " + port + ":\n" + output());
                }
                if (TcpProbe.accepts("127.0.0.1", port)) {
                    return;
                }
                Thread.sleep(100);
            }
            throw new AssertionError("nothing listened on " + port + " within 30 s:\n" + output());
        }

        public String output() {
            try {
                return Files.exists(output) ? Files.readString(output) : "";
            } catch (IOException e) {
                return "(cannot read " + output + ": " + e + ")";
            }
        }

        /** SIGTERM, SIGKILL after {@code grace}; ctr --rm then deletes the container. */
        public void stop(Duration grace) {
            try {
                if (process.isAlive()) {
                    ctr(COMMAND, "tasks", "kill", "--signal", "SIGTERM", id);
                    if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                        ctr(COMMAND, "tasks", "kill", "--all", "--signal", "SIGKILL", id);
                        if (!process.waitFor(10, TimeUnit.SECONDS)) {
                            process.destroyForcibly();
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                synchronized (running) {
                    running.remove(this);
                }
            }
        }

        /** Exit code once ended. */
        public int waitFor(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("container " + id + " still runs after " + timeout.toSeconds() + " s");
                }
                return process.exitValue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
