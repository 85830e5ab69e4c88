package io.tunnelops.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a pod runner has on this machine, taken before it closes: every pod's processes with their descendants (the
 * connections an sshd forked), the pods' network namespaces and the bridge. After close() none of it may be left;
 * the runner's own record of its pods says nothing about that.
 */
public final class RunnerFootprint {

    private static final Path NETNS_DIR = Path.of("/run/netns");

    private final List<ProcessHandle> processes;
    private final List<String> namespaces;
    private final String bridge;

    private RunnerFootprint(List<ProcessHandle> processes, List<String> namespaces, String bridge) {
        this.processes = processes;
        this.namespaces = namespaces;
        this.bridge = bridge;
    }

    /** The runner's footprint now; asserts the namespaces and the bridge it names exist, so the check after is not vacuous. */
    public static RunnerFootprint of(LocalPodRunner runner) {
        List<Long> pids = List.copyOf(runner.runningPids().values());
        List<ProcessHandle> processes = pids.stream().map(ProcessHandle::of).flatMap(Optional::stream)
                .flatMap(p -> Stream.concat(Stream.of(p), p.descendants())).toList();
        List<String> namespaces = pids.stream().map(pid -> run("ip", "netns", "identify", String.valueOf(pid)).strip())
                .toList();
        String bridge = runner.network() == null ? null : runner.network().bridge();
        assertTrue(namespaces.stream().allMatch(n -> !n.isEmpty() && Files.exists(NETNS_DIR.resolve(n))),
                "each pod in a named network namespace: " + namespaces);
        assertTrue(bridge == null || Files.exists(Path.of("/sys/class/net", bridge)), bridge);
        return new RunnerFootprint(processes, namespaces, bridge);
    }

    /** The processes it holds (for a test that must know its connection's process is among them). */
    public List<ProcessHandle> processes() {
        return processes;
    }

    public void assertGone() {
        assertEquals(List.of(), processes.stream().filter(RunnerFootprint::running).map(RunnerFootprint::describe)
                .toList(), "processes of the pods still running after close()");
        assertEquals(List.of(), namespaces.stream().filter(n -> Files.exists(NETNS_DIR.resolve(n))).toList(),
                "network namespaces left after close()");
        assertFalse(bridge != null && Files.exists(Path.of("/sys/class/net", bridge)),
                "the bridge " + bridge + " left after close()");
    }

    /** Alive and not a zombie: a zombie has released everything but its entry in the process table. */
    private static boolean running(ProcessHandle process) {
        if (!process.isAlive()) {
            return false; // ProcessHandle also tells a reused pid from the process it was taken of
        }
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false; // gone between the two looks
        }
    }

    static String commandLine(ProcessHandle process) {
        return process.info().commandLine().orElse("");
    }

    private static String describe(ProcessHandle process) {
        return process.pid() + " " + commandLine(process);
    }

    private static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0,
                    String.join(" ", command) + ": " + output);
            return output;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
