package io.tunnelops.bench;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The data-path benchmark's tables, in Markdown. */
final class DataPathReport {

    /** Issue 12: a tunnel carries at least this share of what loopback carries directly, with AES-GCM preferred. */
    static final double TARGET_SHARE_OF_LOOPBACK = 0.15;

    /** The repeated bulk transfers over one path. */
    record PathRuns(String path, String cipher, List<Throughput> runs) {

        double median() {
            return Throughput.medianMegabytesPerSecond(runs);
        }
    }

    /** Everything one run measured. */
    record Results(String machine, String openSsh, String loadBefore, String loadAfter, long bytes,
            PathRuns direct, PathRuns published, PathRuns aesPreferred, String connectTarget,
            Percentiles connectMillis, List<KeyGenerationCost> keys, String defaultSecureRandom,
            List<SecretRenderingCost> secrets) {
    }

    private DataPathReport() {
    }

    static String render(Instant began, Results r) {
        StringBuilder out = new StringBuilder();
        out.append("## Data path and key generation, ").append(began.truncatedTo(ChronoUnit.SECONDS)).append("\n\n");
        out.append("Machine: ").append(r.machine()).append("  \n");
        out.append("Client and sshd: ").append(r.openSsh()).append("  \n");
        out.append("Load average (1, 5, 15 min) before / after: ").append(r.loadBefore()).append(" / ")
                .append(r.loadAfter()).append("\n\n");

        out.append("### Bulk transfer: ").append(r.bytes() >> 20).append(" MiB uploaded to a sink, median of ")
                .append(r.direct().runs().size()).append("\n\n");
        out.append("| path | cipher | MB/s (median) | runs (MB/s) | share of direct loopback |\n");
        out.append("|---|---|---:|---|---:|\n");
        double direct = r.direct().median();
        for (PathRuns path : List.of(r.direct(), r.published(), r.aesPreferred())) {
            out.append("| ").append(path.path()).append(" | ").append(path.cipher()).append(" | ")
                    .append(format("%.0f", path.median())).append(" | ")
                    .append(path.runs().stream().map(t -> format("%.0f", t.megabytesPerSecond()))
                            .collect(Collectors.joining(", ")))
                    .append(" | ").append(format("%.2f", path.median() / direct)).append(" |\n");
        }
        double share = r.aesPreferred().median() / direct;
        out.append("\nMB is 10^6 bytes; a run is timed from the connect to the sink's answer that it received every "
                + "byte. Target: a tunnel with AES-GCM preferred carries at least ")
                .append(format("%.2f", TARGET_SHARE_OF_LOOPBACK)).append(" of direct loopback: **")
                .append(share >= TARGET_SHARE_OF_LOOPBACK ? "met" : "missed").append("** (")
                // three places: 0.147 must not read as the 0.15 it misses
                .append(format("%.3f", share)).append(", ").append(r.aesPreferred().cipher()).append(").\n\n");

        out.append("### Connect time of a first `ssh -W` (ms)\n\n");
        out.append("| connections | p50 | p95 | max |\n|---:|---:|---:|---:|\n");
        Percentiles c = r.connectMillis();
        out.append("| ").append(c.count()).append(" | ").append(c.p50()).append(" | ").append(c.p95()).append(" | ")
                .append(c.max()).append(" |\n\n");
        out.append("From the start of the ssh process to the first byte echoed back by ").append(r.connectTarget())
                .append(", one connection at a time; each a new process and SSH connection, the published credentials,"
                        + " the client's default algorithms.\n\n");

        out.append("### Key generation (ed25519 pair, as the operator makes it)\n\n");
        out.append("| threads at once | pairs/s | µs per pair p50 | p95 | p99 | max | blocked or parked, ms (times) |\n"
                + "|---:|---:|---:|---:|---:|---:|---:|\n");
        for (KeyGenerationCost k : r.keys()) {
            out.append("| ").append(k.threads()).append(" | ").append(format("%.0f", k.perSecond())).append(" | ")
                    .append(k.micros().p50()).append(" | ").append(k.micros().p95()).append(" | ")
                    .append(k.micros().p99()).append(" | ").append(k.micros().max()).append(" | ")
                    .append(k.lockWaitMillis()).append(" (").append(k.lockWaits()).append(") |\n");
        }
        out.append("\nThe JDK's default SecureRandom here: ").append(r.defaultSecureRandom()).append(". The time per "
                + "pair is measured on the thread that made it, so with more threads than cores it includes waiting "
                + "for a core; waiting for a lock "
                + "shows in the last column (the JVM's blocked and waited times of the generating threads, summed).\n\n");

        out.append("### The credentials Secret per session (CredentialsSecret's desired object, one thread)\n\n");
        out.append("| pass | µs p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|\n");
        for (SecretRenderingCost s : r.secrets()) {
            out.append("| ").append(s.pass()).append(" | ").append(s.micros().p50()).append(" | ")
                    .append(s.micros().p95()).append(" | ").append(s.micros().p99()).append(" | ")
                    .append(s.micros().max()).append(" |\n");
        }
        return out.toString();
    }

    private static String format(String pattern, double value) {
        return String.format(Locale.ROOT, pattern, value);
    }
}
