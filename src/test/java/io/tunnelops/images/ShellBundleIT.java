package io.tunnelops.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import io.tunnelops.e2e.SessionUser;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.tunnelops.ssh.KnownHosts;
import io.tunnelops.ssh.SshKeyPair;
import io.tunnelops.ssh.SshdConfigRenderer;
import io.tunnelops.ssh.SshdLayout;
import io.tunnelops.testing.ContainerRuntime.RunSpec;
import io.tunnelops.testing.ContainerRuntime;
import io.tunnelops.testing.MuslToolchain;
import io.tunnelops.testing.OpenSshTools;
import io.tunnelops.testing.TcpProbe;

/**
 * Issue 10 groundwork: the OpenSSH bundle of our sshd image (/opt/tunnel-bundle) runs inside <em>another</em> image, as a
 * Shell pod would run it. An init container of our image copies the bundle into a shared directory (the emptyDir's
 * stand-in); the app's image then runs {@code <bundle>/busybox sh <bundle>/bundle-sshd} as uid 10001 with a read-only
 * root, no capabilities, the bundle mounted read-only, a state emptyDir and the credentials read-only. Images: our own
 * Debian base (glibc, bash), a distroless-like image built here FROM scratch with one plain file (no shell, no libc), and
 * our Shell mode toolbox (images/toolbox).
 * The sshd_config is written here: the operator's Shell-mode renderer is the next step (BUNDLE-NOTES.md).
 */
class ShellBundleIT {

    static final Path PROJECT = Path.of("").toAbsolutePath();
    static final Path IMAGES = PROJECT.resolve("target/images");
    /** Our Debian base with USER 10001:10001 (ctr 1.6 has no --user; Kubernetes would say runAsUser). */
    static final String DEBIAN = "tunnelops.local/shell-test-debian:it";
    static final String DEBIAN_BASE = "localhost/debian:bookworm-slim";
    /** Built and removed by this test; the names say they are a test's. */
    static final String DISTROLESS = "tunnelops.local/shell-test-distroless:it";
    /** musl's loader and one program linked against it (Debian's musl, compiled here): no shell, no glibc. */
    static final String MUSL = "tunnelops.local/shell-test-musl:it";
    static final String BUNDLE = "/tunnel/bundle";
    static final String APP_VARIABLE = "APP_GREETING";
    static final String APP_VALUE = "hello-from-the-app";

    static ContainerRuntime runtime;
    static Path work;
    static String sshdImage;
    static String toolboxImage;
    static SshKeyPair hostKey;
    static SshKeyPair clientKey;
    static Path config;
    static Path key;
    static Path knownHostsDir;

    @BeforeAll
    static void setUp() throws Exception {
        assertEquals(0L, new com.sun.security.auth.module.UnixSystem().getUid(), "containerd, runc and buildah need root");
        assertTrue(Files.isRegularFile(IMAGES.resolve("sshd.tar")), "target/images/sshd.tar is missing: images/build.sh");
        work = PROJECT.resolve("target/shell-bundle-it");
        ContainerRuntime.deleteTree(work);
        Files.createDirectories(work);
        runtime = ContainerRuntime.start(PROJECT.resolve("target/containerd-shell-it"));
        // whatever name images/build.sh gave it (SSHD_IMAGE)
        sshdImage = runtime.importArchive(IMAGES.resolve("sshd.tar")).get(0);
        assertTrue(Files.isRegularFile(IMAGES.resolve("toolbox.tar")), "target/images/toolbox.tar is missing: images/build.sh");
        toolboxImage = runtime.importArchive(IMAGES.resolve("toolbox.tar")).get(0);

        String debian = OpenSshTools.succeed("buildah", "from", DEBIAN_BASE).strip();
        try {
            OpenSshTools.succeed("buildah", "config", "--user", "10001:10001", debian);
            OpenSshTools.succeed("buildah", "commit", "--quiet", debian, DEBIAN);
        } finally {
            OpenSshTools.run(List.of("buildah", "rm", debian));
        }
        OpenSshTools.succeed("buildah", "push", "--quiet", DEBIAN, "oci-archive:" + work.resolve("debian.tar") + ":" + DEBIAN);
        runtime.importArchive(work.resolve("debian.tar"));

        // distroless-like: one plain file, no shell, no libc, no /etc
        Path app = Files.createDirectories(work.resolve("distroless"));
        Files.writeString(app.resolve("hello.txt"), "a file of the app\n");
        String container = OpenSshTools.succeed("buildah", "from", "scratch").strip();
        try {
            OpenSshTools.succeed("buildah", "copy", "--quiet", container, app.resolve("hello.txt").toString(), "/app/hello.txt");
            OpenSshTools.succeed("buildah", "config", "--workingdir", "/app", "--user", "10001:10001", container);
            OpenSshTools.succeed("buildah", "commit", "--quiet", container, DISTROLESS);
        } finally {
            OpenSshTools.run(List.of("buildah", "rm", container));
        }
        OpenSshTools.succeed("buildah", "push", "--quiet", DISTROLESS,
                "oci-archive:" + work.resolve("distroless.tar") + ":" + DISTROLESS);
        runtime.importArchive(work.resolve("distroless.tar"));
        buildMuslImage(Files.createDirectories(work.resolve("musl-build")));
        OpenSshTools.succeed("buildah", "push", "--quiet", MUSL, "oci-archive:" + work.resolve("musl.tar") + ":" + MUSL);
        runtime.importArchive(work.resolve("musl.tar"));
        System.out.println("images in the test's containerd: " + runtime.images());

        hostKey = Ed25519KeyGenerator.generate("");
        clientKey = Ed25519KeyGenerator.generate("user");
        config = credentials(work.resolve("config"), shellConfig(), hostKey, clientKey.publicKey());
        Path client = Files.createDirectories(work.resolve("client"));
        key = OpenSshTools.writePrivate(client.resolve("id_ed25519"), clientKey.privateKey());
        knownHostsDir = client;
    }

    @AfterAll
    static void tearDown() {
        try {
            if (runtime != null) {
                runtime.close(); // fails the class if a process or mount is left
            }
        } finally {
            // only the images this test built
            OpenSshTools.run(List.of("buildah", "rmi", DISTROLESS));
            OpenSshTools.run(List.of("buildah", "rmi", MUSL));
            OpenSshTools.run(List.of("buildah", "rmi", DEBIAN));
        }
    }

    @Test
    void theBundleIsInTheSshdImageAndSmall() throws IOException {
        copyBundle("size");
        // the kubelet runs the init container again when it recreates the pod's sandbox: the emptyDir keeps the first copy
        Path bundle = copyBundle("size");
        long bytes;
        try (var files = Files.walk(bundle)) {
            bytes = files.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> p.toFile().length()).sum();
        }
        System.out.printf("bundle: %.1f MB in %s%n", bytes / 1e6, sshdImage);
        for (String item : List.of("sshd", "ld-linux-x86-64.so.2", "busybox", "bundle-sshd", "lib/libnss_wrapper.so",
                "lib/libc.so.6", "bin/sh")) {
            assertTrue(Files.exists(bundle.resolve(item)), item + " is in the bundle");
        }
        assertTrue(Files.isSymbolicLink(bundle.resolve("bin/sh")), "bin/sh is a relative link to busybox");
        assertEquals("../busybox", Files.readSymbolicLink(bundle.resolve("bin/sh")).toString());
        assertTrue(bytes < 25_000_000, "the bundle grew to " + bytes / 1_000_000 + " MB");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {DEBIAN, DISTROLESS, MUSL})
    void aShellInTheAppsImage(String image) throws Exception {
        String name = image.equals(DEBIAN) ? "debian" : image.equals(MUSL) ? "musl" : "distroless";
        int port = TcpProbe.freeLoopbackPort();
        Path knownHosts = knownHosts(name, port);
        // the watcher's settings, as the operator sets them in the pod (SSHD is overridden by bundle-sshd itself)
        ContainerRuntime.Container sshd = startShell(image, name, port, java.util.Map.of("SSHD", "/not/for/sessions",
                "TERMINATION_LOG", SshdLayout.STATE_DIR + "/termination-log"));
        try {
            sshd.awaitListening(port);

            // a command: the app's environment, the pod's uid, the login shell; never the loader's or wrapper's variables
            OpenSshTools.Result command = ssh(port, knownHosts, List.of(),
                    // env, not printenv: Debian's busybox has no printenv applet
                    "env | grep '^" + APP_VARIABLE + "='; id -u; readlink /proc/$$/exe; "
                            + "env | grep -c -E '^(LD_|NSS_WRAPPER)' ; echo \"not-passed:${NOT_PASSED:-unset}\"; tty; "
                            + "echo \"watcher-variables:$(env | grep -c -E '^(SSHD|TERMINATION_LOG)=')\"; true",
                    "");
            assertEquals(0, command.exitCode(), command.output() + "\nsshd:\n" + sshd.output());
            List<String> lines = command.output().lines().toList();
            assertTrue(lines.contains(APP_VARIABLE + "=" + APP_VALUE), "the app's variable reaches the session: " + command.output());
            assertTrue(lines.contains("10001"), command.output());
            assertTrue(lines.contains("0"), "no LD_* or NSS_WRAPPER_* variable in the session: " + command.output());
            assertTrue(lines.contains("not-passed:unset"), "control: a variable nobody set is absent: " + command.output());
            assertTrue(lines.contains("not a tty"), "control: no PTY without -t: " + command.output());
            assertTrue(lines.contains("watcher-variables:0"), "no SSHD or TERMINATION_LOG in the session: " + command.output());
            String shell = image.equals(DEBIAN) ? "/usr/bin/bash" : BUNDLE + "/busybox";
            assertTrue(lines.contains(shell), "login shell " + shell + ": " + command.output());
            if (image.equals(MUSL)) {
                // the image's own musl program, started from a session: the app's variable, no glibc preload
                OpenSshTools.Result app = ssh(port, knownHosts, List.of(), "/app/hello; ls /bin", "");
                assertTrue(app.output().contains("musl-app uid=10001 greeting=" + APP_VALUE + " ld_preload=unset"),
                        app.output() + "\nsshd:\n" + sshd.output());
                assertTrue(app.output().contains("No such file or directory"), "the image has no /bin: " + app.output());
            }
            if (image.equals(DISTROLESS)) {
                OpenSshTools.Result file = ssh(port, knownHosts, List.of(), "cat /app/hello.txt; ls /bin", "");
                assertTrue(file.output().contains("a file of the app"), file.output());
                assertTrue(file.output().contains("No such file or directory"), "the image has no /bin: " + file.output());
            }

            // -tt: an interactive login shell on a PTY, started in the image's working directory (the Debian image has
            // none: /, so the home), with the app's PATH and the bundle's tools even after the image's /etc/profile
            OpenSshTools.Result shellSession = ssh(port, knownHosts, List.of("-tt"), null,
                    "tty\necho shell-$((6*7))\necho \"cwd=$(pwd)\"\necho \"path=$PATH\"\nexit\n");
            assertTrue(shellSession.output().contains("/dev/pts/"), shellSession.output() + "\nsshd:\n" + sshd.output());
            assertTrue(shellSession.output().contains("shell-42"), shellSession.output());
            List<String> shellLines = shellSession.output().lines().map(String::strip).toList();
            String workingDir = image.equals(DEBIAN) ? SshdLayout.HOME_DIR : "/app";
            assertTrue(shellLines.contains("cwd=" + workingDir), "the login shell starts in " + workingDir + ": "
                    + shellSession.output());
            assertTrue(shellLines.stream().anyMatch(l -> l.startsWith("path=") && l.endsWith(":" + BUNDLE + "/bin")
                    && l.contains("/usr/bin")), "the login shell keeps the app's PATH and the bundle's tools: "
                    + shellSession.output());

            // sftp through internal-sftp, into the home in the state emptyDir
            Path upload = Files.writeString(work.resolve(name + "-upload.txt"), "uploaded by sftp\n");
            OpenSshTools.Result sftp = sftp(port, knownHosts, "put " + upload + " upload.txt\nls -l upload.txt\n");
            assertEquals(0, sftp.exitCode(), sftp.output() + "\nsshd:\n" + sshd.output());
            assertEquals("uploaded by sftp\n", Files.readString(work.resolve(name + "/state/home/upload.txt")));
            // a failing transfer fails the batch, for the read-only root: EROFS, which sftp reports as "Failure" (a
            // root that were only not the user's would say "Permission denied"); the put above is its control
            OpenSshTools.Result refusedPut = sftp(port, knownHosts, "put " + upload + " /app-upload.txt\n");
            assertEquals(1, refusedPut.exitCode(), refusedPut.output());
            assertTrue(refusedPut.output().contains("dest open \"/app-upload.txt\": Failure"), refusedPut.output());

            // DisableForwarding yes: -W (a direct-tcpip channel) and -R are refused by sshd, for the same client, key
            // and port that ran the command above (controlForwardingAndEnvironmentAreWhatTheConfigSays: -W itself works)
            OpenSshTools.Result direct = ssh(port, knownHosts, List.of("-W", "127.0.0.1:" + port), null, "");
            assertEquals(255, direct.exitCode(), direct.output());
            assertTrue(direct.output().contains(SessionUser.FORWARD_REFUSED), direct.output());
            assertFalse(direct.output().contains("SSH-2.0-"), direct.output());
            int listenPort = TcpProbe.freeLoopbackPort();
            OpenSshTools.Result remote = ssh(port, knownHosts, List.of("-N", "-o", "ExitOnForwardFailure=yes",
                    "-R", "127.0.0.1:" + listenPort + ":127.0.0.1:" + port), null, "");
            assertEquals(255, remote.exitCode(), remote.output());
            assertTrue(remote.output().contains("Error: remote port forwarding failed for listen port " + listenPort),
                    remote.output());
        } finally {
            sshd.stop(Duration.ofSeconds(5));
        }
        assertTrue(sshd.output().contains("Accepted publickey for tunnel"), sshd.output());
    }

    /** Shell mode without fromDeployment: the same bundle in our toolbox image; bash is the login shell, its tools on PATH. */
    @Test
    void aShellInTheToolboxImage() throws Exception {
        int port = TcpProbe.freeLoopbackPort();
        Path knownHosts = knownHosts("toolbox", port);
        ContainerRuntime.Container sshd = startShell(toolboxImage, "toolbox", port);
        try {
            sshd.awaitListening(port);
            OpenSshTools.Result command = ssh(port, knownHosts, List.of(),
                    "id -un; id -u; readlink /proc/$$/exe; for tool in curl psql kdig nc; do command -v $tool; done", "");
            assertEquals(0, command.exitCode(), command.output() + "\nsshd:\n" + sshd.output());
            List<String> lines = command.output().lines().toList();
            // the image's own passwd entry: sessions run without the bundle's nss_wrapper
            assertTrue(lines.contains("tunnel"), command.output());
            assertTrue(lines.contains("10001"), command.output());
            assertTrue(lines.contains("/usr/bin/bash"), "the toolbox's bash is the login shell: " + command.output());
            assertTrue(lines.containsAll(List.of("/usr/bin/curl", "/usr/local/bin/psql", "/usr/bin/kdig", "/usr/bin/nc")),
                    "the tools are on the session's PATH: " + command.output());

            OpenSshTools.Result shellSession = ssh(port, knownHosts, List.of("-tt"), null,
                    "psql --version\necho shell-$((6*7))\nexit\n");
            assertTrue(shellSession.output().contains("psql (PostgreSQL) 15."), shellSession.output() + "\nsshd:\n" + sshd.output());
            assertTrue(shellSession.output().contains("shell-42"), shellSession.output());
        } finally {
            sshd.stop(Duration.ofSeconds(5));
        }
        assertTrue(sshd.output().contains("Accepted publickey for tunnel"), sshd.output());
    }

    /** The controls of the mechanisms themselves: the same bundle with forwarding allowed and no user environment. */
    @Test
    void controlForwardingAndEnvironmentAreWhatTheConfigSays() throws Exception {
        int port = TcpProbe.freeLoopbackPort();
        Path knownHosts = knownHosts("control", port);
        ContainerRuntime.Container sshd = startShell(DEBIAN, "control", port,
                "-o", "DisableForwarding=no", "-o", "AllowTcpForwarding=yes", "-o", "PermitOpen=any",
                "-o", "PermitUserEnvironment=no");
        try {
            sshd.awaitListening(port);
            OpenSshTools.Result direct = ssh(port, knownHosts, List.of("-W", "127.0.0.1:" + port), null, "");
            assertTrue(direct.output().contains("SSH-2.0-OpenSSH_9.2"), "forwarding works once allowed: " + direct.output());
            OpenSshTools.Result env = ssh(port, knownHosts, List.of(), "env | grep '^" + APP_VARIABLE + "=' || echo absent", "");
            assertTrue(env.output().lines().toList().contains("absent"),
                    "without PermitUserEnvironment the app's variable is gone: " + env.output());
        } finally {
            sshd.stop(Duration.ofSeconds(5));
        }
    }

    /**
     * A musl image made here (Alpine cannot be pulled): Debian's musl and musl-dev unpacked from {@code apt-get
     * download} (nothing installed on the machine), a small C program linked against them with musl's gcc specs, and
     * an image FROM scratch with musl's loader at /lib/ld-musl-x86_64.so.1 and that program: no shell, no glibc.
     */
    private static void buildMuslImage(Path dir) throws Exception {
        Files.writeString(dir.resolve("hello.c"), """
                #include <stdio.h>
                #include <stdlib.h>
                #include <unistd.h>
                int main(void) {
                    const char *v = getenv("APP_GREETING");
                    printf("musl-app uid=%d greeting=%s ld_preload=%s\\n", (int) getuid(), v ? v : "unset",
                           getenv("LD_PRELOAD") ? "set" : "unset");
                    return 0;
                }
                """);
        MuslToolchain.unpack(dir);
        OpenSshTools.Result built = OpenSshTools.run(List.of("bash", "-euc", """
                cd "$1"
                gcc -specs="$PWD/musl.specs" -O2 -s -o hello hello.c
                mkdir -p image/lib image/app
                cp -L root/lib/ld-musl-x86_64.so.1 image/lib/ld-musl-x86_64.so.1
                cp hello image/app/hello
                ctr=$(buildah from scratch)
                trap 'buildah rm "$ctr" >/dev/null' EXIT
                buildah copy --quiet "$ctr" image/ / >/dev/null
                buildah config --user 10001:10001 --workingdir /app "$ctr"
                buildah commit --quiet "$ctr" "$2" >/dev/null
                """, "musl-image", dir.toString(), MUSL));
        assertEquals(0, built.exitCode(), "building the musl image: " + built.output());
    }

    /** Tunnel mode's watcher runs on the bundle's busybox too: the session ends when its connection closes. */
    @Test
    void endsOnDisconnectInAnImageWithoutShell() throws Exception {
        int port = TcpProbe.freeLoopbackPort();
        Path knownHosts = knownHosts("disconnect", port);
        // TERMINATION_LOG as the operator sets it, here a file in the state dir (it exists and is writable, as the
        // kubelet's /dev/termination-log is): the control that the watcher reads the variable kept out of sessions
        Path terminationLog = Files.createDirectories(work.resolve("disconnect/state")).resolve("termination-log");
        Files.createFile(terminationLog);
        Files.setPosixFilePermissions(terminationLog, PosixFilePermissions.fromString("rw-rw-rw-"));
        ContainerRuntime.Container sshd = startShell(DISTROLESS, "disconnect", port,
                java.util.Map.of("TUNNEL_END_ON_DISCONNECT", "true",
                        "TERMINATION_LOG", SshdLayout.STATE_DIR + "/termination-log"));
        try {
            sshd.awaitListening(port);
            Thread.sleep(2000);
            assertTrue(sshd.isRunning(), "control: no login yet, no end: " + sshd.output());
            OpenSshTools.Result command = ssh(port, knownHosts, List.of(), "echo bye", "");
            assertEquals(0, command.exitCode(), command.output() + "\nsshd:\n" + sshd.output());
            awaitEnd(sshd, Duration.ofSeconds(15));
            assertTrue(sshd.output().contains("Disconnected: the SSH connection closed"), sshd.output());
            assertEquals("Disconnected: the SSH connection closed\n",
                    Files.readString(terminationLog));
        } finally {
            sshd.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void endsWhenIdleInAnImageWithoutShell() throws Exception {
        int port = TcpProbe.freeLoopbackPort();
        ContainerRuntime.Container sshd = startShell(MUSL, "idle", port,
                java.util.Map.of("TUNNEL_IDLE_TIMEOUT_SECONDS", "3"));
        try {
            long begin = System.nanoTime();
            sshd.awaitListening(port); // a connection, closed at once: the idle time starts after it
            awaitEnd(sshd, Duration.ofSeconds(20));
            long seconds = (System.nanoTime() - begin) / 1_000_000_000L;
            assertTrue(seconds >= 2, "not before the idle timeout: " + seconds + " s");
            assertTrue(sshd.output().contains("Idle: no SSH connection for 3s"), sshd.output());
        } finally {
            sshd.stop(Duration.ofSeconds(5));
        }
    }

    private static void awaitEnd(ContainerRuntime.Container container, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (container.isRunning() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertFalse(container.isRunning(), "still running after " + timeout.toSeconds() + " s:\n" + container.output());
    }

    /**
     * The init container as the operator renders it (SshdDeployment): our image, its own user, copies the bundle into
     * the emptyDir mounted at the bundle's path, a root-owned 0777 directory that this user cannot set times or modes on.
     */
    private static Path copyBundle(String name) {
        Path shared = work.resolve(name).resolve("shared").resolve("bundle");
        ContainerRuntime.Result copy = runtime.run(new RunSpec(sshdImage, name + "-init").restricted().readOnlyRoot()
                .emptyDir(shared, BUNDLE).args("cp", "-Rf", "/opt/tunnel-bundle/.", BUNDLE + "/"), Duration.ofSeconds(60));
        assertEquals(0, copy.exitCode(), copy.output());
        return shared;
    }

    /** The app's container: the app's image and environment, our bundle instead of its command. */
    private static ContainerRuntime.Container startShell(String image, String name, int port, String... sshdArgs) {
        return startShell(image, name, port, java.util.Map.of(), sshdArgs);
    }

    private static ContainerRuntime.Container startShell(String image, String name, int port,
            java.util.Map<String, String> env, String... sshdArgs) {
        copyBundle(name);
        List<String> args = new ArrayList<>(List.of(BUNDLE + "/busybox", "sh", BUNDLE + "/bundle-sshd",
                "-o", "ListenAddress=127.0.0.1:" + port));
        args.addAll(List.of(sshdArgs));
        RunSpec spec = new RunSpec(image, name + "-shell");
        env.forEach(spec::env);
        // the watcher counts connections to this port (the host's network here, so not 2222)
        return runtime.start(spec.restricted().readOnlyRoot().hostNetwork()
                .env(APP_VARIABLE, APP_VALUE).env("TUNNEL_SSHD_PORT", String.valueOf(port))
                .bindReadOnly(work.resolve(name).resolve("shared").resolve("bundle"), BUNDLE)
                .bindReadOnly(config, SshdLayout.CONFIG_DIR)
                .emptyDir(work.resolve(name).resolve("state"), SshdLayout.STATE_DIR)
                .args(args.toArray(String[]::new)));
    }

    /** What the operator's Shell mode is to render: the Tunnel mode's authentication, all forwarding off. */
    /** What the operator renders for a Shell session (its Port is overridden by the test's ListenAddress). */
    private static String shellConfig() {
        return SshdConfigRenderer.renderShell("shell-bundle-it/shell");
    }

    /** The Secret's items as its volume shows them: root-owned, group 10001, mode 0440. */
    private static Path credentials(Path dir, String sshdConfig, SshKeyPair host, String authorizedKey) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("sshd_config"), sshdConfig);
        Files.writeString(dir.resolve("ssh_host_ed25519_key"), host.privateKey());
        Files.writeString(dir.resolve("authorized_keys"), authorizedKey + "\n");
        for (String item : List.of("sshd_config", "ssh_host_ed25519_key", "authorized_keys")) {
            Files.setAttribute(dir.resolve(item), "unix:gid", SshdLayout.UID);
            Files.setPosixFilePermissions(dir.resolve(item), PosixFilePermissions.fromString("r--r-----"));
        }
        return dir;
    }

    private static Path knownHosts(String name, int port) throws IOException {
        return Files.writeString(knownHostsDir.resolve(name + "-known_hosts"),
                KnownHosts.line("127.0.0.1", port, hostKey.publicKey()) + "\n");
    }

    private static List<String> sshBase(String tool, int port, Path knownHosts) {
        return new ArrayList<>(List.of(tool, "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=" + knownHosts, "-o", "IdentitiesOnly=yes", "-i", key.toString(),
                "-o", "ConnectTimeout=5"));
    }

    private static OpenSshTools.Result ssh(int port, Path knownHosts, List<String> options, String command, String stdin)
            throws Exception {
        List<String> args = sshBase("ssh", port, knownHosts);
        args.addAll(List.of("-p", String.valueOf(port)));
        args.addAll(options);
        args.add(SshdLayout.USERNAME + "@127.0.0.1");
        if (command != null) {
            args.add(command);
        }
        return SessionUser.run(args, stdin);
    }

    private static OpenSshTools.Result sftp(int port, Path knownHosts, String batch) throws Exception {
        List<String> args = sshBase("sftp", port, knownHosts);
        args.addAll(List.of("-P", String.valueOf(port), "-b", "-", SshdLayout.USERNAME + "@127.0.0.1"));
        return SessionUser.run(args, batch);
    }



}
