package io.tunnelops.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.StreamSupport;

import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tunnelops.cluster.RealCluster;
import io.tunnelops.e2e.SessionUser;
import io.tunnelops.session.InvalidSessionException;
import io.tunnelops.session.SessionPlan;
import io.tunnelops.session.SessionPlanner;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.tunnelops.ssh.KnownHosts;
import io.tunnelops.ssh.SshKeyPair;
import io.tunnelops.ssh.SshdConfigRenderer;
import io.tunnelops.ssh.SshdLayout;
import io.tunnelops.ssh.TunnelSshdConfig;
import io.tunnelops.testing.ContainerRuntime.RunSpec;
import io.tunnelops.testing.ContainerRuntime;
import io.tunnelops.testing.EchoServer;
import io.tunnelops.testing.OciArchive;
import io.tunnelops.testing.OpenSshTools;
import io.tunnelops.testing.SessionFixtures;
import io.tunnelops.testing.TcpProbe;

/**
 * Issue 9, test 1: our images, built here by buildah from our own Dockerfiles (images/build.sh, run by the build in
 * pre-integration-test), loaded into a private containerd from their OCI archives and run by runc: never pulled.
 * The sshd image runs as its Deployment runs it (image user, read-only root, the Secret's items read-only with their
 * modes, an emptyDir for state, no capabilities, default seccomp); the operator image as the chart's pod (a token of
 * its ServiceAccount), against the real API server of {@link RealCluster}; Shell mode's toolbox (issue 10) as a Shell pod
 * runs it. Sizes are printed to the test output.
 */
class ImagesIT {

    static final Path PROJECT = Path.of("").toAbsolutePath();
    static final Path IMAGES = PROJECT.resolve("target/images");
    // the names images/build.sh gave (its environment: engineers sharing buildah's storage build under tags of their own)
    static final String SSHD_IMAGE = System.getenv().getOrDefault("SSHD_IMAGE", RealCluster.SSHD_IMAGE);
    static final String OPERATOR_IMAGE = System.getenv().getOrDefault("OPERATOR_IMAGE",
            "ghcr.io/tunnelops/tunnel-operator:0.1.0-SNAPSHOT");
    static final String TOOLBOX_IMAGE = System.getenv().getOrDefault("TOOLBOX_IMAGE", "ghcr.io/tunnelops/shell-toolbox:0.1.0");
    static final String ENTRYPOINT = "/usr/local/bin/tunnel-sshd";
    static final String UID_GID = SshdLayout.UID + ":" + SshdLayout.UID;
    /** The sshd image is Debian's openssh-server and procps on a slim base; 97 MB when this was written. */
    static final long SSHD_IMAGE_LIMIT = 150L * 1000 * 1000;
    /** Shell mode's toolbox: the slim base plus curl, knot-dnsutils, psql, netcat, iproute2, procps, less; 104 MB. */
    static final long TOOLBOX_IMAGE_LIMIT = 150L * 1000 * 1000;

    static ContainerRuntime runtime;
    static Path work;

    @BeforeAll
    static void loadImages() throws IOException {
        assertEquals(0L, new com.sun.security.auth.module.UnixSystem().getUid(), "containerd and runc need root");
        for (String archive : List.of("sshd.tar", "operator.tar", "toolbox.tar")) {
            assertTrue(Files.isRegularFile(IMAGES.resolve(archive)), IMAGES.resolve(archive)
                    + " is missing: the build makes it in pre-integration-test (images/build.sh operator)");
        }
        work = PROJECT.resolve("target/images-it");
        ContainerRuntime.deleteTree(work);
        Files.createDirectories(work);
        runtime = ContainerRuntime.start(PROJECT.resolve("target/containerd-it"));
        long begin = System.nanoTime();
        List<String> imported = new java.util.ArrayList<>(runtime.importArchive(IMAGES.resolve("sshd.tar")));
        imported.addAll(runtime.importArchive(IMAGES.resolve("operator.tar")));
        imported.addAll(runtime.importArchive(IMAGES.resolve("toolbox.tar")));
        System.out.printf("images imported into containerd in %d ms: %s%n", (System.nanoTime() - begin) / 1_000_000, imported);
        assertTrue(runtime.images().containsAll(List.of(SSHD_IMAGE, OPERATOR_IMAGE, TOOLBOX_IMAGE)), "imported: " + runtime.images());
    }

    @AfterAll
    static void stop() {
        if (runtime != null) {
            runtime.close(); // fails the class if a process or mount is left
        }
    }

    @Test
    void sshdImageIsSmallNonRootAndHasNoHostKey() {
        OciArchive image = OciArchive.read(IMAGES.resolve("sshd.tar"));
        assertEquals(UID_GID, image.runConfig().path("User").asText());
        assertEquals(List.of(ENTRYPOINT), strings(image.runConfig().path("Entrypoint")));
        List<String> paths = image.layerPaths();
        assertTrue(paths.contains("usr/local/bin/tunnel-sshd"), "the entrypoint is in the image");
        assertTrue(paths.contains("usr/sbin/sshd"), "sshd is in the image");
        // in any layer: a key a later layer deletes is still in the image
        assertEquals(List.of(), paths.stream().filter(p -> p.matches("etc/ssh/ssh_host_.*")).toList(),
                "no host key may be baked into the image: the operator mounts the session's");
        List<String> files = image.regularFiles();
        assertEquals(List.of(), files.stream().filter(p -> p.startsWith("usr/share/man/")).toList(), "no man pages");
        List<String> docs = files.stream().filter(p -> p.startsWith("usr/share/doc/") && !p.endsWith("/copyright")).toList();
        assertEquals(List.of(), docs, "no documentation but the licenses");

        long uncompressed = image.uncompressedLayerBytes();
        System.out.printf("sshd image %s: %.1f MB uncompressed (%d layers), %.1f MB compressed layers, OCI archive %.1f MB%n",
                SSHD_IMAGE, uncompressed / 1e6, image.layerCount(),
                image.compressedLayerBytes() / 1e6, image.archiveBytes() / 1e6);
        assertTrue(uncompressed < SSHD_IMAGE_LIMIT, "the sshd image grew to " + uncompressed / 1_000_000 + " MB");
    }

    @Test
    void sshdInTheImageIsBookwormsOpenSsh() throws Exception {
        String installed = dpkgVersion(OciArchive.read(IMAGES.resolve("sshd.tar")).fileContent("var/lib/dpkg/status"),
                "openssh-server");
        assertTrue(installed.startsWith("1:9.2p1-2+deb12u"), "Debian bookworm's OpenSSH 9.2p1: " + installed);
        Path config = sessionFiles("version", renderedForRealisticSession(), Ed25519KeyGenerator.generate(""),
                Ed25519KeyGenerator.generate("user").publicKey());
        // the entrypoint passes its arguments to sshd: -V prints the version and exits (ctr replaces the image's
        // command when given one, so the entrypoint is named; the test above checks it is the image's)
        ContainerRuntime.Result result = runtime.run(sshdSpec("sshd-version", config).args(ENTRYPOINT, "-V"), Duration.ofSeconds(60));
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().startsWith("OpenSSH_9.2,"), result.output());
        String host = OpenSshTools.run(List.of("dpkg-query", "-W", "-f", "${Version}", "openssh-server")).output().strip();
        System.out.println("openssh-server in the sshd image: " + installed + " (" + result.output().strip()
                + "); on this machine: " + host);
    }

    private static String dpkgVersion(String status, String pkg) {
        for (String stanza : status.split("\n\n")) {
            if (stanza.startsWith("Package: " + pkg + "\n")) {
                return stanza.replaceAll("(?s).*\nVersion: ([^\n]+).*", "$1");
            }
        }
        throw new AssertionError(pkg + " is not installed in the image");
    }

    @Test
    void sshdInTheImageAcceptsTheRenderedConfig() throws Exception {
        String rendered = renderedForRealisticSession();
        Path config = sessionFiles("accepted", rendered, Ed25519KeyGenerator.generate(""),
                Ed25519KeyGenerator.generate("user").publicKey());
        // as the Deployment runs it: the image's user, read-only root, an emptyDir at the state dir, no capabilities
        ContainerRuntime.Result result = runtime.run(sshdSpec("sshd-check", config).args(ENTRYPOINT, "-t"), Duration.ofSeconds(60));
        assertEquals(0, result.exitCode(), "sshd -t refused the rendered config:\n" + result.output() + "\n" + rendered);
    }

    @Test
    void sshdInTheImageRefusesABrokenConfig() throws Exception {
        // negative control: the same check must be able to fail
        String broken = renderedForRealisticSession().replace("AllowTcpForwarding local", "AllowTcpForwarding sideways");
        Path config = sessionFiles("refused", broken, Ed25519KeyGenerator.generate(""),
                Ed25519KeyGenerator.generate("user").publicKey());
        ContainerRuntime.Result result = runtime.run(sshdSpec("sshd-refuse", config).args(ENTRYPOINT, "-t"), Duration.ofSeconds(60));
        assertNotEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("sshd_config line") && result.output().contains("sideways"), result.output());
    }

    @Test
    void aTunnelThroughTheImagesSshdWorks() throws Exception {
        int sshPort = TcpProbe.freeLoopbackPort();
        try (ServerSocket reserved = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int echoPort = reserved.getLocalPort();
            reserved.close();
            try (EchoServer echo = new EchoServer("127.0.0.1", echoPort)) {
                // the planner refuses loopback targets (as it should); the renderer is the one under test here
                String rendered = SshdConfigRenderer.render(new TunnelSshdConfig("images-it/loopback",
                        List.of("127.0.0.1:" + echoPort)));
                SshKeyPair hostKey = Ed25519KeyGenerator.generate("");
                SshKeyPair clientKey = Ed25519KeyGenerator.generate("user");
                Path config = sessionFiles("tunnel", rendered, hostKey, clientKey.publicKey());
                Path client = Files.createDirectories(work.resolve("tunnel-client"));
                Path key = OpenSshTools.writePrivate(client.resolve("id_ed25519"), clientKey.privateKey());
                Path knownHosts = client.resolve("known_hosts");
                Files.writeString(knownHosts, KnownHosts.line("127.0.0.1", sshPort, hostKey.publicKey()) + "\n");

                // host network: a port of our own instead of 2222, which other sshds on this machine may hold
                ContainerRuntime.Container sshd = runtime.start(sshdSpec("sshd-tunnel", config).hostNetwork()
                        .args(ENTRYPOINT, "-o", "ListenAddress=127.0.0.1:" + sshPort));
                try {
                    sshd.awaitListening(sshPort);
                    OpenSshTools.Result tunnel = SessionUser.run(List.of("ssh", "-v", "-F", "/dev/null", "-o", "BatchMode=yes",
                            "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts,
                            "-o", "IdentitiesOnly=yes", "-i", key.toString(), "-o", "ConnectTimeout=5", "-p",
                            String.valueOf(sshPort), "-W", "127.0.0.1:" + echoPort, SshdLayout.USERNAME + "@127.0.0.1"),
                            "through the image\n");
                    assertEquals(0, tunnel.exitCode(), tunnel.output() + "\nsshd:\n" + sshd.output());
                    assertTrue(tunnel.output().contains("through the image"), tunnel.output());
                    assertTrue(tunnel.output().contains("remote software version OpenSSH_9.2p1 Debian-2"), tunnel.output());
                    assertTrue(sshd.output().contains("Accepted publickey for tunnel"), sshd.output());
                } finally {
                    sshd.stop(Duration.ofSeconds(5));
                }
            }
        }
    }

    @Test
    void toolboxImageIsSmallNonRootAndHasNoSetuidFiles() {
        OciArchive image = OciArchive.read(IMAGES.resolve("toolbox.tar"));
        assertEquals(UID_GID, image.runConfig().path("User").asText());
        assertEquals(List.of(), image.setuidOrSetgidFiles(), "nothing in the toolbox is setuid or setgid");
        // control: the sshd image, on the same Debian base and not stripped, still has Debian's setuid su
        List<String> sshdSetuid = OciArchive.read(IMAGES.resolve("sshd.tar")).setuidOrSetgidFiles();
        assertTrue(sshdSetuid.contains("usr/bin/su"), "the check finds setuid files where there are some: " + sshdSetuid);
        List<String> files = image.regularFiles();
        assertEquals(List.of(), files.stream().filter(p -> p.startsWith("usr/share/man/")).toList(), "no man pages");
        assertEquals(List.of(), files.stream().filter(p -> p.startsWith("usr/share/doc/") && !p.endsWith("/copyright")).toList(),
                "no documentation but the licenses");
        assertEquals(List.of(), files.stream().filter(p -> p.startsWith("var/lib/apt/lists/")).toList(), "no apt lists");
        assertTrue(files.contains("usr/share/doc/postgresql-client-15/copyright"), "psql's license travels with it");

        long uncompressed = image.uncompressedLayerBytes();
        System.out.printf("toolbox image %s: %.1f MB uncompressed (%d layers), %.1f MB compressed layers, OCI archive %.1f MB%n",
                TOOLBOX_IMAGE, uncompressed / 1e6, image.layerCount(), image.compressedLayerBytes() / 1e6,
                image.archiveBytes() / 1e6);
        assertTrue(uncompressed < TOOLBOX_IMAGE_LIMIT, "the toolbox image grew to " + uncompressed / 1_000_000 + " MB");
    }

    @Test
    void theToolboxsToolsWorkAsUid10001() throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        http.createContext("/probe", exchange -> {
            byte[] body = "hello from the test's HTTP server\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        http.start();
        int closedPort = TcpProbe.freeLoopbackPort();
        try (DnsResponder dns = new DnsResponder(new byte[] {127, 0, 0, 7})) {
            int httpPort = http.getAddress().getPort();
            String probe = """
                    echo "user $(id -u):$(id -g) $(id -un)"
                    for tool in bash curl psql kdig nc ip ss ps less; do command -v "$tool" >/dev/null || echo "missing $tool"; done
                    curl -sS --max-time 5 http://127.0.0.1:%1$d/probe
                    kdig @127.0.0.1 -p %2$d +notcp +short +time=3 +retry=0 db.team-a.test A
                    nc -z -w 3 127.0.0.1 %1$d && echo "nc connected"
                    psql -h 127.0.0.1 -p %3$d -U app -c 'select 1' 2>&1
                    echo "probe ended"
                    """.formatted(httpPort, dns.port(), closedPort);
            // as a Shell pod runs the image: its user, read-only root, no capabilities; host network for the servers above
            ContainerRuntime.Result toolbox = runtime.run(new RunSpec(TOOLBOX_IMAGE, "toolbox-tools").restricted()
                    .readOnlyRoot().hostNetwork().args("bash", "-c", probe), Duration.ofSeconds(60));
            List<String> lines = toolbox.output().lines().toList();
            assertTrue(lines.contains("user 10001:10001 tunnel"), "the image's user, with a name: " + toolbox.output());
            assertEquals(List.of(), lines.stream().filter(l -> l.startsWith("missing ")).toList(), toolbox.output());
            assertTrue(lines.contains("hello from the test's HTTP server"), "curl: " + toolbox.output());
            assertTrue(lines.contains("127.0.0.7"), "kdig asked the test's DNS server: " + toolbox.output());
            assertTrue(lines.contains("nc connected"), "nc: " + toolbox.output());
            assertTrue(toolbox.output().contains("port " + closedPort) && toolbox.output().contains("Connection refused"),
                    "psql tried the server through libpq: " + toolbox.output());
            assertTrue(lines.contains("probe ended"), toolbox.output());
            System.out.println("toolbox tools: " + toolbox.output().strip().replace("\n", " | "));

            // control: the same probe in the sshd image, which has none of these tools, finds each one missing
            ContainerRuntime.Result sshd = runtime.run(new RunSpec(SSHD_IMAGE, "toolbox-tools-control").restricted()
                    .readOnlyRoot().hostNetwork().args("bash", "-c", probe), Duration.ofSeconds(60));
            List<String> missing = sshd.output().lines().filter(l -> l.startsWith("missing ")).toList();
            assertEquals(List.of("missing curl", "missing psql", "missing kdig", "missing nc", "missing ip", "missing ss",
                    "missing less"), missing, sshd.output());
            assertFalse(sshd.output().contains("hello from the test's HTTP server"), sshd.output());
        } finally {
            http.stop(0);
        }
    }

    /** Answers every DNS query over UDP on loopback with one A record: enough for a lookup tool to show it resolves. */
    private static final class DnsResponder implements AutoCloseable {
        private final DatagramSocket socket;
        private final Thread thread;

        DnsResponder(byte[] address) throws IOException {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            thread = new Thread(() -> {
                byte[] buffer = new byte[512];
                while (!socket.isClosed()) {
                    try {
                        DatagramPacket query = new DatagramPacket(buffer, buffer.length);
                        socket.receive(query);
                        byte[] answer = answer(Arrays.copyOf(query.getData(), query.getLength()), address);
                        socket.send(new DatagramPacket(answer, answer.length, query.getSocketAddress()));
                    } catch (IOException | RuntimeException e) {
                        // closed, or a query this responder does not understand: no answer
                    }
                }
            }, "dns-responder");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        /** The query's header and question (its EDNS record dropped) and one answer naming the question's name. */
        private static byte[] answer(byte[] query, byte[] address) {
            int end = 12;
            while (query[end] != 0) {
                end += (query[end] & 0xff) + 1;
            }
            end += 1 + 4; // the root label, then type and class
            ByteBuffer out = ByteBuffer.allocate(end + 16);
            // id; QR, RD, RA, no error; one question, one answer, no authority or additional records
            out.put(query, 0, 2).putShort((short) 0x8180).putShort((short) 1).putShort((short) 1).putShort((short) 0)
                    .putShort((short) 0).put(query, 12, end - 12);
            // the name as a pointer to the question's, type A, class IN, TTL 60 s, 4 bytes
            out.putShort((short) 0xc00c).putShort((short) 1).putShort((short) 1).putInt(60).putShort((short) 4).put(address);
            return out.array();
        }

        @Override
        public void close() throws InterruptedException {
            socket.close();
            thread.join(2000);
        }
    }

    @Test
    void operatorImageRunsAsUid10001AndBecomesReady() throws Exception {
        OciArchive image = OciArchive.read(IMAGES.resolve("operator.tar"));
        assertEquals(UID_GID, image.runConfig().path("User").asText());
        System.out.printf("operator image %s: %.1f MB uncompressed, OCI archive %.1f MB%n", OPERATOR_IMAGE,
                image.uncompressedLayerBytes() / 1e6, image.archiveBytes() / 1e6);

        RealCluster cluster = RealCluster.shared();
        Path kubeconfig = cluster.operatorKubeconfig(work.resolve("operator-image.kubeconfig"));
        int port = TcpProbe.freeLoopbackPort(); // the management interface: health (and metrics)
        long begin = System.nanoTime();
        // the chart's pod: a ServiceAccount token and nothing else; host network reaches the API server on loopback
        ContainerRuntime.Container operator = runtime.start(new RunSpec(OPERATOR_IMAGE, "operator").hostNetwork().restricted()
                .bindReadOnly(kubeconfig, "/etc/tunnel-operator/kubeconfig")
                .env("KUBECONFIG", "/etc/tunnel-operator/kubeconfig")
                .env("QUARKUS_HTTP_HOST", "127.0.0.1").env("QUARKUS_HTTP_PORT", String.valueOf(TcpProbe.freeLoopbackPort()))
                .env("QUARKUS_MANAGEMENT_HOST", "127.0.0.1").env("QUARKUS_MANAGEMENT_PORT", String.valueOf(port)));
        try {
            long pid = operator.pid();
            String status = Files.readString(Path.of("/proc", String.valueOf(pid), "status"));
            assertTrue(status.matches("(?s).*\\nUid:\\s+10001\\s+10001\\s+10001\\s+10001\\n.*"), status);
            assertTrue(status.matches("(?s).*\\nGid:\\s+10001\\s+10001\\s+10001\\s+10001\\n.*"), status);
            assertTrue(status.matches("(?s).*\\nCapEff:\\s+0+\\n.*"), "no capabilities: " + status);
            String cmdline = Files.readString(Path.of("/proc", String.valueOf(pid), "cmdline")).replace('\0', ' ');
            assertTrue(cmdline.contains("/app/quarkus-run.jar"), cmdline);

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
            String ready = awaitHealth(http, port, "/q/health/ready", operator);
            System.out.printf("operator image ready in %d ms: %s%n", (System.nanoTime() - begin) / 1_000_000,
                    ready.replaceAll("\\s+", " "));
            HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/q/health/live")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, live.statusCode(), live.body());
        } finally {
            operator.stop(Duration.ofSeconds(10));
        }
        assertFalse(operator.isRunning(), "SIGTERM stops the operator");
    }

    /** A session to a Service, planned by the product's own planner and rendered by its renderer. */
    private static String renderedForRealisticSession() throws InvalidSessionException {
        var session = SessionFixtures.session("team-a", "pg-debug").toService("postgres", 5432).build();
        SessionPlan plan = SessionPlanner.plan(session, Optional.of(SessionFixtures.targetService("team-a", "postgres",
                5432)), SSHD_IMAGE);
        return SshdConfigRenderer.render(new TunnelSshdConfig("team-a/pg-debug", plan.permitOpen()));
    }

    /** The credentials Secret's items as its volume shows them: root-owned, group fsGroup (10001), mode 0440. */
    private static Path sessionFiles(String name, String sshdConfig, SshKeyPair hostKey, String authorizedKey)
            throws IOException {
        Path dir = Files.createDirectories(work.resolve(name).resolve("config"));
        Files.writeString(dir.resolve(SshdLayout.SSHD_CONFIG), sshdConfig);
        Files.writeString(dir.resolve(SshdLayout.HOST_KEY), hostKey.privateKey());
        Files.writeString(dir.resolve(SshdLayout.AUTHORIZED_KEYS), authorizedKey + "\n");
        for (String item : List.of(SshdLayout.SSHD_CONFIG, SshdLayout.HOST_KEY, SshdLayout.AUTHORIZED_KEYS)) {
            Files.setAttribute(dir.resolve(item), "unix:gid", SshdLayout.UID);
            Files.setPosixFilePermissions(dir.resolve(item), java.nio.file.attribute.PosixFilePermissions.fromString("r--r-----"));
        }
        return dir;
    }

    /** The sshd Deployment's container: the image's entrypoint and user, the Secret read-only, an emptyDir for state. */
    private static RunSpec sshdSpec(String id, Path config) {
        return new RunSpec(SSHD_IMAGE, id).restricted().readOnlyRoot()
                .bindReadOnly(config, SshdLayout.CONFIG_DIR).emptyDir(config.resolveSibling("state"), SshdLayout.STATE_DIR);
    }

    private static String awaitHealth(HttpClient http, int port, String path, ContainerRuntime.Container container)
            throws InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + port + path);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            assertTrue(container.isRunning(), "the operator container ended:\n" + container.output());
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                last = response.statusCode() + " " + response.body();
                if (response.statusCode() == 200 && response.body().contains("\"UP\"")) {
                    return response.body();
                }
            } catch (IOException e) {
                last = e.toString(); // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError(path + " did not become UP within 120 s (last: " + last + "); output:\n" + container.output());
    }


    private static List<String> strings(com.fasterxml.jackson.databind.JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(com.fasterxml.jackson.databind.JsonNode::asText).toList();
    }


}
