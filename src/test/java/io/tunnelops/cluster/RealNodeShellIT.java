package io.tunnelops.cluster;

import static io.tunnelops.cluster.RealNodeFixtures.apply;
import static io.tunnelops.cluster.RealNodeFixtures.assertNothingLeft;
import static io.tunnelops.cluster.RealNodeFixtures.awaitPhase;
import static io.tunnelops.cluster.RealNodeFixtures.ready;
import static io.tunnelops.cluster.RealNodeFixtures.sshdPod;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.e2e.SessionUser;
import io.tunnelops.testing.MuslToolchain;
import io.tunnelops.testing.OpenSshTools;
import io.tunnelops.testing.TcpProbe;

/**
 * Shell mode on a real node (issue 10): a Shell session's pod runs the <em>app's own image</em> with our bundled sshd,
 * admitted under the restricted Pod Security Standard, with the app's env, envFrom, Secret and ConfigMap volumes, working
 * directory and user. Three app images are built here without a Docker engine (buildah; Debian's musl unpacked from
 * {@code apt-get download}) and imported into the node's containerd: a Debian app (glibc, bash; uid from the pod's
 * runAsUser), a busybox/musl app (a static busybox as /bin/sh, musl's loader and a musl program; uid only in the
 * image's USER) and a distroless-like app ({@code FROM scratch}, one static binary, no shell; uid from the container's
 * runAsUser, a 0440 Secret readable through fsGroup). The user holds only what the session publishes (status.sshCommand,
 * the credentials Secret) and runs the real OpenSSH client.
 */
class RealNodeShellIT {

    static final int IDLE_SECONDS = 20;
    static final String BUNDLE = "/tunnel/bundle";
    static final Path PROJECT = Path.of("").toAbsolutePath();

    /**
     * An app of the test: its image, and what a shell copied from it must show.
     *
     * @param shellUid  the uid the shell must run as (the contract: the app's runAsUser, container before pod, else 10001)
     * @param workingDir where an interactive login shell starts (the app's workingDir, else the image's)
     * @param loginShell what /proc/$$/exe of the login shell is
     */
    record App(String name, String image, long shellUid, String workingDir, String loginShell) {
        String session() {
            return name + "-shell";
        }

        String mode() {
            return "shell-test-" + name;
        }

        String secret() {
            return "s3cret-of-" + name;
        }
    }

    static final App DEBIAN = new App("debian-app", "tunnelops.local/shellit-debian-app:it", 10100, "/srv/app",
            "/usr/bin/bash");
    static final App MUSL = new App("musl-app", "tunnelops.local/shellit-musl-app:it", 10001, "/app", "/bin/busybox");
    static final App DISTROLESS = new App("distroless-app", "tunnelops.local/shellit-distroless-app:it", 65532, "/app",
            BUNDLE + "/busybox");
    static final List<App> APPS = List.of(DEBIAN, MUSL, DISTROLESS);

    static RealNodeCluster cluster;
    static String ns;
    static Path work;
    static Path home;
    static final ExecutorService pool = Executors.newFixedThreadPool(4);

    @BeforeAll
    static void up() throws Exception {
        long begin = System.nanoTime();
        work = PROJECT.resolve("target/real-node-shell-it");
        io.tunnelops.testing.ContainerRuntime.deleteTree(work);
        Files.createDirectories(work);
        home = Files.createDirectories(work.resolve("users"));
        // buildah while the cluster starts: they share nothing
        Future<Map<App, Path>> images = pool.submit(() -> buildAppImages(Files.createDirectories(work.resolve("images"))));
        cluster = RealNodeCluster.shared();
        long clusterUp = System.nanoTime();
        Map<App, Path> archives = images.get(10, TimeUnit.MINUTES);
        long built = System.nanoTime();
        for (Path archive : archives.values()) {
            cluster.ctr("images", "import", archive.toString());
        }
        long imported = System.nanoTime();
        ns = cluster.namespace("node-shell");
        for (App app : APPS) {
            apply(ns, appObjects(app));
        }
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelPolicy
                metadata: {name: shells}
                spec:
                  modes: [Tunnel, Shell]
                  shellApps: {deployments: [%s, %s, %s]}
                """.formatted(DEBIAN.name(), MUSL.name(), DISTROLESS.name()));
        for (App app : APPS) {
            cluster.kubectl().succeed("rollout", "status", "-n", ns, "deployment/" + app.name(), "--timeout=120s");
        }
        System.out.printf("real node shell: cluster %.1f s (images built alongside, ready %.1f s after it), imported "
                + "%.1f s, apps rolled out %.1f s; total %.1f s%n", (clusterUp - begin) / 1e9, (built - clusterUp) / 1e9,
                (imported - built) / 1e9, (System.nanoTime() - imported) / 1e9, (System.nanoTime() - begin) / 1e9);
    }

    @AfterAll
    static void removeImages() {
        pool.shutdownNow();
        // only the images this test built (the node's containerd goes with the cluster)
        for (App app : APPS) {
            OpenSshTools.run(List.of("buildah", "rmi", app.image()));
        }
    }

    /** The three apps at once: each one's session, checks and idle end (20 s) overlap with the others'. */
    @Test
    void eachAppGetsAShellInItsOwnImageAndEnvironmentWhileTheAppIsUntouched() throws Exception {
        Map<App, AppState> before = new java.util.LinkedHashMap<>();
        for (App app : APPS) {
            before.put(app, AppState.of(ns, app.name()));
        }
        List<Future<String>> results = new ArrayList<>();
        for (App app : APPS) {
            results.add(pool.submit(() -> shellOf(app)));
        }
        List<Executable> checks = new ArrayList<>();
        for (Future<String> result : results) {
            checks.add(() -> System.out.println(unwrap(result)));
        }
        org.junit.jupiter.api.Assertions.assertAll(checks);
        // the apps' own pods never restarted, nor were they replaced; their Deployments were never written to
        for (App app : APPS) {
            AppState after = AppState.of(ns, app.name());
            assertEquals(before.get(app), after, app.name() + " changed while its shell ran");
            assertEquals(0, after.restarts(), app.name() + "'s pod restarted");
        }
    }

    /** The toolbox shell (no fromDeployment): our toolbox image (RealNodeCluster imports it) with the same bundle. */
    @Test
    void aToolboxShellWithoutAnApp() throws Exception {
        long begin = System.nanoTime();
        String name = "toolbox";
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: %s}
                spec:
                  mode: Shell
                  idleTimeout: %ds
                """.formatted(name, IDLE_SECONDS));
        SessionUser user = ready(ns, name, home);
        Process keep = SessionUser.start(user.ssh("-N", "-p", user.port(), "tunnel@" + user.host()),
                home.resolve(name + "-keep.log"));
        try {
            assertEquals("toolbox", jsonpath(name, "{.status.shell.source}"));
            assertEquals(RealNodeCluster.TOOLBOX_IMAGE, sshdPod(ns, name).getSpec().getContainers().get(0).getImage());
            OpenSshTools.Result shell = interactive(user, """
                    tty
                    echo "uid=$(id -u)"
                    echo "cwd=$(pwd)"
                    for t in curl kdig psql; do command -v $t >/dev/null && echo "tool=$t"; done
                    echo "login-shell=$(readlink /proc/$$/exe)"
                    exit
                    """);
            assertTrue(Pattern.compile("/dev/pts/\\d+").matcher(shell.output()).find(), shell.output());
            assertTrue(hasLine(shell, "uid=10001"), shell.output());
            // the toolbox image has no working directory: the shell starts in its home
            assertTrue(hasLine(shell, "cwd=/var/lib/tunnel/home"), shell.output());
            assertTrue(hasLine(shell, "login-shell=/usr/bin/bash"), shell.output());
            for (String tool : List.of("curl", "kdig", "psql")) {
                assertTrue(hasLine(shell, "tool=" + tool), tool + " in the toolbox: " + shell.output());
            }
        } finally {
            keep.destroy();
            keep.waitFor(10, TimeUnit.SECONDS);
        }
        TunnelSession ended = awaitPhase(ns, name, SessionPhase.Ended, Duration.ofSeconds(IDLE_SECONDS + 60));
        assertEquals(EndReason.Idle, ended.getStatus().getEndReason());
        assertNothingLeft(ns, name);
        System.out.printf("real node shell: toolbox session checked and ended in %.1f s%n", (System.nanoTime() - begin) / 1e9);
    }

    /** One app's Shell session, from apply to its idle end; returns a line of timings. */
    private static String shellOf(App app) throws Exception {
        long begin = System.nanoTime();
        String name = app.session();
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: %s}
                spec:
                  mode: Shell
                  shell: {fromDeployment: %s}
                  ttl: 30m
                  idleTimeout: %ds
                """.formatted(name, app.name(), IDLE_SECONDS));
        SessionUser user;
        try {
            user = ready(ns, name, home);
        } catch (AssertionError e) {
            // what the kubelet says about the shell pod's containers (the init container's copy included)
            throw new AssertionError(e.getMessage() + "\nshell pod containers:\n" + cluster.kubectl().run("get", "pods", "-n",
                    ns, "-l", "tunnelops.io/session=" + name, "-o", "jsonpath={range .items[*].status.initContainerStatuses[*]}"
                    + "{.name}: {.state} {.lastState}{'\\n'}{end}{range .items[*].status.containerStatuses[*]}{.name}: "
                    + "{.state} {.lastState}{'\\n'}{end}").stdout() + "logs:\n" + cluster.kubectl().run("logs", "-n", ns,
                    "deploy/" + name + "-sshd", "--all-containers").stdout(), e);
        }
        long readyAt = System.nanoTime();
        // a connection with no channel holds the idle timeout off while the checks run (they connect one by one)
        Process keep = SessionUser.start(user.ssh("-N", "-p", user.port(), "tunnel@" + user.host()),
                home.resolve(name + "-keep.log"));
        try {
            checkStatusAndPod(app, user);
            checkInteractiveShell(app, user);
            checkCommandsAndFiles(app, user);
            checkSftp(app, user);
            checkPublishedSshConfig(app);
            checkForwardingRefused(app, user);
            assertTrue(keep.isAlive(), "the held connection is still open: " + RealNodeFixtures.read(home.resolve(name
                    + "-keep.log")));
        } catch (AssertionError | Exception e) {
            throw new AssertionError(app.name() + ": " + e.getMessage() + "\nshell pod log:\n"
                    + cluster.kubectl().run("logs", "-n", ns, "deploy/" + name + "-sshd", "--all-containers").stdout(), e);
        } finally {
            keep.destroy();
            keep.waitFor(10, TimeUnit.SECONDS);
        }
        long checked = System.nanoTime();
        Instant closed = Instant.now();
        TunnelSession ended = awaitPhase(ns, name, SessionPhase.Ended, Duration.ofSeconds(IDLE_SECONDS + 60));
        assertEquals(EndReason.Idle, ended.getStatus().getEndReason(), app.name());
        String message = ended.getStatus().getConditions().get(0).getMessage();
        assertTrue(message.startsWith("Idle:"), app.name() + ": the bundle's termination message: " + message);
        Instant endedAt = Instant.parse(ended.getStatus().getEndedAt());
        assertFalse(endedAt.isBefore(closed.plusSeconds(IDLE_SECONDS - 3)), app.name() + " ended " + endedAt
                + ", its last connection closed " + closed);
        long endedNanos = System.nanoTime();
        assertNothingLeft(ns, name);
        return String.format("real node shell: %s: Ready %.1f s after apply, checks %.1f s, Ended (Idle: %s) %.1f s after "
                + "the last connection closed, nothing left %.1f s later", app.name(), (readyAt - begin) / 1e9,
                (checked - readyAt) / 1e9, message, (endedNanos - checked) / 1e9, (System.nanoTime() - endedNanos) / 1e9);
    }

    /** What the session publishes and what the pod the real admission let in looks like. */
    private static void checkStatusAndPod(App app, SessionUser user) {
        String name = app.session();
        assertEquals("deployment/" + app.name(), jsonpath(name, "{.status.shell.source}"));
        assertEquals(app.image(), jsonpath(name, "{.status.shell.image}"));
        assertEquals(String.valueOf(app.shellUid()), jsonpath(name, "{.status.shell.runAsUser}"));
        String omitted = jsonpath(name, "{.status.shell.omitted}");
        assertTrue(omitted.contains("service account token"), "the status says the token is left out: " + omitted);
        assertEquals(app == MUSL, omitted.contains("the app sets no runAsUser"), "the status says why the uid is 10001 "
                + "(only for the app whose uid is its image's USER): " + omitted);
        String sshCommand = user.session.getStatus().getSshCommand();
        assertTrue(sshCommand.startsWith("ssh -t "), "the published command opens a shell: " + sshCommand);
        assertFalse(sshCommand.contains("-L") || sshCommand.contains("-N"), sshCommand);

        // the shell's objects as first created: the passes since (pod events, Ready) read back the defaulted Deployment
        // and found nothing to change; a lossy read-back of what was taken from the app would update it every pass
        assertEquals(1L, cluster.admin().apps().deployments().inNamespace(ns).withName(name + "-sshd").get()
                .getMetadata().getGeneration(), "the shell's Deployment was updated after its creation");
        assertEquals(1L, cluster.admin().network().v1().networkPolicies().inNamespace(ns).withName(name + "-sshd").get()
                .getMetadata().getGeneration(), "the shell's NetworkPolicy was updated after its creation");

        Pod pod = sshdPod(ns, name);
        Container shell = pod.getSpec().getContainers().get(0);
        assertEquals(app.image(), shell.getImage(), "the shell runs the app's own image");
        assertEquals(Boolean.FALSE, pod.getSpec().getAutomountServiceAccountToken());
        assertEquals(Boolean.TRUE, shell.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals(0, pod.getStatus().getContainerStatuses().get(0).getRestartCount(), "the shell container restarted");
        // the app's own pod has a token (the control): the shell's does not
        Pod appPod = cluster.admin().pods().inNamespace(ns).withLabel("app", app.name()).list().getItems().get(0);
        assertTrue(appPod.getSpec().getVolumes().stream().anyMatch(v -> v.getProjected() != null
                && v.getProjected().getSources().stream().anyMatch(s -> s.getServiceAccountToken() != null)),
                "control: the app's pod mounts a service account token");
    }

    /** ssh -tt with the published command: a login shell on a PTY, in the app's working directory, with its env. */
    private static void checkInteractiveShell(App app, SessionUser user) throws Exception {
        OpenSshTools.Result shell = interactive(user, """
                tty
                echo "cwd=$(pwd)"
                echo "uid=$(id -u)"
                env | grep APP_MODE
                echo "login-shell=$(readlink /proc/$$/exe)"
                echo "token=$(ls /var/run/secrets/kubernetes.io/serviceaccount 2>/dev/null | wc -l)"
                exit
                """);
        assertTrue(Pattern.compile("/dev/pts/\\d+").matcher(shell.output()).find(), "tty on a PTY: " + shell.output());
        assertTrue(hasLine(shell, "cwd=" + app.workingDir()), "the login shell starts in the app's working directory "
                + app.workingDir() + ": " + shell.output());
        assertTrue(hasLine(shell, "uid=" + app.shellUid()), shell.output());
        assertTrue(hasLine(shell, "APP_MODE=" + app.mode()), "the ConfigMap's variable (envFrom): " + shell.output());
        assertTrue(hasLine(shell, "login-shell=" + app.loginShell()), shell.output());
        assertTrue(hasLine(shell, "token=0"), "no service account token in the shell: " + shell.output());
    }

    /** Commands without a PTY: the app's variables and files, the uid, a fresh emptyDir, a read-only root. */
    private static void checkCommandsAndFiles(App app, SessionUser user) throws Exception {
        String printenv = app == DEBIAN ? "printenv APP_MODE APP_GREETING" // busybox-static has no printenv applet
                : "env | grep -E '^(APP_MODE|APP_GREETING)=' | sort | cut -d= -f2";
        OpenSshTools.Result command = SessionUser.run(user.ssh("-p", user.port(), "tunnel@" + user.host(),
                printenv + "; echo \"uid=$(id -u)\"; cat /etc/app/secret/db-password; echo; cat /etc/app/config/app.properties; echo; "
                        + "touch /var/cache/app/written && echo cache-writable; "
                        + "touch /written-by-the-shell 2>/dev/null || echo root-read-only; tty || true"), "");
        assertEquals(0, command.exitCode(), command.output());
        List<String> lines = command.output().lines().toList();
        assertTrue(lines.contains(app.mode()), "printenv/env shows the ConfigMap's variable: " + command.output());
        assertTrue(lines.contains("hello from the deployment"), "the app's own env: " + command.output());
        assertTrue(lines.contains("uid=" + app.shellUid()), command.output());
        assertTrue(lines.contains(app.secret()), "the Secret's file at the app's path: " + command.output());
        assertTrue(lines.contains("greeting=hello " + app.name()), "the ConfigMap's file: " + command.output());
        assertTrue(lines.contains("cache-writable"), "the app's emptyDir, fresh and writable: " + command.output());
        assertTrue(lines.contains("root-read-only"), command.output());
        assertTrue(lines.contains("not a tty"), "control: no PTY without -t: " + command.output());
        if (app == MUSL) {
            // the image's own musl program, run from the shell: the app's variable, no glibc preload of ours
            OpenSshTools.Result musl = SessionUser.run(user.ssh("-p", user.port(), "tunnel@" + user.host(), "/app/hello"), "");
            assertTrue(musl.output().contains("musl-app uid=" + app.shellUid() + " mode=" + app.mode() + " ld_preload=unset"),
                    musl.output());
        }
        if (app == DISTROLESS) {
            OpenSshTools.Result noShell = SessionUser.run(user.ssh("-p", user.port(), "tunnel@" + user.host(),
                    "ls /bin; ls /app"), "");
            assertTrue(noShell.output().contains("No such file or directory"), "the image has no /bin: " + noShell.output());
            assertTrue(noShell.output().lines().anyMatch("server"::equals), noShell.output());
        }
    }

    /**
     * The Secret's ssh_config, as its own first line tells users: its items saved in one directory, then from there
     * {@code ssh -F ssh_config <session>}.
     */
    private static void checkPublishedSshConfig(App app) throws Exception {
        String name = app.session();
        Path dir = home.resolve(name); // where SessionUser saved id_ed25519 and known_hosts
        String config = ClusterFixtures.secretItems(cluster.admin(), ns, name + "-ssh").get("ssh_config");
        assertTrue(config.contains("ssh -F ssh_config " + name + "\n"), config);
        Files.writeString(dir.resolve("ssh_config"), config);
        Process ssh = new ProcessBuilder("ssh", "-F", "ssh_config", "-o", "BatchMode=yes", name, "echo \"via-ssh-config:$(id -u)\"")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        ssh.getOutputStream().close();
        assertTrue(ssh.waitFor(30, TimeUnit.SECONDS), "ssh -F ssh_config timed out");
        String output = new String(ssh.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, ssh.exitValue(), output);
        assertTrue(output.lines().anyMatch(("via-ssh-config:" + app.shellUid())::equals), output);
    }

    /** sftp (internal-sftp) puts a file into the home; a put onto the read-only root fails the batch. */
    private static void checkSftp(App app, SessionUser user) throws Exception {
        Path upload = Files.writeString(home.resolve(app.name() + "-upload.txt"), "uploaded to " + app.name() + "\n");
        OpenSshTools.Result put = sftp(user, "put " + upload + " upload.txt\n");
        assertEquals(0, put.exitCode(), put.output());
        OpenSshTools.Result read = SessionUser.run(user.ssh("-p", user.port(), "tunnel@" + user.host(),
                "cat ~/upload.txt"), "");
        assertEquals("uploaded to " + app.name() + "\n", read.output());
        // the read-only root: EROFS, which sftp reports as "Failure" (a root only not the user's: "Permission denied")
        OpenSshTools.Result refused = sftp(user, "put " + upload + " /upload.txt\n");
        assertEquals(1, refused.exitCode(), refused.output());
        assertTrue(refused.output().contains("dest open \"/upload.txt\": Failure"), refused.output());
    }

    /**
     * -L, -R and -D are refused by sshd itself (DisableForwarding yes): the client says so with sshd's reason. The
     * positive control: the same client, key, known_hosts, host and port, without a forwarding, runs a command.
     */
    private static void checkForwardingRefused(App app, SessionUser user) throws Exception {
        String to = "tunnel@" + user.host();
        OpenSshTools.Result control = SessionUser.run(user.ssh("-p", user.port(), to, "echo same-settings-work"), "");
        assertEquals(0, control.exitCode(), control.output());
        assertTrue(control.output().contains("same-settings-work"), control.output());

        // -R: the server refuses the tcpip-forward request; ExitOnForwardFailure ends the client
        OpenSshTools.Result remote = SessionUser.run(user.ssh("-N", "-p", user.port(), "-R", "8080:127.0.0.1:2222", to), "");
        assertEquals(255, remote.exitCode(), remote.output());
        assertTrue(remote.output().contains("Error: remote port forwarding failed for listen port 8080"), remote.output());

        // -L: the client listens; the first connection through it is refused by the server
        int local = TcpProbe.freeLoopbackPort();
        Path localLog = home.resolve(app.name() + "-L.log");
        Process forward = SessionUser.start(user.ssh("-N", "-p", user.port(), "-L", local + ":127.0.0.1:2222", to), localLog);
        try {
            await().atMost(20, TimeUnit.SECONDS).until(() -> TcpProbe.accepts("127.0.0.1", local) || !forward.isAlive());
            assertTrue(SessionUser.refused(local), "nothing comes back through -L");
            await().atMost(10, TimeUnit.SECONDS).until(() -> RealNodeFixtures.read(localLog).contains(
                    SessionUser.FORWARD_REFUSED));
        } finally {
            forward.destroy();
        }

        // -D: a SOCKS5 request through the client's listener is refused by the server in the same way
        int socks = TcpProbe.freeLoopbackPort();
        Path socksLog = home.resolve(app.name() + "-D.log");
        Process dynamic = SessionUser.start(user.ssh("-N", "-p", user.port(), "-D", "127.0.0.1:" + socks, to), socksLog);
        try {
            await().atMost(20, TimeUnit.SECONDS).until(() -> TcpProbe.accepts("127.0.0.1", socks) || !dynamic.isAlive());
            assertFalse(socks5Connects(socks, 2222), "a SOCKS connection through -D");
            await().atMost(10, TimeUnit.SECONDS).until(() -> RealNodeFixtures.read(socksLog).contains(
                    SessionUser.FORWARD_REFUSED));
        } finally {
            dynamic.destroy();
        }
    }

    /** A SOCKS5 CONNECT to 127.0.0.1:port (the sshd's own pod); true when the proxy says it connected. */
    private static boolean socks5Connects(int proxyPort, int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", proxyPort)) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(new byte[] {5, 1, 0});
            byte[] method = in.readNBytes(2);
            assertEquals(2, method.length);
            out.write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
            byte[] reply = in.readNBytes(2);
            return reply.length == 2 && reply[1] == 0;
        }
    }

    private static OpenSshTools.Result interactive(SessionUser user, String script) throws Exception {
        // the published command, word for word with the user's key and known_hosts, plus one more -t: stdin is no
        // terminal here, and ssh asks for a PTY anyway only with -tt
        List<String> command = new ArrayList<>(user.publishedCommand());
        command.add(command.indexOf("-t") + 1, "-t");
        return SessionUser.run(command, script);
    }

    private static OpenSshTools.Result sftp(SessionUser user, String batch) throws Exception {
        List<String> ssh = user.ssh();
        List<String> args = new ArrayList<>(List.of("sftp"));
        args.addAll(ssh.subList(1, ssh.size())); // sftp takes ssh's -F, -o and -i
        args.addAll(List.of("-P", user.port(), "-b", "-", "tunnel@" + user.host()));
        return SessionUser.run(args, batch);
    }

    /** A line of the output, as printed (a PTY ends lines with \r\n and echoes the input, which never matches). */
    private static boolean hasLine(OpenSshTools.Result result, String line) {
        return result.output().lines().map(String::strip).anyMatch(line::equals);
    }

    private static String jsonpath(String session, String path) {
        return cluster.kubectl().succeed("get", "-n", ns, "ts/" + session, "-o", "jsonpath=" + path);
    }

    private static String unwrap(Future<String> result) throws Throwable {
        try {
            return result.get(5, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw e.getCause();
        }
    }

    /** What must not change on the app while its shell runs. */
    record AppState(long generation, String resourceVersion, String podUid, int restarts) {
        static AppState of(String ns, String app) {
            Deployment deployment = cluster.admin().apps().deployments().inNamespace(ns).withName(app).get();
            List<Pod> pods = cluster.admin().pods().inNamespace(ns).withLabel("app", app).list().getItems();
            assertEquals(1, pods.size(), app + "'s pods: " + pods.stream().map(p -> p.getMetadata().getName()).toList());
            Pod pod = pods.get(0);
            int restarts = pod.getStatus().getContainerStatuses().stream().mapToInt(s -> s.getRestartCount()).sum();
            return new AppState(deployment.getMetadata().getGeneration(), deployment.getMetadata().getResourceVersion(),
                    pod.getMetadata().getUid(), restarts);
        }
    }

    /** The app's Deployment, its ConfigMaps and Secret, under the restricted profile. */
    private static String appObjects(App app) {
        // the Debian app's uid comes from the pod, the distroless one's from its container (with a 0440 Secret that only
        // its fsGroup reads), the musl one's only from its image's USER (so the shell runs as the contract's 10001)
        String podSecurity = app == DEBIAN ? "runAsUser: 10100, runAsGroup: 10100, fsGroup: 10100, "
                : app == DISTROLESS ? "fsGroup: 65532, " : "";
        String containerUser = app == DISTROLESS ? "runAsUser: 65532, " : "";
        String command = app == DEBIAN ? "[sleep, infinity]"
                : app == MUSL ? "[/bin/sh, -c, '/app/hello; exec sleep 86400']" : "[/app/server]";
        String workingDir = app == DEBIAN ? "workingDir: /srv/app" : "";
        String secretMode = app == DISTROLESS ? ", defaultMode: 0440" : "";
        return """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: %1$s-env}
                data: {APP_MODE: %2$s}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: %1$s-files}
                data: {app.properties: "greeting=hello %1$s"}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: %1$s-secret}
                stringData: {db-password: %3$s}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: %1$s, labels: {app: %1$s}}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: %1$s}}
                  template:
                    metadata: {labels: {app: %1$s}}
                    spec:
                      securityContext: {%4$srunAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
                      terminationGracePeriodSeconds: 2
                      containers:
                      - name: app
                        image: %5$s
                        imagePullPolicy: IfNotPresent
                        command: %6$s
                        %7$s
                        env: [{name: APP_GREETING, value: hello from the deployment}]
                        envFrom: [{configMapRef: {name: %1$s-env}}]
                        securityContext: {%8$sallowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
                        resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 64Mi}}
                        volumeMounts:
                        - {name: secret, mountPath: /etc/app/secret, readOnly: true}
                        - {name: files, mountPath: /etc/app/config, readOnly: true}
                        - {name: cache, mountPath: /var/cache/app}
                      volumes:
                      - {name: secret, secret: {secretName: %1$s-secret%9$s}}
                      - {name: files, configMap: {name: %1$s-files}}
                      - {name: cache, emptyDir: {}}
                """.formatted(app.name(), app.mode(), app.secret(), podSecurity, app.image(), command, workingDir,
                containerUser, secretMode);
    }

    /**
     * The three app images, made without a Docker engine and without pulling anything: buildah from our local Debian
     * base, and FROM scratch with Debian's musl (unpacked from {@code apt-get download}, nothing installed here) and the
     * machine's static busybox. Each is written to an OCI archive for the node's containerd.
     */
    static Map<App, Path> buildAppImages(Path dir) throws Exception {
        long begin = System.nanoTime();
        Files.writeString(dir.resolve("hello.c"), """
                #include <stdio.h>
                #include <stdlib.h>
                #include <unistd.h>
                int main(void) {
                    const char *v = getenv("APP_MODE");
                    printf("musl-app uid=%d mode=%s ld_preload=%s\\n", (int) getuid(), v ? v : "unset",
                           getenv("LD_PRELOAD") ? "set" : "unset");
                    return 0;
                }
                """);
        Files.writeString(dir.resolve("server.c"), """
                #include <signal.h>
                #include <stdio.h>
                #include <stdlib.h>
                #include <unistd.h>
                static void stop(int sig) { (void) sig; _exit(0); }
                int main(void) {
                    signal(SIGTERM, stop);
                    const char *v = getenv("APP_MODE");
                    printf("server uid=%d mode=%s\\n", (int) getuid(), v ? v : "unset");
                    fflush(stdout);
                    for (;;) pause();
                }
                """);
        MuslToolchain.unpack(dir);
        OpenSshTools.Result built = OpenSshTools.run(List.of("bash", "-euc", """
                cd "$1"
                gcc -specs="$PWD/musl.specs" -O2 -s -o hello hello.c
                gcc -specs="$PWD/musl.specs" -static -O2 -s -o server server.c
                file server | grep -q 'statically linked' || { file server; exit 1; }

                build() { # image, then what to do with the container
                    ctr=$(buildah from "$2")
                    trap 'buildah rm "$ctr" >/dev/null' RETURN
                    eval "$3"
                    buildah commit --quiet "$ctr" "$1" >/dev/null
                    buildah push --quiet "$1" "oci-archive:$PWD/$4.tar:$1"
                }

                # Debian: bash, coreutils; the app's directory (its workingDir comes from the Deployment)
                mkdir -p debian/srv/app && echo 'the Debian app' > debian/srv/app/README
                build "$2" localhost/debian:bookworm-slim 'buildah copy --quiet "$ctr" debian/ / >/dev/null' debian

                # busybox/musl: the machine's static busybox as /bin/sh and its applets, musl's loader and a musl program
                mkdir -p musl/bin musl/lib musl/app
                cp /bin/busybox musl/bin/busybox
                for applet in $(musl/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "musl/bin/$applet"; done
                cp -L root/lib/ld-musl-x86_64.so.1 musl/lib/ld-musl-x86_64.so.1
                cp hello musl/app/hello
                build "$3" scratch 'buildah copy --quiet "$ctr" musl/ / >/dev/null
                    buildah config --user 10200:10200 --workingdir /app --env PATH=/bin "$ctr"' musl

                # distroless-like: one static binary, no shell, no libc, no /etc
                mkdir -p distroless/app && cp server distroless/app/server
                build "$4" scratch 'buildah copy --quiet "$ctr" distroless/ / >/dev/null
                    buildah config --workingdir /app "$ctr"' distroless
                """, "app-images", dir.toString(), DEBIAN.image(), MUSL.image(), DISTROLESS.image()));
        assertEquals(0, built.exitCode(), "building the app images: " + built.output());
        System.out.printf("real node shell: app images built in %.1f s%n", (System.nanoTime() - begin) / 1e9);
        return Map.of(DEBIAN, dir.resolve("debian.tar"), MUSL, dir.resolve("musl.tar"), DISTROLESS,
                dir.resolve("distroless.tar"));
    }
}
