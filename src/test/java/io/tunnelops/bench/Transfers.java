package io.tunnelops.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bulk uploads to the session's sink, each over a named path: directly to the sink's address, or through a fresh
 * {@code ssh -L} (the published command plus the path's client options) to its local port. Each tunnel run starts its
 * own ssh, so interleaved paths never share a connection, and its negotiated cipher is noted.
 */
final class Transfers {

    private final SessionSshd session;
    private final int sinkPort;
    private final Path logDir;
    private final Map<String, List<Throughput>> runs = new LinkedHashMap<>();
    private final Map<String, Set<String>> ciphers = new LinkedHashMap<>();

    Transfers(SessionSshd session, int sinkPort, Path logDir) {
        this.session = session;
        this.sinkPort = sinkPort;
        this.logDir = logDir;
    }

    /** Both kinds of path once, not counted: the JIT compiles the sending loop, the page cache holds ssh. */
    void warmUp(long bytes) throws Exception {
        measure("warm-up", null, bytes);
        measure("warm-up", List.of(), bytes);
    }

    /**
     * @param clientOptions null: directly over loopback; else through ssh -L with these options added
     */
    void once(String path, List<String> clientOptions, long bytes) throws Exception {
        runs.computeIfAbsent(path, p -> new ArrayList<>()).add(measure(path, clientOptions, bytes));
    }

    private Throughput measure(String path, List<String> clientOptions, long bytes) throws Exception {
        if (clientOptions == null) {
            return BulkTransfer.send(session.targetAddress, sinkPort, bytes);
        }
        try (SshForward forward = SshForward.open(session.user, clientOptions, sinkPort,
                logDir.resolve("datapath-ssh-L-" + path + ".log"))) {
            Throughput result = BulkTransfer.send("127.0.0.1", sinkPort, bytes);
            ciphers.computeIfAbsent(path, p -> new LinkedHashSet<>()).add(forward.negotiatedCipher());
            return result;
        }
    }

    DataPathReport.PathRuns runs(String path, String description) {
        Set<String> seen = ciphers.getOrDefault(path, Set.of());
        return new DataPathReport.PathRuns(description, seen.isEmpty() ? "none (plain TCP)" : String.join(", ", seen),
                runs.get(path));
    }
}
