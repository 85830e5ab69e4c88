package io.tunnelops.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the operator's own log says about a run: when it first reconciled each session (the reconciler's DEBUG line)
 * and when it logged the session Ready (the INFO transition line). Both carry the operator's millisecond timestamps.
 */
final class OperatorLog {

    /** The log category to set to DEBUG for the reconciler's per-pass line. */
    static final Map<String, String> DEBUG_RECONCILES = Map.of("QUARKUS_LOG_CATEGORY__IO_TUNNELOPS_SESSION__LEVEL", "DEBUG");

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");
    private static final Pattern RECONCILING = Pattern.compile(
            "^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}) .*reconciling TunnelSession (\\S+/\\S+) \\(pass");
    private static final Pattern READY = Pattern.compile(
            "^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}) .*TunnelSession (\\S+/\\S+): Ready, reason");

    private final Path log;

    OperatorLog(Path log) {
        this.log = log;
    }

    /** The number of lines now: what a later reading starts after. */
    long mark() throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        try (Stream<String> lines = Files.lines(log)) {
            return lines.count();
        }
    }

    /** Milliseconds from each session's first reconcile to its Ready line, for the sessions of these namespaces. */
    List<Long> firstReconcileToReady(long mark, Set<String> namespaces) throws IOException {
        Map<String, LocalDateTime> first = new HashMap<>();
        Map<String, LocalDateTime> ready = new HashMap<>();
        try (Stream<String> lines = Files.lines(log).skip(mark)) {
            lines.forEach(line -> {
                note(RECONCILING, line, namespaces, first);
                note(READY, line, namespaces, ready);
            });
        }
        return ready.entrySet().stream().filter(e -> first.containsKey(e.getKey()))
                .map(e -> ChronoUnit.MILLIS.between(first.get(e.getKey()), e.getValue())).toList();
    }

    /** Sessions of these namespaces reconciled at least once after the mark. */
    long sessionsReconciled(long mark, Set<String> namespaces) throws IOException {
        Map<String, LocalDateTime> first = new HashMap<>();
        try (Stream<String> lines = Files.lines(log).skip(mark)) {
            lines.forEach(line -> note(RECONCILING, line, namespaces, first));
        }
        return first.size();
    }

    /** Reconcile passes of sessions of these namespaces after the mark. */
    long passes(long mark, Set<String> namespaces) throws IOException {
        try (Stream<String> lines = Files.lines(log).skip(mark)) {
            return lines.map(RECONCILING::matcher).filter(Matcher::find)
                    .filter(m -> namespaces.contains(m.group(2).substring(0, m.group(2).indexOf('/')))).count();
        }
    }

    private static void note(Pattern pattern, String line, Set<String> namespaces, Map<String, LocalDateTime> firstSeen) {
        Matcher m = pattern.matcher(line);
        if (m.find() && namespaces.contains(m.group(2).substring(0, m.group(2).indexOf('/')))) {
            firstSeen.putIfAbsent(m.group(2), LocalDateTime.parse(m.group(1), TIME));
        }
    }
}
