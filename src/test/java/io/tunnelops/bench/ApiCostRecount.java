package io.tunnelops.bench;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.tunnelops.cluster.RealCluster;

/**
 * The API cost table of a finished run, read again from its cluster's audit log, all rotated parts included (a run
 * before that fix read only the newest 100 MB). Arguments: the cluster's directory, N, and which operator start
 * provisioned that size (1 for the first size of a run, 3 for the second, ...; the restart is the next one), and
 * when the restart's count ends (the expiry step that follows it writes as that same operator: take a time before
 * the users' first ttl patch, which the operator log and the audit log show).
 * <pre>./mvnw -q -o exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.tunnelops.bench.ApiCostRecount \
 *     -Dexec.args="target/bench/cluster 1000 3 2026-11-30T20:18:30Z"</pre>
 */
public final class ApiCostRecount {

    private ApiCostRecount() {
    }

    public static void main(String[] args) throws Exception {
        Path log = Path.of(args[0]).resolve("logs/audit.log");
        int n = Integer.parseInt(args[1]);
        int start = Integer.parseInt(args[2]);
        Instant restartCountEnds = Instant.parse(args[3]);
        Set<String> namespaces = new HashSet<>(new SessionMix("bench-n" + n, List.of()).namespaces());
        ApiCost operator = ApiCost.of(log, RealCluster.OPERATOR_USER_AGENT + start, ApiCost.forSessionsIn(namespaces));
        ApiCost restart = ApiCost.of(log, RealCluster.OPERATOR_USER_AGENT + (start + 1), ApiCost.forSessionsIn(namespaces)
                .and(r -> Instant.parse(r.time()).isBefore(restartCountEnds)));
        ApiCost limit = ApiCost.of(log, ProvisioningBenchmark.LIMIT_USER_AGENT + n, r -> true);
        System.out.println("N = " + n + "\n\n" + Report.apiTable(n, operator, limit, restart));
        System.exit(0);
    }
}
