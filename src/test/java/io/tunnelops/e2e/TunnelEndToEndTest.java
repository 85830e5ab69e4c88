package io.tunnelops.e2e;

import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.local.LocalPodRunner;
import io.tunnelops.local.RunnerFootprint;
import io.tunnelops.session.resources.CredentialsSecret;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.tunnelops.ssh.SshKeyPair;
import io.tunnelops.testing.EchoServer;
import io.tunnelops.testing.OpenSshTools;

/**
 * The operator's output, run for real: the local pod runner starts each session's sshd with Debian's OpenSSH in a
 * network namespace of its own on the runner's bridge, and a real ssh client uses only what the session publishes.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class TunnelEndToEndTest {

    /** The runner's pods: one directory per sshd, "namespace_deployment", with the sshd's log. */
    private static final Path PODS = Path.of("/var/lib/tunnel-operator-local/e2e-" + ProcessHandle.current().pid());
    private static LocalPodRunner runner;

    @Inject
    KubernetesClient client;

    /** The user's machine: their key and known_hosts (QuarkusTest instances get no @TempDir). */
    Path dir;

    String ns;
    final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        if (runner == null) {
            runner = new LocalPodRunner(client, PODS).start();
        }
        ns = "e2e-" + UUID.randomUUID().toString().substring(0, 8);
        dir = Files.createTempDirectory("tunnel-user-");
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @AfterAll
    static void stopRunner() {
        if (runner != null) {
            RunnerFootprint footprint = RunnerFootprint.of(runner);
            runner.close();
            footprint.assertGone();
            runner = null;
        }
    }

    // ---- the stories

    @Test
    void aTunnelWithTheGeneratedKeyCarriesDataBothWaysToTheTarget() throws Exception {
        String ip = targetWithEcho("postgres", 15432);
        SessionUser user = sessionFromYaml("""
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata:
                  name: pg-debug
                spec:
                  target:
                    service: postgres
                    ports: [15432]
                  ttl: 1h
                """, null);
        assertEquals("ssh -N -L 15432:postgres." + ns + ".svc.cluster.local:15432 -p 2222 tunnel@"
                + user.host(), user.session.getStatus().getSshCommand());
        assertNotEquals(ip, user.host(), "the sshd has an address of its own");

        openTunnel(user, 15432, "-v");
        assertEquals("SELECT 1;\n", SessionUser.roundTrip(15432, "SELECT 1;\n"));
        String big = "x".repeat(200_000);
        assertEquals(big, SessionUser.roundTrip(15432, big));
        // the sshd offers AES-GCM only: a default client (chacha20-poly1305 first) gets it with the published command
        List<String> ciphers = read(dir.resolve("tunnel-15432.log")).lines().filter(l -> l.contains(" cipher: "))
                .map(l -> l.replaceFirst(".* cipher: (\\S+).*", "$1")).distinct().toList();
        assertEquals(List.of("aes128-gcm@openssh.com"), ciphers, "the negotiated ciphers, both directions");
    }

    @Test
    void aTunnelWithTheUsersOwnKeyWorksAndNoClientKeyIsPublished() throws Exception {
        targetWithEcho("web", 18080);
        Path ownKey = dir.resolve("alice");
        OpenSshTools.succeed("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice@laptop", "-f", ownKey.toString());
        String publicKey = Files.readString(Path.of(ownKey + ".pub")).strip();
        SessionUser user = sessionFromYaml("""
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata:
                  name: web-debug
                spec:
                  target: {service: web, ports: [18080]}
                  access:
                    authorizedKeys:
                      - %s
                """.formatted(publicKey), ownKey);
        assertFalse(secretItems("web-debug").containsKey(CredentialsSecret.CLIENT_KEY));

        openTunnel(user, 18080);
        assertEquals("GET / HTTP/1.0\r\n\r\n", SessionUser.roundTrip(18080, "GET / HTTP/1.0\r\n\r\n"));
    }

    @Test
    void everythingButTheTunnelIsRefused() throws Exception {
        String targetIp = targetWithEcho("postgres", 15442);
        // another port of the target's own host answers too: only the sshd stands between a forward and it
        cleanup.add(new EchoServer(targetIp, 15443));
        String otherIp = targetWithEcho("redis", 16379);
        SessionUser user = sessionFromYaml(minimalSession("locked", "postgres", 15442), null);
        String target = "postgres." + ns + ".svc.cluster.local";
        String login = "tunnel@" + user.host();

        // the positive control of each refusal below: the same argument list, key and port reach the target with -W
        var allowed = SessionUser.run(user.ssh("-p", user.port(), "-W", target + ":15442", login), "ping");
        assertEquals("ping", allowed.output());

        // another port of the same host, another host of the same machine (by name and by address), loopback
        for (String elsewhere : List.of(target + ":15443", "redis." + ns + ".svc.cluster.local:16379",
                otherIp + ":16379", "127.0.0.1:2222", "localhost:15442",
                // numeric spellings of loopback: PermitOpen compares the literal string, so none matches
                "0177.0.0.1:2222", "0x7f.1:15442", "2130706433:15442", "127.1:2222")) {
            var refused = SessionUser.run(user.ssh("-p", user.port(), "-W", elsewhere, login), "ping");
            assertEquals(255, refused.exitCode(), elsewhere + ": " + refused.output());
            assertFalse(refused.output().contains("ping"), elsewhere);
            assertTrue(refused.output().contains(SessionUser.FORWARD_REFUSED), elsewhere + ": " + refused.output());
        }
        // -L to another port of the same host, next to the permitted forward in the same client: that one carries
        // data, the other is refused by the sshd. ssh binds its forwards in order: once the second listens, both do
        // (a probe of the first would be a connection, which the sshd refuses)
        Path forwardsLog = dir.resolve("forwards.log");
        Process forwards = SessionUser.start(user.ssh("-N", "-L", "15443:" + target + ":15443",
                "-L", "15444:" + target + ":15442", "-p", user.port(), login), forwardsLog);
        cleanup.add(forwards::destroy);
        await().atMost(10, TimeUnit.SECONDS).until(() -> SessionUser.listening(15444));
        assertEquals("control\n", SessionUser.roundTrip(15444, "control\n"));
        assertFalse(read(forwardsLog).contains(SessionUser.FORWARD_REFUSED), read(forwardsLog));
        assertTrue(SessionUser.refused(15443), "the sshd must not connect a forward to another port");
        await().atMost(10, TimeUnit.SECONDS).until(() -> read(forwardsLog).contains(SessionUser.FORWARD_REFUSED));

        // remote forwarding: sshd answers the tcpip-forward request with a failure (AllowTcpForwarding local)
        var remote = SessionUser.run(user.ssh("-N", "-R", "19999:localhost:15442", "-p", user.port(), login), "");
        assertEquals(255, remote.exitCode(), remote.output());
        assertTrue(remote.output().contains("Error: remote port forwarding failed for listen port 19999"), remote.output());

        // dynamic forwarding: the target itself goes through (the control), anything else is refused by the sshd
        Path socksLog = dir.resolve("socks.log");
        Process socks = SessionUser.start(user.ssh("-N", "-D", "11080", "-p", user.port(), login), socksLog);
        cleanup.add(socks::destroy);
        await().atMost(10, TimeUnit.SECONDS).until(() -> SessionUser.listening(11080));
        assertEquals(0, socksConnect(11080, target, 15442), "the target itself is allowed through SOCKS too");
        assertFalse(read(socksLog).contains(SessionUser.FORWARD_REFUSED), read(socksLog));
        assertEquals(-1, socksConnect(11080, "redis." + ns + ".svc.cluster.local", 16379));
        await().atMost(10, TimeUnit.SECONDS).until(() -> read(socksLog).contains(SessionUser.FORWARD_REFUSED));

        // a shell, a command, sftp and scp: sshd refuses the session channel itself (MaxSessions 0), before the
        // login shell (nologin here and in the image) could; TunnelSshdLayersTest shows it for a shell that works
        var shell = SessionUser.run(user.ssh("-tt", "-p", user.port(), login), "echo SHELL-OPENED; exit\n");
        assertSessionRefused(shell, "SHELL-OPENED");
        var command = SessionUser.run(user.ssh("-p", user.port(), login, "echo", "COMMAND-RAN"), "");
        assertSessionRefused(command, "COMMAND-RAN");
        var sftp = SessionUser.run(sftp(user, "-b", "-", "-P", user.port(), login), "ls /\n");
        assertSessionRefused(sftp, "SFTP-LISTED");
        Path file = Files.writeString(dir.resolve("file.txt"), "data");
        for (String mode : List.of("-O", "-s")) {
            var scp = SessionUser.run(scp(user, mode, "-P", user.port(), file.toString(), login + ":/tmp/copied"), "");
            assertSessionRefused(scp, "scp " + mode + " never prints this");
        }
        assertFalse(Files.exists(Path.of("/tmp/copied")));
        // and the sshd says why, once for each: shell, command, sftp, scp -O, scp -s
        assertEquals(5, sshdLog("locked").lines().filter(l -> l.equals("no more sessions")).count(), sshdLog("locked"));
    }

    /** Refused by the sshd itself: the client's message for it, nothing of the login shell, nothing of the session. */
    private static void assertSessionRefused(OpenSshTools.Result result, String marker) {
        String seen = "exit " + result.exitCode() + ", output: " + result.output();
        assertTrue(result.output().contains(SessionUser.SESSION_CHANNEL_REFUSED), seen);
        assertFalse(result.output().contains(SessionUser.NOLOGIN_REFUSED), seen);
        assertFalse(result.output().contains(marker), seen);
        assertNotEquals(0, result.exitCode(), seen);
    }

    @Test
    void aWrongKeyOrAnotherUserNameIsDenied() throws Exception {
        targetWithEcho("postgres", 15452);
        SessionUser user = sessionFromYaml(minimalSession("keys", "postgres", 15452), null);
        String permitted = "postgres." + ns + ".svc.cluster.local:15452";

        SshKeyPair stranger = Ed25519KeyGenerator.generate("stranger");
        Path strangerKey = OpenSshTools.writePrivate(dir.resolve("stranger"), stranger.privateKey());
        List<String> withStrangerKey = new ArrayList<>(user.ssh("-p", user.port(), "-W", permitted, "tunnel@" + user.host()));
        withStrangerKey.set(withStrangerKey.indexOf(user.key.toString()), strangerKey.toString());
        var wrongKey = SessionUser.run(withStrangerKey, "ping");
        assertEquals(255, wrongKey.exitCode());
        assertTrue(wrongKey.output().contains("Permission denied (publickey)"), wrongKey.output());

        for (String name : List.of("root", "postgres", "tunnel2")) {
            var otherUser = SessionUser.run(user.ssh("-p", user.port(), "-W", permitted, name + "@" + user.host()), "ping");
            assertEquals(255, otherUser.exitCode(), name);
            assertTrue(otherUser.output().contains("Permission denied"), otherUser.output());
        }
    }

    @Test
    void aHostKeyThatDiffersFromThePublishedOneIsRefusedByTheClient() throws Exception {
        targetWithEcho("postgres", 15462);
        SessionUser user = sessionFromYaml(minimalSession("mitm", "postgres", 15462), null);
        List<String> toTarget = user.ssh("-p", user.port(), "-W", "postgres." + ns + ".svc.cluster.local:15462",
                "tunnel@" + user.host());
        // the published known_hosts has one line, for the host and port of the status' endpoint
        String endpoint = "[" + user.host() + "]:" + user.port();
        assertEquals(List.of(endpoint), user.knownHostsNames());
        assertEquals("ping", SessionUser.run(toTarget, "ping").output(), "control: the published key is accepted");

        // a known_hosts whose key for this very endpoint is another one: what a client sees when someone else answers
        SshKeyPair impostor = Ed25519KeyGenerator.generate("impostor");
        Files.writeString(user.knownHosts, endpoint + " " + impostor.publicKey() + "\n");
        var result = SessionUser.run(toTarget, "ping");

        assertEquals(255, result.exitCode());
        assertTrue(result.output().contains("REMOTE HOST IDENTIFICATION HAS CHANGED"), result.output());
        assertTrue(result.output().contains("Host key for " + endpoint + " has changed and you have requested strict"
                + " checking."), result.output());
        // the key that answered is the session's own, the one the status publishes
        assertTrue(result.output().contains("The fingerprint for the ED25519 key sent by the remote host is\n"
                + user.session.getStatus().getHostKeyFingerprint() + "."), result.output());
        // not what a host with no line at all gets
        assertFalse(result.output().contains("No ED25519 host key is known"), result.output());
        assertFalse(result.output().lines().anyMatch(l -> l.equals("ping")), result.output());
    }

    @Test
    void sshAuditFindsNoWeakAlgorithm() throws Exception {
        targetWithEcho("postgres", 15472);
        SessionUser user = sessionFromYaml(minimalSession("audit", "postgres", 15472), null);

        var audit = SessionUser.run(List.of("ssh-audit", "-n", "-p", user.port(), user.host()), "");

        // the one warning FACTS.md explains: this ssh-audit does not know the Terrapin fix, which cannot be turned off
        List<String> findings = audit.output().lines().filter(l -> l.contains("[fail]") || l.contains("[warn]"))
                .filter(l -> !l.matches("\\(kex\\) kex-strict-s-v00@openssh.com +-- \\[warn\\] unknown algorithm"))
                .toList();
        assertEquals(List.of(), findings, audit.output());
        assertTrue(audit.output().contains("ssh-ed25519"), audit.output());
    }

    @Test
    void twoSessionsSideBySideAreIsolated() throws Exception {
        targetWithEcho("alpha", 15482);
        targetWithEcho("beta", 15483);
        SessionUser a = sessionFromYaml(minimalSession("a", "alpha", 15482), dir.resolve("a"), null);
        SessionUser b = sessionFromYaml(minimalSession("b", "beta", 15483), dir.resolve("b"), null);
        assertNotEquals(a.host(), b.host());
        assertNotEquals(a.session.getStatus().getHostKeyFingerprint(), b.session.getStatus().getHostKeyFingerprint());

        // a's known_hosts does not vouch for b's sshd: it has no line for b's endpoint
        var unknown = SessionUser.run(a.ssh("-p", b.port(), "-W", "beta." + ns + ".svc.cluster.local:15483",
                "tunnel@" + b.host()), "ping");
        assertEquals(255, unknown.exitCode());
        assertTrue(unknown.output().contains("No ED25519 host key is known for " + b.knownHostsName()), unknown.output());
        // a's key does not open b: with b's known_hosts, so that the host check passes and the login is what fails
        List<String> aIntoB = b.ssh("-p", b.port(), "-W", "beta." + ns + ".svc.cluster.local:15483", "tunnel@" + b.host());
        aIntoB.set(aIntoB.indexOf(b.key.toString()), a.key.toString());
        var denied = SessionUser.run(aIntoB, "ping");
        assertEquals(255, denied.exitCode());
        assertTrue(denied.output().contains("Permission denied (publickey)"), denied.output());
        // and b's sshd does not forward to a's target, even for b's own user
        var crossTarget = SessionUser.run(b.ssh("-p", b.port(), "-W", "alpha." + ns + ".svc.cluster.local:15482",
                "tunnel@" + b.host()), "ping");
        assertEquals(255, crossTarget.exitCode());
        assertTrue(crossTarget.output().contains(SessionUser.FORWARD_REFUSED), crossTarget.output());
        // each works for its own user
        assertEquals("ping", SessionUser.run(b.ssh("-p", b.port(), "-W", "beta." + ns + ".svc.cluster.local:15483",
                "tunnel@" + b.host()), "ping").output());
    }

    @Test
    void aOneShotSessionEndsWhenItsConnectionCloses() throws Exception {
        targetWithEcho("postgres", 15492);
        SessionUser user = sessionFromYaml("""
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata:
                  name: one-shot
                spec:
                  target: {service: postgres, ports: [15492]}
                  endOnDisconnect: true
                """, null);
        // a connection that never logs in (a probe, a scan, a failed login) does not arm the end on disconnect: held
        // open until the pod's watcher has looked at it, then closed, and looked at again
        ProcessHandle sshd = sshdProcess("one-shot");
        try (Socket probe = new Socket(user.host(), Integer.parseInt(user.port()))) {
            probe.setSoTimeout(5000);
            assertTrue(new String(probe.getInputStream().readNBytes(8), StandardCharsets.US_ASCII).startsWith("SSH-2.0"));
            awaitWatcherLooks(sshd, 2);
        }
        awaitWatcherLooks(sshd, 2);
        assertTrue(sshd.isAlive(), "the watcher saw the connection come and go, and ended the session: "
                + terminationMessage("one-shot"));
        assertEquals(SessionPhase.Ready, phase("one-shot"));

        var used = SessionUser.run(user.ssh("-p", user.port(), "-W", "postgres." + ns + ".svc.cluster.local:15492",
                "tunnel@" + user.host()), "once");
        assertEquals("once", used.output());

        TunnelSession ended = awaitEnded("one-shot");
        assertEquals(EndReason.Disconnected, ended.getStatus().getEndReason());
        assertSshdGone("one-shot");
    }

    @Test
    void idleSessionsEndAfterTheirIdleTimeoutUsedOrNot() throws Exception {
        targetWithEcho("postgres", 15502);
        SessionUser used = sessionFromYaml(idleSession("used-once"), dir.resolve("used"), null);
        sessionFromYaml(idleSession("never-used"), dir.resolve("never"), null);
        var once = SessionUser.run(used.ssh("-p", used.port(), "-W", "postgres." + ns + ".svc.cluster.local:15502",
                "tunnel@" + used.host()), "hello");
        assertEquals("hello", once.output());

        for (String name : List.of("used-once", "never-used")) {
            TunnelSession ended = awaitEnded(name);
            assertEquals(EndReason.Idle, ended.getStatus().getEndReason(), name);
            assertTrue(ended.getStatus().getConditions().get(0).getMessage().startsWith("Idle: no SSH connection for 5s"),
                    ended.getStatus().getConditions().toString());
            assertSshdGone(name);
        }
    }

    /**
     * The idle clock counts from the last look that saw an SSH connection: an open connection (established, with or
     * without traffic: what entrypoint.sh counts) keeps a session Ready past its idleTimeout, and its close starts the
     * clock again.
     */
    @Test
    void anOpenConnectionKeepsASessionPastItsIdleTimeoutAndItsCloseStartsTheClock() throws Exception {
        int idleSeconds = 5;
        targetWithEcho("postgres", 15532);
        SessionUser user = sessionFromYaml(minimalSession("held", "postgres", 15532) + "  idleTimeout: " + idleSeconds
                + "s\n", null);
        ProcessHandle sshd = sshdProcess("held");
        Instant ready = Instant.parse(user.session.getStatus().getConditions().stream()
                .filter(c -> c.getType().equals("Ready")).findFirst().orElseThrow().getLastTransitionTime());
        Process tunnel = openTunnel(user, 15532);
        assertEquals("held\n", SessionUser.roundTrip(15532, "held\n"));

        // well past the timeout counted from the session's Ready (whole seconds in the watcher: 3 s of slack), and
        // the watcher has looked since: the sshd still runs and the session is Ready
        await().atMost(idleSeconds + 15, TimeUnit.SECONDS)
                .until(() -> Instant.now().isAfter(ready.plusSeconds(idleSeconds + 3)) || !sshd.isAlive());
        awaitWatcherLooks(sshd, 2);
        assertTrue(sshd.isAlive(), "an open connection ended the session: " + terminationMessage("held") + " (phase "
                + phase("held") + ")");
        assertEquals(SessionPhase.Ready, phase("held"));

        // the connection closes: the session ends Idle, and not before a whole timeout has passed since (the watcher
        // looks once a second in whole seconds, so the last look with the connection may be up to 1 s before)
        tunnel.destroy();
        assertTrue(tunnel.waitFor(5, TimeUnit.SECONDS));
        Instant closed = Instant.now();
        java.util.concurrent.CompletableFuture<Instant> sshdEnded = sshd.onExit().thenApply(p -> Instant.now());
        TunnelSession ended = awaitEnded("held");
        assertEquals(EndReason.Idle, ended.getStatus().getEndReason());
        Duration afterClose = Duration.between(closed, sshdEnded.get(10, TimeUnit.SECONDS));
        assertTrue(afterClose.compareTo(Duration.ofSeconds(idleSeconds - 1)) >= 0,
                "ended " + afterClose.toMillis() + " ms after the connection closed");
        assertSshdGone("held");
    }

    @Test
    void hostsWrittenAsNumbersAreRefusedEvenWhenAPolicyListsThemAndNoSshdRuns() throws Exception {
        targetWithEcho("postgres", 15510);
        List<String> numeric = List.of("0177.0.0.1", "0x7f.1", "0251.0376.0251.0376", "127.1", "2130706433");
        client.resource(policy("numbers", numeric, List.of(), 7000, 6443)).create();
        client.resource(policy("services", List.of(), List.of("postgres"), 15510)).create();
        for (int i = 0; i < numeric.size(); i++) {
            client.resources(TunnelSession.class).inNamespace(ns).resource(io.tunnelops.testing.SessionFixtures.session(ns,
                    "numeric-" + i).toHost(numeric.get(i), 7000, 6443).build()).create();
        }
        // the control: the same namespace, operator and runner provision a valid session
        SessionUser control = sessionFromYaml(minimalSession("control", "postgres", 15510), null);
        assertEquals("ping", SessionUser.run(control.ssh("-p", control.port(), "-W", "postgres." + ns
                + ".svc.cluster.local:15510", "tunnel@" + control.host()), "ping").output());

        List<String> expected = List.of(
                "spec.target.host 0177.0.0.1 is 127.0.0.1 written in octal",
                "spec.target.host 0x7f.1 is 127.0.0.1 written in hexadecimal and in shorthand (2 parts instead of 4)",
                "spec.target.host 0251.0376.0251.0376 is 169.254.169.254 written in octal",
                "spec.target.host 127.1 is 127.0.0.1 written in shorthand (2 parts instead of 4)",
                "spec.target.host 2130706433 is 127.0.0.1 written as a single number");
        for (int i = 0; i < numeric.size(); i++) {
            String name = "numeric-" + i;
            await().atMost(10, TimeUnit.SECONDS).until(() -> phase(name) == SessionPhase.Failed);
            var ready = client.resources(TunnelSession.class).inNamespace(ns).withName(name).get().getStatus()
                    .getConditions().get(0);
            assertEquals("InvalidSpec", ready.getReason());
            assertTrue(ready.getMessage().startsWith(expected.get(i) + "; resolvers read it as that address"),
                    ready.getMessage());
            assertEquals(null, client.apps().deployments().inNamespace(ns).withName(name + "-sshd").get());
            assertEquals(null, client.secrets().inNamespace(ns).withName(name + "-ssh").get());
            assertFalse(runner.runningPids().containsKey(ns + "/" + name + "-sshd"));
        }
        var refused = client.resources(io.tunnelops.api.v1alpha1.TunnelPolicy.class).inNamespace(ns).withName("numbers")
                .get().getStatus().getConditions().get(0);
        assertEquals("False", refused.getStatus(), refused.getMessage());
    }

    /**
     * Local mode's sshd runs in a network namespace of its own: were a loopback target ever let through, the sshd
     * would find its own empty loopback, never this machine's (where the API server and the tests listen).
     */
    @Test
    void anSshdSharesNothingOfThisMachinesLoopback() throws Exception {
        String targetIp = targetWithEcho("postgres", 15520);
        SessionUser user = sessionFromYaml(minimalSession("sealed", "postgres", 15520), null);
        long sshd = runner.runningPids().get(ns + "/sealed-sshd");
        try (var onThisMachine = new java.net.ServerSocket(0, 10, java.net.InetAddress.getByName("127.0.0.1"))) {
            onThisMachine.setSoTimeout(200);
            int apiPort = java.net.URI.create(client.getMasterUrl().toString()).getPort();
            // the control: from the sshd's namespace, as its user, the target answers
            assertEquals("reached", fromSshdNamespace(sshd, targetIp, 15520));
            for (int port : List.of(onThisMachine.getLocalPort(), apiPort)) {
                assertEquals("refused", fromSshdNamespace(sshd, "127.0.0.1", port), "127.0.0.1:" + port);
            }
            assertThrows(java.net.SocketTimeoutException.class, onThisMachine::accept, "nothing came through");
        }
        assertEquals("ping", SessionUser.run(user.ssh("-p", user.port(), "-W", "postgres." + ns
                + ".svc.cluster.local:15520", "tunnel@" + user.host()), "ping").output());
    }

    /** Opens a TCP connection from the network namespace of process {@code pid}, as the sshd's user. */
    private static String fromSshdNamespace(long pid, String host, int port) throws Exception {
        Process probe = new ProcessBuilder("nsenter", "-t", String.valueOf(pid), "-n", "setpriv", "--reuid=10001",
                "--regid=10001", "--clear-groups", "bash", "-c",
                "exec 3<>/dev/tcp/" + host + "/" + port + " && echo reached || echo refused").redirectErrorStream(true).start();
        assertTrue(probe.waitFor(20, TimeUnit.SECONDS));
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return output.contains("reached") ? "reached" : output.contains("refused") ? "refused" : output;
    }

    private io.tunnelops.api.v1alpha1.TunnelPolicy policy(String name, List<String> hosts, List<String> services,
            Integer... ports) {
        var rule = new io.tunnelops.api.v1alpha1.PolicyTarget();
        rule.setHosts(hosts);
        rule.setServices(services);
        rule.setPorts(List.of(ports));
        var spec = new io.tunnelops.api.v1alpha1.TunnelPolicySpec();
        spec.setTargets(List.of(rule));
        var policy = new io.tunnelops.api.v1alpha1.TunnelPolicy();
        policy.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(ns).withName(name).build());
        policy.setSpec(spec);
        return policy;
    }

    private String idleSession(String name) {
        return minimalSession(name, "postgres", 15502) + "  idleTimeout: 5s\n";
    }

    private SessionPhase phase(String name) {
        TunnelSession s = client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
        return s == null || s.getStatus() == null ? null : s.getStatus().getPhase();
    }

    private TunnelSession awaitEnded(String name) {
        await().atMost(30, TimeUnit.SECONDS).until(() -> phase(name) == SessionPhase.Ended);
        return client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
    }

    // ---- helpers

    /** The session's sshd as the runner started it: the image's entrypoint (exec'd by the namespace tools before it). */
    private ProcessHandle sshdProcess(String name) {
        Long pid = runner.runningPids().get(ns + "/" + name + "-sshd");
        assertTrue(pid != null, "no sshd runs for " + name);
        return ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("the sshd of " + name + " has exited"));
    }

    /**
     * Waits until the pod's watcher (entrypoint.sh's loop: its checks, then {@code sleep}) has made {@code looks}
     * whole rounds of checks since this call: each new sleep after the first one seen follows a round that began
     * after this call. Returns early when the entrypoint exits.
     */
    private static void awaitWatcherLooks(ProcessHandle entrypoint, int looks) {
        java.util.Set<Long> sleeps = new java.util.HashSet<>();
        await().atMost(looks * 3L + 5, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).until(() -> {
            entrypoint.children().filter(p -> p.info().command().map(c -> c.endsWith("/sleep")).orElse(false))
                    .forEach(p -> sleeps.add(p.pid()));
            return sleeps.size() > looks || !entrypoint.isAlive();
        });
    }

    /** The sshd's log (the runner keeps the container's output, as kubectl logs shows it). */
    private String sshdLog(String name) {
        return read(PODS.resolve(ns + "_" + name + "-sshd").resolve("sshd.log"));
    }

    private String terminationMessage(String name) {
        return read(PODS.resolve(ns + "_" + name + "-sshd").resolve("termination-log"));
    }

    /** The session's sshd Deployment is deleted, and the runner stopped its process. */
    private void assertSshdGone(String name) {
        await().atMost(10, TimeUnit.SECONDS).until(() ->
                client.apps().deployments().inNamespace(ns).withName(name + "-sshd").get() == null
                        && !runner.runningPids().containsKey(ns + "/" + name + "-sshd"));
    }

    private String minimalSession(String name, String service, int port) {
        return """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata:
                  name: %s
                spec:
                  target: {service: %s, ports: [%d]}
                """.formatted(name, service, port);
    }

    /** A Service with an echo server on the cluster IP the runner gave it; returns that address. */
    private String targetWithEcho(String name, int port) throws Exception {
        client.resource(targetService(ns, name, port)).create();
        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            var s = client.services().inNamespace(ns).withName(name).get();
            return s.getSpec().getClusterIP() != null && !s.getSpec().getClusterIP().isBlank();
        });
        String ip = client.services().inNamespace(ns).withName(name).get().getSpec().getClusterIP();
        cleanup.add(new EchoServer(ip, port));
        return ip;
    }

    private SessionUser sessionFromYaml(String yaml, Path ownKey) throws Exception {
        return sessionFromYaml(yaml, dir.resolve("user"), ownKey);
    }

    /** kubectl apply -f, kubectl wait --for=condition=Ready, then read status and Secret as the user would. */
    private SessionUser sessionFromYaml(String yaml, Path userDir, Path ownKey) throws Exception {
        TunnelSession created = client.resources(TunnelSession.class).inNamespace(ns)
                .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).create();
        String name = created.getMetadata().getName();
        await().atMost(30, TimeUnit.SECONDS).until(() -> {
            TunnelSession s = client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
            return s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Ready;
        });
        TunnelSession ready = client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
        return new SessionUser(ready, secretItems(name), userDir, ownKey);
    }

    private Map<String, String> secretItems(String session) {
        return CredentialsSecret.decode(java.util.Optional.ofNullable(
                client.secrets().inNamespace(ns).withName(session + "-ssh").get()));
    }

    /** The published command with the user's files (and any ssh options before its own words), in the background. */
    private Process openTunnel(SessionUser user, int localPort, String... options) throws IOException {
        List<String> command = new ArrayList<>(user.publishedCommand());
        command.addAll(1, List.of(options));
        Process tunnel = SessionUser.start(command, dir.resolve("tunnel-" + localPort + ".log"));
        cleanup.add(0, () -> {
            tunnel.destroy();
            tunnel.waitFor(5, TimeUnit.SECONDS);
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> SessionUser.listening(localPort) || !tunnel.isAlive());
        assertTrue(tunnel.isAlive(), () -> "ssh exited: " + read(dir.resolve("tunnel-" + localPort + ".log")));
        return tunnel;
    }

    private static List<String> sftp(SessionUser user, String... args) {
        List<String> command = new ArrayList<>(user.ssh());
        command.set(0, "sftp");
        command.removeIf(a -> a.equals("ExitOnForwardFailure=yes"));
        command.remove(command.lastIndexOf("-o"));
        command.addAll(List.of(args));
        return command;
    }

    private static List<String> scp(SessionUser user, String... args) {
        List<String> command = sftp(user);
        command.set(0, "scp");
        command.addAll(List.of(args));
        return command;
    }

    /** SOCKS5 CONNECT by name through ssh -D; returns the reply code, or -1 when the proxy closes the connection. */
    private static int socksConnect(int proxyPort, String host, int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxyPort), 2000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            out.write(new byte[] { 5, 1, 0 });
            if (in.read() != 5 || in.read() != 0) {
                return -1;
            }
            byte[] name = host.getBytes(StandardCharsets.US_ASCII);
            out.write(new byte[] { 5, 1, 0, 3, (byte) name.length });
            out.write(name);
            out.write(new byte[] { (byte) (port >> 8), (byte) port });
            int version = in.read();
            return version == 5 ? in.read() : -1;
        } catch (java.net.SocketTimeoutException e) {
            return -1;
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
