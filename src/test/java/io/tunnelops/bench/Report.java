package io.tunnelops.bench;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** The benchmark's tables, in Markdown: what BENCHMARKS.md shows. */
final class Report {

    private Report() {
    }

    static String render(Machine machine, Instant began, int concurrency, KeyGenerationCost keys,
            List<ProvisioningBenchmark.SizeResult> results) {
        StringBuilder out = new StringBuilder();
        out.append("## Provisioning benchmark, ").append(began.truncatedTo(ChronoUnit.SECONDS)).append("\n\n");
        out.append("Machine: ").append(machine).append("  \n");
        out.append("Concurrency: ").append(concurrency).append(" (operator reconcile threads, limit client and users)  \n");
        out.append("Mix: ").append(SessionMix.DESCRIPTION).append("  \n");
        out.append("Operator JVM: ").append(ProvisioningBenchmark.OPERATOR_SETTINGS.get("JAVA_TOOL_OPTIONS"))
                .append(", MALLOC_ARENA_MAX=2 (the image's settings in the chart's limits: 512Mi, 500m)\n\n");

        out.append("### Throughput and latency\n\n");
        out.append(HEADER).append('\n').append(HEADER.replaceAll("[^|]", "-")).append('\n');
        results.forEach(r -> out.append(row(r)).append('\n'));
        out.append("""

                limit: a plain Fabric8 client, as the operator's ServiceAccount, doing per session the user's create, \
                4 creates and 1 status patch. create→Ready (client): from just before the user's create request to the \
                watcher seeing Ready=True, this machine's clock. create→Ready (API): creationTimestamp to the Ready \
                condition's lastTransitionTime (whole seconds). operator-side: the reconciler's first DEBUG line for \
                the session to its Ready INFO line, the operator's clock. p50 / p95 / p99 (max).

                """);

        out.append("### Where create→Ready goes (client clock, ms)\n\n");
        out.append("| N | operator's part | Kubernetes' part | sessions split |\n|---|---|---|---:|\n");
        for (var r : results) {
            out.append("| %d | %s | %s | %d |%n".formatted(r.sessions(), r.operatorPartMillis(), r.kubernetesPartMillis(),
                    r.operatorPartMillis().count()));
        }
        out.append("""

                The watcher also sees each session's sshd Deployment. The operator's part: from the user's create to the \
                Deployment first seen (the finalizer, Service, Secret and Deployment written), plus from the Deployment's \
                first available replica to Ready in the session's status. Kubernetes' part: from the Deployment to its \
                available replica (the Deployment, ReplicaSet and scheduler controllers, and the node). p50 / p95 / p99 (max).

                """);
        out.append("### Expiry precision\n\n");
        out.append("| N | ttls changed in (s) | lateness, Expired seen − expiresAt (ms) | ended early | ended otherwise |\n");
        out.append("|---|---:|---|---:|---:|\n");
        for (var r : results) {
            out.append("| %d | %.1f | %s | %d | %d |%n".formatted(r.sessions(), r.expiry().setUp().toMillis() / 1000.0,
                    r.expiry().latenessMillis(), r.expiry().early(), r.expiry().otherEnds()));
        }
        out.append("""

                Every session of the run gets, by a merge patch of spec.ttl, the ttl that makes it expire at one instant; \
                lateness is when a watcher first sees it Expired minus its status.expiresAt (p50 / p95 / p99 (max)).

                """);
        out.append("### Key generation\n\n").append(keys).append(" (the benchmark's JVM, before the cluster starts)\n\n");
        out.append("### API requests per session (audit log: objects in the run's namespaces, and named cluster-scoped ones)\n\n");
        for (var r : results) {
            out.append("N = ").append(r.sessions()).append("\n\n");
            out.append(apiTable(r.sessions(), r.operatorCost(), r.limitCost(), r.resyncCost()));
            out.append("Reconcile passes: ").append(r.reconcilePasses()).append(" (")
                    .append(perSession(r.reconcilePasses(), r.sessions())).append(" per session); the operator's own time "
                    + "per pass: ").append(r.reconcileTime()).append(". Restart: ")
                    .append(r.resyncSessions()).append(" sessions reconciled again, ").append(r.resyncCost().writes())
                    .append(" writes. Live heap by class after provisioning: heap-histogram-n").append(r.sessions())
                    .append(".txt; the JVM's native memory: native-memory-n").append(r.sessions())
                    .append(".txt; next to this report.\n\n");
        }
        return out.toString();
    }

    /** Every verb and resource with its count for the operator, the limit and the restart, and the writes. */
    static String apiTable(int sessions, ApiCost operator, ApiCost limitCost, ApiCost resync) {
        StringBuilder out = new StringBuilder();
        out.append("| verb resource | operator | per session | limit | per session | restart, nothing changed |\n");
        out.append("|---|---:|---:|---:|---:|---:|\n");
        TreeSet<String> requests = new TreeSet<>(operator.counts().keySet());
        requests.addAll(limitCost.counts().keySet());
        requests.addAll(resync.counts().keySet());
        for (String key : requests) {
            long op = count(operator.counts(), key);
            long limit = count(limitCost.counts(), key);
            out.append("| ").append(key).append(" | ").append(op).append(" | ").append(perSession(op, sessions))
                    .append(" | ").append(limit).append(" | ").append(perSession(limit, sessions)).append(" | ")
                    .append(count(resync.counts(), key)).append(" |\n");
        }
        out.append("| **writes** | ").append(operator.writes()).append(" | ").append(perSession(operator.writes(), sessions))
                .append(" | ").append(limitCost.writes()).append(" | ").append(perSession(limitCost.writes(), sessions))
                .append(" | ").append(resync.writes()).append(" |\n\n");
        return out.toString();
    }

    private static final String HEADER = "| N | limit sessions/s | operator sessions/s | ratio | create→Ready, client (ms) "
            + "| create→Ready, API (s) | operator-side first reconcile→Ready (ms) | writes/session (operator, limit) "
            + "| writes on restart | heap after GC | heap max | RSS (peak) |";

    static String row(ProvisioningBenchmark.SizeResult r) {
        return "| %d | %.1f | %.1f | %.2f | %s | %s | %s | %s, %s | %d | %s | %s | %s |".formatted(r.sessions(),
                r.limit().perSecond(), r.operatorPerSecond(), r.operatorPerSecond() / r.limit().perSecond(),
                r.clientMillis(), r.apiSeconds(), r.operatorMillis(), perSession(r.operatorCost().writes(), r.sessions()),
                perSession(r.limitCost().writes(), r.sessions()), r.resyncCost().writes(),
                OperatorFootprint.mib(r.footprint().heapAfterGcBytes()), OperatorFootprint.mib(r.footprint().heapMaxBytes()),
                OperatorFootprint.mib(r.footprint().rssBytes()) + " (" + OperatorFootprint.mib(r.footprint().rssPeakBytes())
                        + ")");
    }

    private static long count(Map<String, Long> counts, String key) {
        return counts.getOrDefault(key, 0L);
    }

    private static String perSession(long count, int sessions) {
        return "%.2f".formatted((double) count / sessions);
    }
}
