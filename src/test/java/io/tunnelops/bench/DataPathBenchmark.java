package io.tunnelops.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.tunnelops.local.SshdContainer;
import io.tunnelops.session.resources.CredentialsSecret;
import io.tunnelops.ssh.SshdLayout;
import io.tunnelops.testing.EchoServer;
import io.tunnelops.testing.OpenSshTools;
import io.tunnelops.testing.TcpProbe;

/**
 * A session's data path with a real sshd, and what a session's keys cost (issue 12, parts 6 and 7); no cluster. One
 * Tunnel session's sshd runs from the operator's own rendered objects as its pod runs ({@link SessionSshd}); a user
 * with only what the session publishes uploads to a sink behind it through {@code ssh -L}, with the published
 * command as is (the client's default cipher order) and with the client asking for the sshd_config's own order
 * (AES-GCM first), against the same upload directly over loopback; runs interleaved, so a busy moment of the
 * machine hits every path alike. Then the connect time of a first {@code ssh -W}. Key generation and the credentials
 * Secret are timed first, on a quieter machine. Needs root (the pod's namespaces, as the local pod runner).
 * <p>
 * Settings (system properties): {@code bench.bytes} (default 268435456: 256 MiB), {@code bench.repetitions} (default
 * 5), {@code bench.connections} (default 20), {@code bench.keyPairs} (default 2000 per thread count),
 * {@code bench.dir} (default target/bench: the report, the ssh logs).
 */
public final class DataPathBenchmark {

    private static final Path POD_DIR = Path.of("/var/lib/tunnel-operator-local/bench-datapath-"
            + ProcessHandle.current().pid());

    private DataPathBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long bytes = Long.getLong("bench.bytes", 256L << 20);
        int repetitions = Integer.getInteger("bench.repetitions", 5);
        int connections = Integer.getInteger("bench.connections", 20);
        int keyPairs = Integer.getInteger("bench.keyPairs", 2000);
        Path dir = Path.of(System.getProperty("bench.dir", "target/bench")).toAbsolutePath();
        Files.createDirectories(dir);
        Instant began = Instant.now();
        String loadBefore = loadAverage();

        List<KeyGenerationCost> keys = new ArrayList<>();
        for (int threads : List.of(1, Runtime.getRuntime().availableProcessors(), 50)) {
            keys.add(KeyGenerationCost.measure(keyPairs, threads));
            System.out.println("key generation: " + keys.get(keys.size() - 1));
        }
        List<SecretRenderingCost> secrets = SecretRenderingCost.measure(1000);
        secrets.forEach(s -> System.out.println("credentials Secret, " + s.pass() + ": " + s.micros() + " µs"));

        int sinkPort = TcpProbe.freeLoopbackPort();
        int echoPort = TcpProbe.freeLoopbackPort();
        Path userDir = Files.createTempDirectory("tunnel-bench-user-");
        DataPathReport.Results results;
        try (SessionSshd session = SessionSshd.start(POD_DIR, userDir, sinkPort, echoPort);
                SinkServer sink = new SinkServer(session.targetAddress, sinkPort);
                EchoServer echo = new EchoServer(session.targetAddress, echoPort)) {
            System.out.println("published: " + session.rendered.sshCommand());
            List<String> aesFirst = List.of("-o", "Ciphers=" + sshdCiphers(session));
            Transfers transfers = new Transfers(session, sinkPort, dir);
            transfers.warmUp(bytes / 4);
            for (int i = 0; i < repetitions; i++) {
                transfers.once("direct", null, bytes);
                transfers.once("published", List.of(), bytes);
                transfers.once("aes", aesFirst, bytes);
            }
            String target = session.targetName() + ":" + echoPort;
            Percentiles connect = Percentiles.of(ConnectTime.measure(session.user, target, connections,
                    dir.resolve("datapath-ssh-W.log")));
            System.out.println("connect time of ssh -W, ms: " + connect);
            results = new DataPathReport.Results(Machine.here("none").toString().replace(", Kubernetes none", ""),
                    OpenSshTools.succeed("ssh", "-V").strip(), loadBefore, loadAverage(), bytes,
                    transfers.runs("direct", "direct over loopback (to the sink's address)"),
                    transfers.runs("published", "`ssh -L`, the published command as is"),
                    transfers.runs("aes", "`ssh -L`, the published command + `" + String.join(" ", aesFirst) + "`"),
                    target, connect, keys, new java.security.SecureRandom().getAlgorithm(), secrets);
        } finally {
            SshdContainer.deleteTree(userDir);
        }

        String report = DataPathReport.render(began, results);
        Path file = dir.resolve("datapath-" + began.truncatedTo(ChronoUnit.SECONDS).toString().replace(":", "") + ".md");
        Files.writeString(file, report);
        System.out.println(report);
        System.out.println("(also in " + file + ")");
        System.exit(0); // as ProvisioningBenchmark: exec:java would wait for any non-daemon thread a library left; ours are closed
    }

    /** The order the session's sshd_config offers: what a client that asks for it negotiates (AES-GCM first). */
    private static String sshdCiphers(SessionSshd session) {
        String config = CredentialsSecret.decode(Optional.of(session.rendered.secret())).get(SshdLayout.SSHD_CONFIG);
        return config.lines().filter(l -> l.startsWith("Ciphers ")).findFirst().orElseThrow().substring(8).strip();
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + ", " + fields[1] + ", " + fields[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
