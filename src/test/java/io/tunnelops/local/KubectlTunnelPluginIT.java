package io.tunnelops.local;

import static io.tunnelops.local.LocalModeIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tunnelops.testing.Kubectl;
import io.tunnelops.testing.OpenSshTools;
import io.tunnelops.testing.TcpProbe;

/**
 * The {@code kubectl tunnel} plugin ({@code bin/kubectl-tunnel}) against real sessions of local mode ({@link LocalCluster}:
 * embedded API, the real operator, each sshd in a network namespace, the Service echo on port 7000), run as users run
 * it: {@code kubectl tunnel ...} with bin/ on the PATH (kubectl execs the script, so the process is the plugin). Data goes
 * through the addresses it prints; a dropped connection (its ssh child killed by pid) comes back; the session's end
 * stops it with the reason and exit code 5; its temporary credentials are gone after every exit. Needs root, kubectl,
 * OpenSSH and script(1).
 */
class KubectlTunnelPluginIT {

    private static final Path STATE = Path.of("target/kubectl-tunnel-it").toAbsolutePath();
    private static final Path PODS = Path.of("/var/lib/tunnel-operator-local/kubectl-tunnel-it-" + ProcessHandle.current().pid());
    private static final Path BIN = Path.of("bin").toAbsolutePath();
    private static final String ECHO_TARGET = "echo.default.svc.cluster.local:7000";

    private static KubectlLocalMode localMode;
    private static LocalCluster cluster;
    private static Kubectl kubectl;
    private static final List<Process> started = new ArrayList<>();
    private static int runs;

    @BeforeAll
    static void startLocalCluster() throws IOException {
        localMode = KubectlLocalMode.start(STATE, PODS);
        cluster = localMode.cluster();
        kubectl = localMode.kubectl();
        // the script's #!/bin/sh: dash on Debian, the strictest of the usual shells
        System.out.println("kubectl tunnel: /bin/sh is " + Path.of("/bin/sh").toRealPath());
    }

    @AfterAll
    static void stopEverything() {
        started.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
        if (localMode != null) {
            localMode.close();
        }
    }

    @Test
    void createMakesASessionWaitsForReadyAndCarriesDataAtTheAddressItPrintsUntilCtrlC() throws Exception {
        int port = TcpProbe.freeLoopbackPort();
        // started as a terminal's shell starts a command: SIGINT not ignored, whatever the test runner inherited
        Plugin plugin = Plugin.startWithCtrlC("create", "svc/echo:7000", "--name", "plugin-create", "--ttl", "10m",
                "--idle", "10m", "--local-port", String.valueOf(port));
        await(Duration.ofSeconds(60), () -> flows(port) || !plugin.process.isAlive(), "data through the created tunnel");
        double toData = plugin.secondsSinceStart();
        assertTrue(plugin.process.isAlive(), plugin.output());
        System.out.printf("kubectl tunnel: create to data flowing in %.1f s%n", toData);

        assertTrue(plugin.output().contains("Forwarding from 127.0.0.1:" + port + " -> " + ECHO_TARGET + "\n"),
                plugin.output());
        assertTrue(plugin.output().contains("connected to session default/plugin-create"), plugin.output());
        assertEquals("echo 10m 10m Tunnel", kubectl.succeed("get", "ts", "plugin-create", "-o",
                "jsonpath={.spec.target.service} {.spec.ttl} {.spec.idleTimeout} {.spec.mode}"));
        String message = "hello through kubectl tunnel\n".repeat(1000);
        assertEquals(message, TcpProbe.roundTrip(port, message));

        // the credentials: one private directory, private files, and never on the terminal
        Path credentials = plugin.onlyTemporaryDirectory();
        assertEquals("rwx------", permissions(credentials));
        try (Stream<Path> files = Files.list(credentials)) {
            List<Path> all = files.toList();
            assertTrue(all.contains(credentials.resolve("id_ed25519")) && all.contains(credentials.resolve("known_hosts")),
                    all.toString());
            all.forEach(f -> assertEquals("rw-------", permissions(f), f.toString()));
        }
        ProcessHandle ssh = plugin.sshChild();

        plugin.signal("INT");
        assertEquals(130, plugin.exitCode(Duration.ofSeconds(15)), plugin.output());
        assertTrue(plugin.output().contains("stopped. Session default/plugin-create stays until "), plugin.output());
        assertTrue(plugin.output().contains("kubectl tunnel connect plugin-create -n default"), plugin.output());
        await(Duration.ofSeconds(5), () -> !ssh.isAlive(), "the plugin's ssh to end with it");
        plugin.assertNoTemporaryFilesLeft();
        assertNoKeyMaterial(plugin.output());
        assertEquals("Ready", phase("plugin-create"), "Ctrl-C leaves the session (no --rm)");
        kubectl.succeed("delete", "ts", "plugin-create");
    }

    @Test
    void connectReconnectsWhenItsConnectionDropsAndStopsWhenTheSessionIsDeleted() throws Exception {
        Connection connection = connected("plugin-connect", "ttl: 10m");
        Plugin plugin = connection.plugin();
        int port = connection.port();
        System.out.printf("kubectl tunnel: connect to data flowing in %.1f s%n", plugin.secondsSinceStart());

        // the connection drops: its ssh dies (found in the plugin's own process tree, killed by pid)
        ProcessHandle first = plugin.sshChild();
        long dropped = System.nanoTime();
        assertTrue(first.destroyForcibly());
        await(Duration.ofSeconds(5), () -> !first.isAlive(), "the killed ssh to end");
        await(Duration.ofSeconds(30), () -> flows(port) || !plugin.process.isAlive(), "data through the reconnected tunnel");
        System.out.printf("kubectl tunnel: reconnected, data flowing again %.1f s after the ssh was killed%n",
                (System.nanoTime() - dropped) / 1e9);
        assertTrue(plugin.process.isAlive(), plugin.output());
        assertTrue(plugin.output().contains("connection lost (ssh exited 137); session default/plugin-connect is Ready,"
                + " reconnecting in 1s"), plugin.output());
        assertTrue(plugin.output().contains("reconnected to session default/plugin-connect"), plugin.output());
        assertNotEquals(first.pid(), plugin.sshChild().pid());
        String message = "after the reconnect\n".repeat(100);
        assertEquals(message, TcpProbe.roundTrip(port, message));

        // the session's end: deleted
        long deleted = System.nanoTime();
        kubectl.succeed("delete", "ts", "plugin-connect");
        assertEquals(5, plugin.exitCode(Duration.ofSeconds(30)), plugin.output());
        System.out.printf("kubectl tunnel: stopped %.1f s after its session was deleted%n", (System.nanoTime() - deleted) / 1e9);
        assertTrue(plugin.output().contains("error: session default/plugin-connect was deleted (end reason: Deleted). Create a"
                + " new one: kubectl tunnel create svc/echo:7000 -n default\n"), plugin.output());
        assertFalse(flows(port), "nothing listens any more");
        plugin.assertNoTemporaryFilesLeft();
        assertNoKeyMaterial(plugin.output());
    }

    @Test
    void createWithRmDeletesItsSessionWhenStoppedBySigterm() throws Exception {
        int port = TcpProbe.freeLoopbackPort();
        Plugin plugin = Plugin.start("create", "svc/echo:7000", "--name", "plugin-rm", "--rm", "--local-port",
                String.valueOf(port));
        await(Duration.ofSeconds(60), () -> flows(port) || !plugin.process.isAlive(), "data through the created tunnel");
        ProcessHandle ssh = plugin.sshChild();
        plugin.process.destroy(); // SIGTERM
        assertEquals(143, plugin.exitCode(Duration.ofSeconds(15)), plugin.output());
        assertTrue(plugin.output().contains("kubectl tunnel: deleted session plugin-rm (--rm)"), plugin.output());
        assertFalse(ssh.isAlive());
        // the operator's finalizer goes first: the session is gone once the operator has cleaned up after it
        await(Duration.ofSeconds(15), () -> kubectl.run("get", "ts", "plugin-rm").stderr().contains("(NotFound)"),
                "the session to be deleted");
        plugin.assertNoTemporaryFilesLeft();
    }

    @Test
    void whileTheApiServerCannotBeReachedTheTunnelWaitsAndComesBack() throws Exception {
        applySession("plugin-blip", "ttl: 10m");
        kubectl.succeed("wait", "--for=condition=Ready", "ts/plugin-blip", "--timeout=60s");
        // a kubectl that answers as kubectl does while the API server is down, as long as the file "down" exists
        Path down = STATE.resolve("api-server-down");
        String refused = "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?";
        Path wrapper = kubectlAnsweringFirst("unreachable-kubectl", """
                if [ -e '%s' ]; then echo '%s' >&2; exit 1; fi
                """.formatted(down, refused));
        int port = TcpProbe.freeLoopbackPort();
        Plugin plugin = Plugin.start(wrapper + ":" + BIN + ":" + System.getenv("PATH"), List.of(
                BIN.resolve("kubectl-tunnel").toString(), "connect", "plugin-blip", "--local-port", String.valueOf(port)));
        await(Duration.ofSeconds(30), () -> flows(port) || !plugin.process.isAlive(), "data through connect");

        Files.writeString(down, "");
        assertTrue(plugin.sshChild().destroyForcibly());
        await(Duration.ofSeconds(30), () -> plugin.output().contains("cannot read session default/plugin-blip (" + refused
                + "); retrying in 2s") || !plugin.process.isAlive(), "the plugin to retry");
        assertTrue(plugin.process.isAlive(), plugin.output());
        Files.delete(down);
        await(Duration.ofSeconds(30), () -> flows(port) || !plugin.process.isAlive(), "data once the API answers again");
        assertTrue(plugin.output().contains("reconnected to session default/plugin-blip"), plugin.output());

        kubectl.succeed("delete", "ts", "plugin-blip");
        assertEquals(5, plugin.exitCode(Duration.ofSeconds(30)), plugin.output());
        plugin.assertNoTemporaryFilesLeft();
    }

    @Test
    void theSessionsOwnEndStopsThePluginWithItsReason() throws Exception {
        // endOnDisconnect: the first connection's end ends the session, and the plugin with it (no endless reconnects)
        Plugin plugin = connected("plugin-once", "ttl: 10m\n  endOnDisconnect: true").plugin();
        long dropped = System.nanoTime();
        assertTrue(plugin.sshChild().destroyForcibly());
        assertEquals(5, plugin.exitCode(Duration.ofSeconds(60)), plugin.output());
        System.out.printf("kubectl tunnel: stopped %.1f s after the one connection of an endOnDisconnect session dropped%n",
                (System.nanoTime() - dropped) / 1e9);
        assertEquals("Disconnected", kubectl.succeed("get", "ts", "plugin-once", "-o", "jsonpath={.status.endReason}"));
        assertTrue(plugin.output().contains("error: session default/plugin-once has ended at "), plugin.output());
        assertTrue(plugin.output().contains(": its first SSH connection closed (endOnDisconnect) (end reason: Disconnected)"),
                plugin.output());
        plugin.assertNoTemporaryFilesLeft();

        // an idle session has ended before anyone connects: connect says so at once
        applySession("plugin-idle", "ttl: 10m\n  idleTimeout: 5s");
        await(Duration.ofSeconds(60), () -> "Ended".equals(phase("plugin-idle")), "the idle session to end");
        Plugin late = Plugin.start("connect", "plugin-idle");
        assertEquals(5, late.exitCode(Duration.ofSeconds(15)), late.output());
        assertTrue(late.output().contains("error: session default/plugin-idle has ended at "), late.output());
        assertTrue(late.output().contains(": it was idle (no SSH connection for its idleTimeout) (end reason: Idle).\nAn ended"
                + " session cannot be reopened. Create a new one: kubectl tunnel create svc/echo:7000 -n default\n"), late.output());
        late.assertNoTemporaryFilesLeft();
        kubectl.succeed("delete", "ts", "plugin-once", "plugin-idle");
    }

    @Test
    void shellOpensAShellInAShellSessionAndEachCommandRefusesTheOtherMode() throws Exception {
        try {
            kubectl.succeed("apply", "-f", "examples/shell-demo.yaml");
            kubectl.succeed("wait", "--for=condition=Ready", "ts/app01-shell", "--timeout=60s");

            // in a terminal (script(1)), as a user types
            Path tmp = Plugin.freshTemporaryDirectory();
            ProcessBuilder terminal = new ProcessBuilder("script", "-qec", "kubectl tunnel shell app01-shell", "/dev/null")
                    .redirectErrorStream(true);
            Plugin.environment(terminal, tmp);
            terminal.environment().put("SHELL", "/bin/sh");
            Process shell = terminal.start();
            shell.getOutputStream().write("""
                    echo "GREETING-IS:$APP_GREETING"
                    echo "TTY-IS:$(tty)"
                    exit 3
                    """.getBytes(StandardCharsets.UTF_8));
            shell.getOutputStream().close();
            if (!shell.waitFor(30, TimeUnit.SECONDS)) {
                shell.destroyForcibly();
                fail("the shell did not end within 30 s");
            }
            // a terminal's output: carriage returns and bash's bracketed-paste switches around each line
            String output = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r", "")
                    .replaceAll("\u001B\\[\\?[0-9;]*[a-zA-Z]", "");
            assertTrue(output.contains("\nGREETING-IS:hello from app01\n"), output);
            assertTrue(output.contains("\nTTY-IS:/dev/pts/"), output);                 // ssh -t: a terminal
            assertEquals(3, shell.exitValue(), output);                                 // the remote shell's status
            assertEmpty(tmp);

            Plugin command = Plugin.start("shell", "app01-shell", "--", "echo", "from-$APP_GREETING");
            assertEquals(0, command.exitCode(Duration.ofSeconds(30)), command.output());
            assertTrue(command.output().contains("from-hello from app01\n"), command.output());
            command.assertNoTemporaryFilesLeft();

            Plugin wrongMode = Plugin.start("connect", "app01-shell");
            assertEquals(2, wrongMode.exitCode(Duration.ofSeconds(15)), wrongMode.output());
            assertTrue(wrongMode.output().contains("session default/app01-shell is a Shell session, not a tunnel: use"
                    + " kubectl tunnel shell app01-shell -n default"), wrongMode.output());
        } finally {
            // the demo's TunnelPolicy in namespace default would deny the other tests' tunnels to echo
            kubectl.run("delete", "-f", "examples/shell-demo.yaml", "--ignore-not-found");
        }
        applySession("plugin-not-a-shell", "ttl: 10m");
        Plugin wrongMode = Plugin.start("shell", "plugin-not-a-shell");
        assertEquals(2, wrongMode.exitCode(Duration.ofSeconds(15)), wrongMode.output());
        assertTrue(wrongMode.output().contains("is a Tunnel session, not a shell: use kubectl tunnel connect"
                + " plugin-not-a-shell -n default"), wrongMode.output());
        kubectl.succeed("delete", "ts", "plugin-not-a-shell");
    }

    @Test
    void sshConfigSavesTheCredentialsWhereAskedAndPrintsAHostBlockThatSshUses() throws Exception {
        Plugin create = Plugin.start("create", "svc/echo:7000", "--name", "plugin-config", "--no-connect");
        assertEquals(0, create.exitCode(Duration.ofSeconds(60)), create.output());
        assertTrue(create.output().contains("session default/plugin-config is Ready (expires "), create.output());
        create.assertNoTemporaryFilesLeft();

        int port = TcpProbe.freeLoopbackPort();
        Path dir = STATE.resolve("ssh-config-" + System.nanoTime());
        Plugin config = Plugin.start("ssh-config", "plugin-config", "--dir", dir.toString(), "--local-port", String.valueOf(port));
        assertEquals(0, config.exitCode(Duration.ofSeconds(30)), config.output());
        String block = config.stdout();
        String endpoint = kubectl.succeed("get", "ts", "plugin-config", "-o", "jsonpath={.status.endpoint.host}");
        assertTrue(block.contains("""
                Host plugin-config
                  HostName %s
                  Port 2222
                  User tunnel
                  IdentityFile "%s/id_ed25519"
                  IdentitiesOnly yes
                  UserKnownHostsFile "%s/known_hosts"
                  StrictHostKeyChecking yes
                  RequestTTY no
                  ExitOnForwardFailure yes
                  LocalForward %d %s
                """.formatted(endpoint, dir, dir, port, ECHO_TARGET)), block);
        assertNoKeyMaterial(block);
        assertEquals("rwx------", permissions(dir));
        for (String file : List.of("id_ed25519", "known_hosts", "ssh_config")) {
            assertEquals("rw-------", permissions(dir.resolve(file)), file);
        }
        assertEquals(block, Files.readString(dir.resolve("ssh_config")));

        // another tool: plain ssh with the printed block, nothing else
        Path printed = Files.writeString(STATE.resolve("printed-ssh-config"), block);
        Process ssh = new ProcessBuilder("ssh", "-F", printed.toString(), "-N", "-o", "BatchMode=yes", "plugin-config")
                .redirectErrorStream(true).start();
        started.add(ssh);
        await(Duration.ofSeconds(15), () -> flows(port) || !ssh.isAlive(), "data through ssh -F");
        assertTrue(ssh.isAlive(), () -> new String(readAll(ssh), StandardCharsets.UTF_8));
        ssh.destroy();
        kubectl.succeed("delete", "ts", "plugin-config");
        SshdContainer.deleteTree(dir);
    }

    @Test
    void listShowsEachSessionsModeTargetPhaseEndpointAndExpiry() throws Exception {
        Plugin create = Plugin.start("create", "svc/echo:7000", "--name", "plugin-list", "--ttl", "20m", "--no-connect");
        assertEquals(0, create.exitCode(Duration.ofSeconds(60)), create.output());
        Plugin list = Plugin.start("list");
        assertEquals(0, list.exitCode(Duration.ofSeconds(15)), list.output());
        List<List<String>> table = EmbeddedApiServerTest.columns(list.stdout());
        assertEquals(List.of("NAME", "MODE", "TARGET", "PHASE", "ENDPOINT", "EXPIRES", "AGE"), table.get(0));
        List<String> row = table.stream().filter(r -> r.get(0).equals("plugin-list")).findFirst().orElseThrow();
        assertEquals(List.of("plugin-list", "Tunnel", "service/echo:7000", "Ready"), row.subList(0, 4), list.stdout());
        assertTrue(row.get(4).matches("100\\.\\d+\\.\\d+\\.\\d+:2222"), row.toString());
        assertEquals(kubectl.succeed("get", "ts", "plugin-list", "-o", "jsonpath={.status.expiresAt}"), row.get(5));
        kubectl.succeed("delete", "ts", "plugin-list");

        Plugin empty = Plugin.start("list", "-n", "kube-system");
        assertEquals(0, empty.exitCode(Duration.ofSeconds(15)), empty.output());
        assertEquals("No resources found in kube-system namespace.\n", empty.output());
    }

    @Test
    void aSessionThatCannotBeUsedAndBadArgumentsSayWhyWithTheirExitCodes() throws Exception {
        Plugin notFound = Plugin.start("connect", "no-such-session");
        assertEquals(3, notFound.exitCode(Duration.ofSeconds(15)), notFound.output());
        assertEquals("""
                kubectl tunnel: error: session no-such-session not found. See the sessions with: kubectl tunnel list;
                or create one: kubectl tunnel create svc/SERVICE:PORT
                """, notFound.output());

        // Denied: a host needs a TunnelPolicy; the Ready condition's message is the news
        Plugin denied = Plugin.start("create", "db.example.internal:5432", "--name", "plugin-denied");
        assertEquals(4, denied.exitCode(Duration.ofSeconds(60)), denied.output());
        String why = kubectl.succeed("get", "ts", "plugin-denied", "-o",
                "jsonpath={.status.conditions[?(@.type==\"Ready\")].message}");
        assertTrue(why.contains("host db.example.internal needs a TunnelPolicy"), why);
        assertTrue(denied.output().contains("error: session default/plugin-denied was denied: " + why + "\nAsk your"),
                denied.output());
        Plugin deniedConnect = Plugin.start("connect", "plugin-denied");
        assertEquals(4, deniedConnect.exitCode(Duration.ofSeconds(15)), deniedConnect.output());

        // Failed: the Service does not exist
        Plugin failed = Plugin.start("create", "svc/no-such-service:5432", "--name", "plugin-failed");
        assertEquals(4, failed.exitCode(Duration.ofSeconds(60)), failed.output());
        assertTrue(failed.output().contains("error: session default/plugin-failed failed (TargetServiceNotFound): Service"
                + " \"no-such-service\" does not exist in namespace default; create it or fix spec.target.service"),
                failed.output());
        kubectl.succeed("delete", "ts", "plugin-denied", "plugin-failed");

        // bad arguments: nothing is created
        Plugin noPort = Plugin.start("create", "svc/echo");
        assertEquals(2, noPort.exitCode(Duration.ofSeconds(15)), noPort.output());
        assertEquals("kubectl tunnel: error: target svc/echo has no port: svc/NAME:PORT or HOST:PORT (see: kubectl tunnel"
                + " create --help)\n", noPort.output());
        Plugin twoNames = Plugin.start("connect", "a", "b");
        assertEquals(2, twoNames.exitCode(Duration.ofSeconds(15)), twoNames.output());
        assertTrue(twoNames.output().contains("unexpected argument b"), twoNames.output());
        assertFalse(kubectl.succeed("get", "ts", "-o", "name").contains("/echo-"), "no session was created");
    }

    @Test
    void connectingFailuresSayWhatToDoWithTheirExitCodes() throws Exception {
        // Forbidden: RBAC refuses the Secret (the embedded API has no RBAC: a kubectl that answers as a real one would)
        applySession("plugin-failing", "ttl: 10m");
        kubectl.succeed("wait", "--for=condition=Ready", "ts/plugin-failing", "--timeout=60s");
        String forbidden = "Error from server (Forbidden): secrets \"plugin-failing-ssh\" is forbidden: User \"dev\""
                + " cannot get resource \"secrets\" in API group \"\" in the namespace \"default\"";
        Path rbac = kubectlAnsweringFirst("forbidding-kubectl", """
                for arg in "$@"; do
                    if [ "$arg" = secret ]; then echo '%s' >&2; exit 1; fi
                done
                """.formatted(forbidden));
        Plugin noSecret = Plugin.start(rbac + ":" + BIN + ":" + System.getenv("PATH"),
                List.of(BIN.resolve("kubectl-tunnel").toString(), "connect", "plugin-failing"));
        assertEquals(6, noSecret.exitCode(Duration.ofSeconds(15)), noSecret.output());
        assertTrue(noSecret.output().contains("error: no permission to read the Secret plugin-failing-ssh (the session's key"
                + " and known_hosts):\n  " + forbidden + "\nAsk whoever administers the namespace"), noSecret.output());
        assertTrue(noSecret.output().contains("examples/rbac/"), noSecret.output());
        noSecret.assertNoTemporaryFilesLeft();

        // another host key than the session's: ssh refuses, the plugin stops (no retry, nothing trusted on first use)
        Path otherKey = STATE.resolve("other-host-key-" + System.nanoTime());
        OpenSshTools.succeed("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", otherKey.toString());
        String endpoint = kubectl.succeed("get", "ts", "plugin-failing", "-o", "jsonpath={.status.endpoint.host}");
        String otherPublic = Files.readString(Path.of(otherKey + ".pub")).split(" ")[1];
        Path impostor = kubectlAnsweringFirst("impostor-kubectl", """
                case "$*" in
                    *'index .data "known_hosts"'*) echo '[%s]:2222 ssh-ed25519 %s'; exit 0 ;;
                esac
                """.formatted(endpoint, otherPublic));
        int unused = TcpProbe.freeLoopbackPort();
        Plugin mismatch = Plugin.start(impostor + ":" + BIN + ":" + System.getenv("PATH"),
                List.of(BIN.resolve("kubectl-tunnel").toString(), "connect", "plugin-failing", "--local-port",
                        String.valueOf(unused)));
        assertEquals(1, mismatch.exitCode(Duration.ofSeconds(30)), mismatch.output());
        String fingerprint = kubectl.succeed("get", "ts", "plugin-failing", "-o", "jsonpath={.status.hostKeyFingerprint}");
        assertTrue(mismatch.output().contains("Host key verification failed."), mismatch.output());
        assertTrue(mismatch.output().contains("error: the sshd at " + endpoint + ":2222 did not show session"
                + " default/plugin-failing's host key (" + fingerprint + ");\nnot connecting."), mismatch.output());
        assertFalse(mismatch.output().contains("Forwarding from"), mismatch.output());
        mismatch.assertNoTemporaryFilesLeft();

        // the local port is taken
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Plugin busy = Plugin.start("connect", "plugin-failing", "--local-port", String.valueOf(taken.getLocalPort()));
            assertEquals(1, busy.exitCode(Duration.ofSeconds(30)), busy.output());
            assertTrue(busy.output().contains("error: cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (in use on this"
                    + " machine?).\nChoose another local port: kubectl tunnel connect plugin-failing -n default --local-port"
                    + " PORT"), busy.output());
            busy.assertNoTemporaryFilesLeft();
        }

        // ssh missing: a PATH with everything of this machine's but ssh
        Path noSsh = pathWithout("ssh");
        Plugin sshMissing = Plugin.start(noSsh.toString(), List.of(BIN.resolve("kubectl-tunnel").toString(), "connect",
                "plugin-failing"));
        assertEquals(7, sshMissing.exitCode(Duration.ofSeconds(15)), sshMissing.output());
        assertEquals("""
                kubectl tunnel: error: ssh not found on PATH. Install OpenSSH's client
                (Debian/Ubuntu: apt-get install openssh-client; Fedora: dnf install openssh-clients; macOS has it).
                """, sshMissing.output());
        kubectl.succeed("delete", "ts", "plugin-failing");
    }

    // ---- the plugin as a process

    /** One run of the plugin, with its own TMPDIR (to see its temporary files) and its output in a file. */
    private record Plugin(Process process, Path tmp, Path out, Path err, long startedAt) {

        static Plugin start(String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of("kubectl", "tunnel"));
            command.addAll(Arrays.asList(args));
            return start(BIN + ":" + System.getenv("PATH"), command);
        }

        /** Through perl, which resets SIGINT to its default: a terminal's shell starts commands so, a JVM may not. */
        static Plugin startWithCtrlC(String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of("perl", "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die \"$!\"",
                    "kubectl", "tunnel"));
            command.addAll(Arrays.asList(args));
            return start(BIN + ":" + System.getenv("PATH"), command);
        }

        static Plugin start(String path, List<String> command) throws IOException {
            Path tmp = freshTemporaryDirectory();
            int run = ++runs;
            Path out = STATE.resolve("plugin-" + run + ".out");
            Path err = STATE.resolve("plugin-" + run + ".err");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            environment(builder, tmp);
            builder.environment().put("PATH", path);
            Process process = builder.start();
            process.getOutputStream().close();
            started.add(process);
            return new Plugin(process, tmp, out, err, System.nanoTime());
        }

        static Path freshTemporaryDirectory() throws IOException {
            return Files.createDirectories(STATE.resolve("tmp-" + System.nanoTime()));
        }

        static void environment(ProcessBuilder builder, Path tmp) {
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(k -> k.startsWith("KUBECTL_TUNNEL_") || k.startsWith("KUBERNETES_"));
            env.put("KUBECONFIG", cluster.kubeconfig().toString());
            env.put("KUBECACHEDIR", STATE.resolve("kube-cache").toString());
            env.put("TMPDIR", tmp.toString());
            env.put("PATH", BIN + ":" + System.getenv("PATH"));
        }

        String stdout() {
            try {
                return Files.readString(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Standard output, then standard error. */
        String output() {
            try {
                return Files.readString(out) + Files.readString(err);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        double secondsSinceStart() {
            return (System.nanoTime() - startedAt) / 1e9;
        }

        int exitCode(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("the plugin did not end within " + timeout.toSeconds() + " s: " + output());
            }
            return process.exitValue();
        }

        void signal(String name) throws Exception {
            assertEquals(0, new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start().waitFor());
        }

        /** The plugin's ssh, found in its own process tree (never by name across the machine). */
        ProcessHandle sshChild() throws InterruptedException {
            await(Duration.ofSeconds(15), () -> ssh().isPresent(), "the plugin's ssh child");
            return ssh().orElseThrow();
        }

        private Optional<ProcessHandle> ssh() {
            return process.descendants().filter(p -> p.info().command().map(c -> c.endsWith("/ssh")).orElse(false))
                    .findFirst();
        }

        Path onlyTemporaryDirectory() throws IOException {
            try (Stream<Path> entries = Files.list(tmp)) {
                List<Path> all = entries.toList();
                assertEquals(1, all.size(), all.toString());
                assertTrue(all.get(0).getFileName().toString().startsWith("kubectl-tunnel."), all.toString());
                return all.get(0);
            }
        }

        void assertNoTemporaryFilesLeft() throws IOException {
            assertEmpty(tmp);
        }
    }

    // ---- helpers

    private record Connection(Plugin plugin, int port) {
    }

    /** A Tunnel session to echo, Ready, and {@code kubectl tunnel connect} to it with data flowing. */
    private static Connection connected(String session, String specLines) throws Exception {
        applySession(session, specLines);
        kubectl.succeed("wait", "--for=condition=Ready", "ts/" + session, "--timeout=60s");
        int port = TcpProbe.freeLoopbackPort();
        Plugin plugin = Plugin.start("connect", session, "--local-port", String.valueOf(port));
        await(Duration.ofSeconds(30), () -> flows(port) || !plugin.process.isAlive(), "data through connect");
        assertTrue(plugin.process.isAlive(), plugin.output());
        return new Connection(plugin, port);
    }

    private static void applySession(String name, String specLines) {
        var result = kubectl.runWithInput("""
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: %s, namespace: default}
                spec:
                  mode: Tunnel
                  target: {service: echo, ports: [7000]}
                  %s
                """.formatted(name, specLines), "apply", "-f", "-");
        assertEquals(0, result.exitCode(), result.stderr());
    }

    private static String phase(String session) {
        return kubectl.succeed("get", "ts", session, "-o", "jsonpath={.status.phase}");
    }

    private static boolean flows(int port) {
        try {
            return "ping\n".equals(TcpProbe.roundTrip(port, "ping\n"));
        } catch (IOException e) {
            return false;
        }
    }

    private static void assertEmpty(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            assertEquals(List.of(), entries.toList(), "temporary files left in " + dir);
        }
    }

    private static void assertNoKeyMaterial(String text) {
        assertFalse(text.contains("PRIVATE KEY"), text);
        assertFalse(text.contains("ssh-ed25519 AAAA"), text);
    }

    private static String permissions(Path path) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A directory holding a "kubectl" that runs these lines of sh first, then the real kubectl with the same arguments. */
    private static Path kubectlAnsweringFirst(String name, String lines) throws IOException {
        Path dir = Files.createDirectories(STATE.resolve(name));
        Path wrapper = Files.writeString(dir.resolve("kubectl"), "#!/bin/sh\n" + lines + "exec " + onPath("kubectl")
                + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    private static String onPath(String tool) {
        return Arrays.stream(System.getenv("PATH").split(":")).map(d -> Path.of(d, tool)).filter(Files::isExecutable)
                .findFirst().orElseThrow(() -> new AssertionError(tool + " is not on the PATH")).toString();
    }

    /** A directory of links to every program on this PATH except one, to stand for a machine without it. */
    static Path pathWithout(String missing) throws IOException {
        Path dir = Files.createDirectories(STATE.resolve("path-without-" + missing + "-" + System.nanoTime()));
        for (String entry : System.getenv("PATH").split(":")) {
            Path from = Path.of(entry);
            if (!Files.isDirectory(from)) {
                continue;
            }
            try (Stream<Path> programs = Files.list(from)) {
                for (Path program : programs.toList()) {
                    Path link = dir.resolve(program.getFileName());
                    if (!program.getFileName().toString().equals(missing) && Files.isExecutable(program)
                            && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, program);
                    }
                }
            }
        }
        return dir;
    }

    private static byte[] readAll(Process process) {
        try {
            return process.getInputStream().readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
