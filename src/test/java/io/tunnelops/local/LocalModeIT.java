package io.tunnelops.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tunnelops.testing.OpenSshTools;
import io.tunnelops.testing.TcpProbe;

/**
 * Local mode end to end, as a new user meets it: {@link LocalCluster} (embedded API, the real operator from
 * target/quarkus-app, the local pod runner, the echo target), then the README's walkthrough with the real kubectl and
 * ssh, word for word, down to bytes echoed through the tunnel, and the sshd gone after the session is deleted.
 * Needs root, kubectl (Debian: kubernetes-client) and OpenSSH.
 */
class LocalModeIT {

    private static final Path STATE = Path.of("target/local-mode-it").toAbsolutePath();
    private static final Path PODS = Path.of("/var/lib/tunnel-operator-local/local-mode-it-" + ProcessHandle.current().pid());

    private static LocalCluster cluster;
    private static io.tunnelops.testing.Kubectl kubectl;
    private static long clusterStarted;
    private static Process tunnel;

    @BeforeAll
    static void startLocalCluster() throws IOException {
        io.tunnelops.testing.Kubectl.requireInstalled();
        OpenSshTools.requireTool("ssh");
        OpenSshTools.requireTool("ssh-keygen");
        Files.createDirectories(STATE);
        clusterStarted = System.nanoTime();
        cluster = LocalCluster.start(new LocalCluster.Options(0, Path.of("").toAbsolutePath(), STATE,
                PODS));
        kubectl = new io.tunnelops.testing.Kubectl(cluster.kubeconfig(), STATE.resolve("kube-cache"));
    }

    @AfterAll
    static void stopEverything() {
        if (tunnel != null) {
            tunnel.destroyForcibly();
        }
        if (cluster != null) {
            RunnerFootprint footprint = cluster.runnerFootprint();
            cluster.close();
            footprint.assertGone();
            SshdContainer.deleteTree(PODS); // the pod directories are gone with their pods; this run's root too
        }
    }

    @Test
    void theReadmeWalkthroughOpensATunnelToTheEchoServiceAndDeletingTheSessionStopsItsSshd() throws Exception {
        assertEquals("tunnelsession.tunnelops.io/echo-debug created\n",
                kubectl.succeed("apply", "-f", "examples/echo-tunnel.yaml"));
        assertEquals("tunnelsession.tunnelops.io/echo-debug condition met\n",
                kubectl.succeed("wait", "--for=condition=Ready", "ts/echo-debug", "--timeout=60s"));
        System.out.printf("local mode: cluster start to session Ready in %.1f s (cluster startup %.1f s)%n",
                (System.nanoTime() - clusterStarted) / 1e9, cluster.startupTime().toMillis() / 1000.0);

        List<List<String>> table = EmbeddedApiServerTest.columns(kubectl.succeed("get", "ts"));
        assertEquals(List.of("NAME", "MODE", "TARGET", "PHASE", "ENDPOINT", "EXPIRES", "AGE"), table.get(0));
        assertEquals(2, table.size(), table.toString());
        List<String> row = table.get(1);
        assertEquals(List.of("echo-debug", "Tunnel", "service/echo:7000", "Ready"), row.subList(0, 4));
        assertTrue(row.get(4).matches("100\\.\\d+\\.\\d+\\.\\d+:2222"), row.toString()); // the pod network
        assertTrue(row.get(6).matches("\\d+s"), row.toString());

        String sshCommand = kubectl.succeed("get", "ts", "echo-debug", "-o", "jsonpath={.status.sshCommand}");
        String endpoint = row.get(4).substring(0, row.get(4).indexOf(':'));
        assertEquals("ssh -N -L 7000:echo.default.svc.cluster.local:7000 -p 2222 tunnel@" + endpoint, sshCommand);

        // the user's files: the generated key and the published host key, nothing trusted on first use
        Path user = Files.createDirectories(STATE.resolve("user"));
        Path key = OpenSshTools.writePrivate(user.resolve("id_ed25519"), secretItem("id_ed25519"));
        Path knownHosts = Files.writeString(user.resolve("known_hosts"), secretItem("known_hosts"));
        String fingerprint = kubectl.succeed("get", "ts", "echo-debug", "-o", "jsonpath={.status.hostKeyFingerprint}");
        assertEquals(fingerprint, OpenSshTools.succeed("ssh-keygen", "-lf", knownHosts.toString()).split(" ")[1]);

        int localPort = listening(7000) ? freePort() : 7000; // keep the published port unless this machine uses it
        List<String> ssh = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-i", key.toString(),
                "-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-o", "ExitOnForwardFailure=yes"));
        List<String> published = Arrays.asList(sshCommand.split(" "));
        assertEquals("ssh", published.get(0));
        published.subList(1, published.size()).forEach(word -> ssh.add(word.startsWith("7000:")
                ? localPort + word.substring(4) : word));
        Path sshLog = user.resolve("ssh.log");
        tunnel = new ProcessBuilder(ssh).redirectErrorStream(true).redirectOutput(sshLog.toFile()).start();
        await(Duration.ofSeconds(15), () -> listening(localPort) || !tunnel.isAlive(), "ssh's local forward");
        if (!tunnel.isAlive()) {
            fail("ssh exited " + tunnel.exitValue() + ": " + Files.readString(sshLog));
        }

        String message = "hello through the tunnel\n".repeat(1000);
        assertEquals(message, roundTrip(localPort, message));

        tunnel.destroy();
        assertEquals("tunnelsession.tunnelops.io \"echo-debug\" deleted\n",
                kubectl.succeed("delete", "ts", "echo-debug"));
        await(Duration.ofSeconds(15), () -> cluster.runningSshds().isEmpty() && !accepts(endpoint, 2222),
                "the sshd to stop");
        assertEquals("service/echo\n", kubectl.succeed("get", "deployments,services,secrets", "-o", "name"),
                "the session's Deployment, Service and Secret are gone; the demo target stays");
    }

    @Test
    void theReadmeShellWalkthroughOpensAShellInTheAppsEnvironmentOnThisMachinesFilesystem() throws Exception {
        try {
            assertEquals("""
                    configmap/app01-config created
                    deployment.apps/app01 created
                    tunnelpolicy.tunnelops.io/app01-shells created
                    tunnelsession.tunnelops.io/app01-shell created
                    """, kubectl.succeed("apply", "-f", "examples/shell-demo.yaml"));
            long applied = System.nanoTime();
            assertEquals("tunnelsession.tunnelops.io/app01-shell condition met\n",
                    kubectl.succeed("wait", "--for=condition=Ready", "ts/app01-shell", "--timeout=60s"));
            System.out.printf("local mode: Shell session Ready %.1f s after apply%n", (System.nanoTime() - applied) / 1e9);
            List<String> row = EmbeddedApiServerTest.columns(kubectl.succeed("get", "ts", "app01-shell")).get(1);
            assertEquals(List.of("app01-shell", "Shell", "deployment/app01", "Ready"), row.subList(0, 4));
            String endpoint = row.get(4).substring(0, row.get(4).indexOf(':'));
            assertEquals("ssh -t -p 2222 tunnel@" + endpoint,
                    kubectl.succeed("get", "ts", "app01-shell", "-o", "jsonpath={.status.sshCommand}"));

            // the README's commands, word for word, in a terminal (script gives ssh one, as a user's shell has)
            Path user = Files.createDirectories(STATE.resolve("shell-user"));
            Path key = OpenSshTools.writePrivate(user.resolve("id_ed25519"), secretItem("app01-shell-ssh", "id_ed25519"));
            Path knownHosts = Files.writeString(user.resolve("known_hosts"), secretItem("app01-shell-ssh", "known_hosts"));
            String readmeSsh = "ssh -i id_ed25519 -o UserKnownHostsFile=known_hosts -o StrictHostKeyChecking=yes"
                    + " $(kubectl get ts app01-shell -o jsonpath='{.status.sshCommand}' | sed 's/^ssh //')";
            String typed = """
                    echo "GREETING-IS:$APP_GREETING"
                    echo "DATABASE-IS:$DATABASE_HOST"
                    echo "UID-IS:$(id -u)"
                    echo "HOST-IS:$(hostname)"
                    echo "INTERNALS:$(env | grep -c -E '^(LD_|NSS_WRAPPER_|TUNNEL_)')"
                    exec 3<>/dev/tcp/echo.default.svc.cluster.local/7000; echo "ECHO-$((6*7))" >&3; head -1 <&3; exec 3<&-
                    exit
                    """;
            String output = inTerminal(user, readmeSsh, typed);
            assertTrue(output.contains("local mode: this shell runs on this machine's filesystem, which stands in for the"
                    + " image debian:bookworm-slim"), output);
            assertTrue(output.contains("\nGREETING-IS:hello from app01\n"), output);          // env of the app
            assertTrue(output.contains("\nDATABASE-IS:db.example.internal\n"), output);      // its ConfigMap, via envFrom
            assertTrue(output.contains("\nUID-IS:10001\n"), output);                          // its runAsUser
            assertTrue(output.contains("\nHOST-IS:app01-shell-sshd-local\n"), output);        // the pod's name
            assertTrue(output.contains("\nINTERNALS:0\n"), output);
            // positive control for the refusal below: the target is reachable from the shell's pod
            assertTrue(output.contains("\nECHO-42\n"), output);

            // -L to that same target: ssh sets it up on its side, sshd refuses to open it
            int localPort = freePort();
            Process forward = new ProcessBuilder("ssh", "-F", "/dev/null", "-i", key.toString(),
                    "-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                    "-p", "2222", "-L", localPort + ":echo.default.svc.cluster.local:7000", "tunnel@" + endpoint, "sleep 5")
                    .redirectErrorStream(true).start();
            await(Duration.ofSeconds(15), () -> listening(localPort), "ssh's local forward");
            assertEquals("", nothingOrReset(localPort), "nothing comes back through a refused forward");
            forward.waitFor(15, java.util.concurrent.TimeUnit.SECONDS);
            String forwardOutput = new String(forward.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(forwardOutput.contains("open failed: administratively prohibited"), forwardOutput);
            assertTrue(Files.readString(PODS.resolve("default_app01-shell-sshd/sshd.log"))
                    .contains("refused local port forward"));

            // idle: a second shell with a short idle timeout ends by itself
            long appliedIdle = System.nanoTime(); // its pod starts after this, and its 5 s count from the pod's start
            var idle = kubectl.runWithInput("""
                    apiVersion: tunnelops.io/v1alpha1
                    kind: TunnelSession
                    metadata: {name: app01-idle, namespace: default}
                    spec: {mode: Shell, shell: {fromDeployment: app01}, ttl: 10m, idleTimeout: 5s}
                    """, "apply", "-f", "-");
            assertEquals(0, idle.exitCode(), idle.stderr());
            kubectl.succeed("wait", "--for=condition=Ready", "ts/app01-idle", "--timeout=60s");
            long ready = System.nanoTime();
            await(Duration.ofSeconds(30), () -> "Ended".equals(kubectl.succeed("get", "ts", "app01-idle", "-o",
                    "jsonpath={.status.phase}")), "the idle shell to end");
            System.out.printf("local mode: idle Shell session ended %.1f s after Ready%n", (System.nanoTime() - ready) / 1e9);
            assertEquals("Idle", kubectl.succeed("get", "ts", "app01-idle", "-o", "jsonpath={.status.endReason}"));
            assertTrue(System.nanoTime() - appliedIdle >= Duration.ofSeconds(5).toNanos(), "not before its idle timeout");
            await(Duration.ofSeconds(15), () -> !cluster.runningSshds().containsKey("default/app01-idle-sshd"),
                    "the idle shell's sshd to stop");
        } finally {
            kubectl.run("delete", "ts", "app01-idle", "--ignore-not-found");
            kubectl.run("delete", "-f", "examples/shell-demo.yaml", "--ignore-not-found");
        }
        await(Duration.ofSeconds(15), () -> cluster.runningSshds().keySet().stream().noneMatch(k -> k.startsWith("default/app01")),
                "the shells' sshd to stop");
    }

    /** Runs a command line in bash under script(1), so that ssh has a terminal, typing the given lines into it. */
    private static String inTerminal(Path dir, String commandLine, String typed) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("script", "-qec", commandLine, "/dev/null").directory(dir.toFile())
                .redirectErrorStream(true);
        builder.environment().put("KUBECONFIG", cluster.kubeconfig().toString());
        builder.environment().put("SHELL", "/bin/bash");
        Process process = builder.start();
        process.getOutputStream().write(typed.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("the shell did not end within 30 s");
        }
        // a terminal's output: carriage returns and bash's bracketed-paste switches around each line
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r", "")
                .replaceAll("\u001B\\[\\?[0-9;]*[a-zA-Z]", "");
    }

    /** What comes back through a forward; a reset (ssh closing the channel it could not open) counts as nothing. */
    private static String nothingOrReset(int port) {
        try {
            return TcpProbe.roundTrip(port, "hello\n");
        } catch (IOException e) {
            return "";
        }
    }

    private static String secretItem(String item) {
        return secretItem("echo-debug-ssh", item);
    }

    private static String secretItem(String secret, String item) {
        String encoded = kubectl.succeed("get", "secret", secret, "-o", "jsonpath={.data." + item.replace(".", "\\.") + "}");
        return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    }

    private static String roundTrip(int port, String message) throws IOException {
        return TcpProbe.roundTrip(port, message);
    }

    private static boolean listening(int port) {
        return accepts("127.0.0.1", port);
    }

    private static boolean accepts(String host, int port) {
        return TcpProbe.accepts(host, port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    /** Polls the condition every 100 ms until it holds, or fails naming what was awaited. */
    static void await(Duration timeout, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
