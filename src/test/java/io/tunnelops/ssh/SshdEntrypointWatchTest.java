package io.tunnelops.ssh;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The entrypoint's watch over sshd (idle timeout, end on disconnect), driven with a fake sshd and fake TCP tables
 * under dash: fast, and each pitfall of FACTS.md on its own.
 */
class SshdEntrypointWatchTest {

    private static final String HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    /** An ESTABLISHED (01) connection to the sshd port 2222 (08AE), and one to another port. */
    private static final String SSHD_CONNECTION = "   0: 0100007F:08AE 0100007F:D431 01 00000000:00000000 00:00000000 00000000 10001 0 1 1\n";
    private static final String OTHER_CONNECTION = "   1: 0100007F:1F90 0100007F:D432 01 00000000:00000000 00:00000000 00000000 10001 0 2 1\n";
    private static final String SSHD_CONNECTION_V6 = "   0: 00000000000000000000000001000000:08AE 00000000000000000000000001000000:D433 01 00000000:00000000 00:00000000 00000000 10001 0 3 1\n";

    @TempDir
    Path dir;
    Path config;
    Path state;
    Path procNet;
    Path terminationLog;
    Process entrypoint;
    Thread onJvmExit;

    @BeforeEach
    void podFiles() throws Exception {
        config = Files.createDirectories(dir.resolve("config"));
        state = Files.createDirectories(dir.resolve("state"));
        procNet = Files.createDirectories(dir.resolve("proc-net"));
        terminationLog = Files.writeString(dir.resolve("termination-log"), "");
        Files.writeString(config.resolve(SshdLayout.SSHD_CONFIG), "# fake\n");
        Files.writeString(config.resolve(SshdLayout.HOST_KEY), "key\n");
        Files.writeString(config.resolve(SshdLayout.AUTHORIZED_KEYS), "key\n");
        tcp("", "");
        // a fake sshd: records its pid, logs what the test puts in FAKE_LOG, runs until killed or FAKE_EXIT
        Path fake = dir.resolve("fake-sshd");
        Files.writeString(fake, """
                #!/bin/sh
                echo $$ > "%s"
                trap 'exit 0' TERM
                if [ -n "${FAKE_EXIT:-}" ]; then sleep 0.3; exit "$FAKE_EXIT"; fi
                while :; do sleep 0.1; done
                """.formatted(dir.resolve("fake.pid")));
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
    }

    /** Stops the entrypoint as the kubelet would (TERM, then KILL), and everything it started, each by its pid. */
    @AfterEach
    void nothingLeftRunning() throws Exception {
        if (entrypoint != null) {
            List<ProcessHandle> started = stopTree(entrypoint.toHandle());
            Runtime.getRuntime().removeShutdownHook(onJvmExit);
            for (ProcessHandle p : started) {
                assertFalse(p.isAlive(), "left running: " + p.pid() + " " + p.info().commandLine().orElse(""));
            }
        }
        if (Files.exists(dir.resolve("fake.pid"))) {
            long pid = Long.parseLong(Files.readString(dir.resolve("fake.pid")).strip());
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** TERM to the root (the entrypoint's trap stops sshd and the log follower), then KILL to whatever remains. */
    private static List<ProcessHandle> stopTree(ProcessHandle root) {
        List<ProcessHandle> all = Stream.concat(Stream.of(root), root.descendants()).toList();
        root.destroy();
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(3, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
                p.onExit().join();
            }
        }
        return all;
    }

    /** The entrypoint's log follower ({@code tail -f} of the sshd log), once it runs. */
    private ProcessHandle logFollower() throws Exception {
        for (int i = 0; i < 100; i++) {
            var tail = entrypoint.toHandle().children()
                    .filter(p -> p.info().arguments().map(a -> List.of(a).contains(state.resolve("sshd.log").toString()))
                            .orElse(false))
                    .findFirst();
            if (tail.isPresent()) {
                return tail.get();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no log follower under the entrypoint " + entrypoint.pid());
    }

    private void start(Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("dash", SshdEntrypointTest.ENTRYPOINT.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile());
        builder.environment().putAll(Map.of("TUNNEL_CONFIG_DIR", config.toString(), "TUNNEL_STATE_DIR", state.toString(),
                "SSHD", dir.resolve("fake-sshd").toString(), "TERMINATION_LOG", terminationLog.toString(),
                "TUNNEL_PROC_NET", procNet.toString(), "TUNNEL_MONITOR_INTERVAL", "0.1"));
        builder.environment().putAll(env);
        entrypoint = builder.start();
        // a test JVM that exits mid-test (Ctrl-C, a fork timeout) takes the entrypoint and what it started with it
        Process started = entrypoint;
        onJvmExit = new Thread(() -> stopTree(started.toHandle()), "stop-entrypoint");
        Runtime.getRuntime().addShutdownHook(onJvmExit);
    }

    /**
     * The watcher's clock: a {@code date} first on its PATH that answers {@code date +%s} with the second in the file
     * "clock", and counts each question in "looks" (the watcher asks once per round, before its checks).
     */
    private Map<String, String> withFakeClock(Map<String, String> env) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("fake-bin"));
        Path date = bin.resolve("date");
        Files.writeString(date, """
                #!/bin/sh
                if [ "$1" = "+%%s" ]; then echo look >> "%s"; cat "%s"; else exec /bin/date "$@"; fi
                """.formatted(dir.resolve("looks"), dir.resolve("clock")));
        Files.setPosixFilePermissions(date, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> withClock = new java.util.HashMap<>(env);
        withClock.put("PATH", bin + ":" + System.getenv("PATH"));
        return withClock;
    }

    private void clock(long epochSecond) throws Exception {
        Files.writeString(dir.resolve("clock.new"), epochSecond + "\n");
        Files.move(dir.resolve("clock.new"), dir.resolve("clock"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private long looks() throws Exception {
        Path looks = dir.resolve("looks");
        return Files.exists(looks) ? Files.readAllLines(looks).size() : 0;
    }

    /**
     * Waits until the watcher has made {@code rounds} whole rounds of checks that began after this call, with the
     * clock and TCP tables as they are now: a question of the time after this call starts such a round (its checks
     * follow it), the next question shows the round ended. Returns early when the entrypoint exits.
     */
    private void awaitLooks(int rounds) throws Exception {
        long seen = looks();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(25))
                .until(() -> looks() >= seen + rounds + 1 || !entrypoint.isAlive());
    }

    /** Replaces each table at once: a watcher reading a half-written table would see its connection gone. */
    private void tcp(String ipv4, String ipv6) throws Exception {
        for (var table : Map.of("tcp", ipv4, "tcp6", ipv6).entrySet()) {
            Path next = Files.writeString(procNet.resolve(table.getKey() + ".new"), HEADER + table.getValue());
            Files.move(next, procNet.resolve(table.getKey()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private void sshdLogs(String line) throws Exception {
        Files.writeString(state.resolve("sshd.log"), line + "\n", StandardOpenOption.APPEND);
    }

    private int exitWithin(int seconds) throws Exception {
        assertTrue(entrypoint.waitFor(seconds, TimeUnit.SECONDS), "still running: " + output());
        return entrypoint.exitValue();
    }

    private String output() throws Exception {
        return Files.exists(dir.resolve("out")) ? Files.readString(dir.resolve("out")) : "";
    }

    private boolean fakeSshdAlive() throws Exception {
        long pid = Long.parseLong(Files.readString(dir.resolve("fake.pid")).strip());
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private void awaitFakeSshd() throws Exception {
        for (int i = 0; i < 50 && !Files.exists(dir.resolve("fake.pid")); i++) {
            Thread.sleep(50);
        }
    }

    @Test
    void aSessionNobodyConnectsToEndsAfterItsIdleTimeoutAndNotBefore() throws Exception {
        clock(1000);
        start(withFakeClock(Map.of("TUNNEL_IDLE_TIMEOUT_SECONDS", "5")));
        awaitLooks(1);
        clock(1005); // a whole timeout, not more: still running
        awaitLooks(1);
        assertTrue(entrypoint.isAlive(), output());
        clock(1006);
        assertEquals(0, exitWithin(10));
        assertEquals("Idle: no SSH connection for 5s", Files.readString(terminationLog).strip());
        assertFalse(fakeSshdAlive(), "sshd is stopped");
    }

    @Test
    void anOpenConnectionKeepsItAliveAndItsEndStartsTheIdleClock() throws Exception {
        clock(1000);
        tcp(SSHD_CONNECTION, "");
        start(withFakeClock(Map.of("TUNNEL_IDLE_TIMEOUT_SECONDS", "5")));
        awaitLooks(1);
        // far past the timeout since the start, with the connection open all along: not idle
        clock(1100);
        awaitLooks(1);
        assertTrue(entrypoint.isAlive(), "a connection is open: not idle; " + output());
        // it closes (only a connection to another port remains): the clock runs from the last look that saw it, 1100
        tcp(OTHER_CONNECTION, "");
        awaitLooks(1);
        assertTrue(entrypoint.isAlive(), "the idle clock starts when the connection ends; " + output());
        clock(1105);
        awaitLooks(1);
        assertTrue(entrypoint.isAlive(), "a whole timeout after the close, not more; " + output());
        clock(1106);
        assertEquals(0, exitWithin(10));
        assertEquals("Idle: no SSH connection for 5s", Files.readString(terminationLog).strip());
    }

    @Test
    void ipv6ConnectionsCountToo() throws Exception {
        clock(1000);
        tcp("", SSHD_CONNECTION_V6);
        start(withFakeClock(Map.of("TUNNEL_IDLE_TIMEOUT_SECONDS", "5")));
        awaitLooks(1);
        clock(1100);
        awaitLooks(1);
        assertTrue(entrypoint.isAlive(), "an IPv6 connection is open: not idle; " + output());
        tcp("", "");
        clock(1106);
        assertEquals(0, exitWithin(10));
    }

    @Test
    void onlyASuccessfulLoginArmsEndOnDisconnect() throws Exception {
        clock(1000); // the clock only counts the watcher's looks here
        start(withFakeClock(Map.of("TUNNEL_END_ON_DISCONNECT", "true")));
        awaitFakeSshd();
        // a probe or a failed login: a connection comes, is seen, and goes, with no login
        tcp(SSHD_CONNECTION, "");
        sshdLogs("Connection from 127.0.0.1 port 54321 on 127.0.0.1 port 2222 rdomain \"\"");
        awaitLooks(1);
        tcp("", "");
        // the key is known, but its signature is not checked yet
        sshdLogs("Accepted key ED25519 SHA256:abc found at /var/lib/tunnel/home/.ssh/authorized_keys:1");
        awaitLooks(1);
        assertTrue(entrypoint.isAlive(), "not armed by a TCP connection or a key lookup; " + output());

        tcp(SSHD_CONNECTION, "");
        sshdLogs("Accepted publickey for tunnel from 127.0.0.1 port 54322 ssh2: ED25519 SHA256:abc");
        awaitLooks(1);
        assertTrue(entrypoint.isAlive(), "logged in and connected: still running; " + output());
        tcp("", "");
        assertEquals(0, exitWithin(10));
        assertEquals("Disconnected: the SSH connection closed", Files.readString(terminationLog).strip());
        assertFalse(fakeSshdAlive());
    }

    @Test
    void anSshdThatDiesTakesTheContainerWithItsExitCode() throws Exception {
        start(Map.of("TUNNEL_IDLE_TIMEOUT_SECONDS", "60", "FAKE_EXIT", "3"));
        assertEquals(3, exitWithin(10));
        assertEquals("SshdExited: sshd exited with 3", Files.readString(terminationLog).strip());
    }

    @Test
    void podDeletionStopsSshdWithoutAnEndReason() throws Exception {
        start(Map.of("TUNNEL_IDLE_TIMEOUT_SECONDS", "60"));
        awaitFakeSshd();
        Thread.sleep(300);
        new ProcessBuilder("kill", "-TERM", String.valueOf(entrypoint.pid())).start().waitFor();
        assertEquals(0, exitWithin(10));
        assertEquals("", Files.readString(terminationLog).strip());
        assertFalse(fakeSshdAlive());
    }

    @Test
    void theLogFollowerEndsWithTheEntrypointEvenWhenItIsKilled() throws Exception {
        start(Map.of("TUNNEL_IDLE_TIMEOUT_SECONDS", "60"));
        awaitFakeSshd();
        ProcessHandle tail = logFollower();
        entrypoint.destroyForcibly(); // SIGKILL: no trap runs
        assertTrue(entrypoint.waitFor(5, TimeUnit.SECONDS));
        try {
            tail.onExit().get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            tail.destroyForcibly(); // by its pid, so that a failing run leaves nothing behind either
            throw new AssertionError("the tail -f (pid " + tail.pid() + ") outlived its entrypoint");
        }
    }

    @Test
    void stoppingTheEntrypointStopsItsLogFollower() throws Exception {
        start(Map.of("TUNNEL_IDLE_TIMEOUT_SECONDS", "60"));
        awaitFakeSshd();
        ProcessHandle tail = logFollower();
        new ProcessBuilder("kill", "-TERM", String.valueOf(entrypoint.pid())).start().waitFor();
        assertEquals(0, exitWithin(10));
        tail.onExit().get(5, TimeUnit.SECONDS);
        assertFalse(tail.isAlive());
    }
}
