package io.tunnelops.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.cluster.RealCluster;

/**
 * Provisioning on a real API server, the operator side by side with the limit: for each size N, first the
 * {@link MinimalWrites limit} (a plain client doing the minimal writes per session), then the operator on the same
 * {@link SessionMix mix} in fresh namespaces, watched by a {@link ReadyWatcher}; then the API cost from the audit
 * log, the operator's memory, a restart of the operator with nothing changed (writes counted: the target is 0), and
 * the {@link ExpiryPrecision precision} of an expiry shared by every session.
 * One cluster for the whole run ({@link RealCluster#withLightNode}), stopped at the end.
 * <p>
 * Settings (system properties): {@code bench.sizes} (default 100; e.g. 100,1000), {@code bench.concurrency} (default
 * 50: JOSDK's reconciliation threads, and the limit's and the users' threads), {@code bench.dir} (default
 * target/bench: the cluster's state, the operator's log, the report).
 */
public final class ProvisioningBenchmark {

    /** Lets the report say where the resident set goes; a few MiB and little time of its own. */
    static final String NATIVE_MEMORY_TRACKING = "-XX:NativeMemoryTracking=summary";
    /**
     * The operator's JVM as the chart runs it: the image's {@code -XX:MaxRAMPercentage=50} and {@code MALLOC_ARENA_MAX=2}
     * in the chart's 512Mi memory limit (MaxRAM stands in for the container's limit) and its 500m CPU limit (the JVM in
     * such a container counts one processor, which also picks its collector), plus the reconciler's DEBUG line for the
     * operator-side times.
     */
    static final Map<String, String> OPERATOR_SETTINGS;
    static {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("JAVA_TOOL_OPTIONS", "-XX:MaxRAM=512m -XX:MaxRAMPercentage=50 -XX:ActiveProcessorCount=1 "
                + NATIVE_MEMORY_TRACKING);
        settings.put("MALLOC_ARENA_MAX", "2");
        settings.putAll(OperatorLog.DEBUG_RECONCILES);
        OPERATOR_SETTINGS = Map.copyOf(settings);
    }
    static final String LIMIT_USER_AGENT = "tunnel-bench-limit/";
    static final String USERS_USER_AGENT = "tunnel-bench-users";

    private final RealCluster cluster;
    private final Path dir;
    private final int concurrency;
    private final List<String> usersKeys = SessionMix.usersKeys(10);

    private ProvisioningBenchmark(RealCluster cluster, Path dir, int concurrency) {
        this.cluster = cluster;
        this.dir = dir;
        this.concurrency = concurrency;
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = Arrays.stream(System.getProperty("bench.sizes", "100").split(",")).map(String::strip)
                .map(Integer::parseInt).toList();
        int concurrency = Integer.getInteger("bench.concurrency", 50);
        Path dir = Path.of(System.getProperty("bench.dir", "target/bench")).toAbsolutePath();
        Files.createDirectories(dir);
        int maxPods = sizes.stream().mapToInt(Integer::intValue).max().orElse(100) + 500;

        Instant began = Instant.now();
        KeyGenerationCost keys = KeyGenerationCost.measure(2000); // before the cluster starts: on a quiet machine
        System.out.println("key generation: " + keys);
        List<SizeResult> results = new ArrayList<>();
        String failure = null;
        String kubernetes;
        try (RealCluster cluster = RealCluster.withLightNode(dir.resolve("cluster"), maxPods)) {
            Thread stop = new Thread(cluster::close, "benchmark-stop");
            Runtime.getRuntime().addShutdownHook(stop);
            kubernetes = cluster.admin().getKubernetesVersion().getGitVersion();
            ProvisioningBenchmark benchmark = new ProvisioningBenchmark(cluster, dir, concurrency);
            for (int n : sizes) {
                try {
                    results.add(benchmark.measure(n));
                } catch (Exception e) {
                    // what was measured so far is still reported; the cluster's state is unknown: stop here
                    failure = "N=" + n + " failed: " + e;
                    e.printStackTrace();
                    break;
                }
                System.out.println(Report.row(results.get(results.size() - 1)));
            }
            Runtime.getRuntime().removeShutdownHook(stop);
        }
        String report = Report.render(Machine.here(kubernetes), began, concurrency, keys, results)
                + (failure == null ? "" : "\n**" + failure + "**\n");
        Path file = dir.resolve("report-" + began.truncatedTo(ChronoUnit.SECONDS).toString().replace(":", "") + ".md");
        Files.writeString(file, report);
        System.out.println(report);
        System.out.println("(also in " + file + ")");
        // exec:java would wait for every non-daemon thread the clients' libraries left behind: end here, the cluster
        // and every process it started are stopped
        System.exit(failure == null ? 0 : 1);
    }

    /** Everything measured at one size. */
    record SizeResult(int sessions, MinimalWrites.Result limit, ApiCost limitCost, Duration operatorElapsed,
            Percentiles clientMillis, Percentiles apiSeconds, Percentiles operatorMillis, long reconcilePasses,
            ApiCost operatorCost, OperatorFootprint footprint, ReconcileTime reconcileTime, ApiCost resyncCost,
            long resyncSessions, ExpiryPrecision.Result expiry, Percentiles operatorPartMillis,
            Percentiles kubernetesPartMillis) {

        double operatorPerSecond() {
            return sessions / (operatorElapsed.toNanos() / 1e9);
        }
    }

    private SizeResult measure(int n) throws Exception {
        KubernetesClient admin = cluster.admin();
        // the limit first, in namespaces of its own, deleted before the operator's run (a /22 holds about 1000 Services)
        SessionMix limitMix = new SessionMix("limit-n" + n, usersKeys);
        limitMix.prepare(admin);
        String limitAgent = LIMIT_USER_AGENT + n;
        MinimalWrites.Result limit;
        try (KubernetesClient asOperator = operatorIdentity(limitAgent); KubernetesClient users = users()) {
            limit = new MinimalWrites(asOperator, users).run(limitMix, n, concurrency);
        }
        ApiCost limitCost = ApiCost.of(cluster.auditLog(), limitAgent, r -> true);
        limitMix.delete(admin, Duration.ofMinutes(10));
        System.out.printf("N=%d: limit %.1f sessions/s (%d sessions in %.1f s)%n", n, limit.perSecond(), n,
                limit.elapsed().toMillis() / 1000.0);

        // the operator: started now, so its cache holds only this run
        OperatorLog log = new OperatorLog(cluster.operatorLog());
        long startMark = log.mark();
        cluster.startOperator(OPERATOR_SETTINGS);
        String agent = cluster.operatorUserAgent();
        SessionMix mix = new SessionMix("bench-n" + n, usersKeys);
        mix.prepare(admin);
        Set<String> namespaces = new HashSet<>(mix.namespaces());
        List<ReadyWatcher.Readiness> ready;
        try (ReadyWatcher watcher = new ReadyWatcher(admin, mix.run()); KubernetesClient users = users()) {
            createAll(users, mix, n, watcher);
            ready = watcher.awaitReady(n, Duration.ofSeconds(120 + n / 2)); // 2 sessions/s at worst
        }
        List<ReadyWatcher.Readiness> split = ready.stream().filter(ReadyWatcher.Readiness::split).toList();
        long first = ready.stream().mapToLong(ReadyWatcher.Readiness::createdMillis).min().orElseThrow();
        long last = ready.stream().mapToLong(ReadyWatcher.Readiness::readySeenMillis).max().orElseThrow();
        Duration elapsed = Duration.ofMillis(last - first);
        System.out.printf("N=%d: operator %.1f sessions/s (%d sessions Ready in %.1f s)%n", n,
                n / (elapsed.toMillis() / 1000.0), n, elapsed.toMillis() / 1000.0);
        awaitQuiet(log, startMark, namespaces, n); // what follows Ready (events, a last pass) counts too
        List<Long> operatorSide = log.firstReconcileToReady(startMark, namespaces);
        long passes = log.passes(startMark, namespaces);
        ApiCost operatorCost = ApiCost.of(cluster.auditLog(), agent, ApiCost.forSessionsIn(namespaces));
        OperatorFootprint footprint = OperatorFootprint.measure(cluster.operator());
        System.out.printf("N=%d: heap after GC %s of %s, RSS %s (peak %s)%n", n, OperatorFootprint.mib(
                footprint.heapAfterGcBytes()), OperatorFootprint.mib(footprint.heapMaxBytes()),
                OperatorFootprint.mib(footprint.rssBytes()), OperatorFootprint.mib(footprint.rssPeakBytes()));
        OperatorFootprint.histogram(cluster.operator(), dir.resolve("heap-histogram-n" + n + ".txt"));
        OperatorFootprint.nativeMemory(cluster.operator(), dir.resolve("native-memory-n" + n + ".txt"));
        ReconcileTime reconcileTime = ReconcileTime.of(OperatorFootprint.scrape(cluster.operator().managementPort()));

        // a restart with nothing changed: a full resync, which should write nothing
        cluster.stopOperator();
        long restartMark = log.mark();
        cluster.startOperator(OPERATOR_SETTINGS);
        String resyncAgent = cluster.operatorUserAgent();
        long resynced = awaitQuiet(log, restartMark, namespaces, n);
        ApiCost resyncCost = ApiCost.of(cluster.auditLog(), resyncAgent, ApiCost.forSessionsIn(namespaces));

        // every session expires in the same second; time to change all ttls first (the users' patches, 50 at a time)
        ExpiryPrecision.Result expiry;
        try (KubernetesClient users = users()) {
            List<TunnelSession> live = admin.resources(TunnelSession.class).inAnyNamespace()
                    .withLabel(SessionMix.RUN_LABEL, mix.run()).list().getItems();
            expiry = ExpiryPrecision.measure(admin, users, mix.run(), live, concurrency,
                    Duration.ofSeconds(30).plusMillis(40L * n)); // the users patched about 37 ttls/s at N = 1000
        }
        System.out.printf("N=%d: expiry %s%n", n, expiry);

        mix.delete(admin, Duration.ofMinutes(15)); // while the operator runs: it removes its finalizers
        cluster.stopOperator();
        return new SizeResult(n, limit, limitCost, elapsed,
                Percentiles.of(ready.stream().map(ReadyWatcher.Readiness::clientMillis).toList()),
                Percentiles.of(ready.stream().map(ReadyWatcher.Readiness::apiSeconds).toList()),
                Percentiles.of(operatorSide), passes, operatorCost, footprint, reconcileTime, resyncCost, resynced,
                expiry, Percentiles.of(split.stream().map(ReadyWatcher.Readiness::operatorMillis).toList()),
                Percentiles.of(split.stream().map(ReadyWatcher.Readiness::kubernetesMillis).toList()));
    }

    /** The users' creates, {@link #concurrency} at a time, as fast as the API server takes them. */
    private void createAll(KubernetesClient users, SessionMix mix, int n, ReadyWatcher watcher) throws Exception {
        List<TunnelSession> all = IntStream.range(0, n).mapToObj(mix::session).toList(); // before the clock starts
        ExecutorService threads = Executors.newFixedThreadPool(concurrency);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (TunnelSession session : all) {
                done.add(threads.submit(() -> {
                    watcher.creating(session);
                    users.resource(session).create();
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * Waits until the operator has reconciled at least {@code sessions} sessions since the mark and then made no new
     * pass for 3 s; the number of sessions it reconciled.
     */
    private static long awaitQuiet(OperatorLog log, long mark, Set<String> namespaces, int sessions) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        long passes = -1;
        while (System.nanoTime() < deadline) {
            Thread.sleep(3000);
            long now = log.passes(mark, namespaces);
            long reconciled = log.sessionsReconciled(mark, namespaces);
            if (now == passes && reconciled >= sessions) {
                return reconciled;
            }
            passes = now;
        }
        throw new IllegalStateException("the operator did not reconcile all " + sessions + " sessions and settle within "
                + "5 min (" + log.sessionsReconciled(mark, namespaces) + " reconciled)");
    }

    /** A client with the operator's ServiceAccount token. */
    private KubernetesClient operatorIdentity(String userAgent) throws Exception {
        Path kubeconfig = cluster.operatorKubeconfig(Files.createTempFile("bench-operator-", ".kubeconfig"));
        try {
            return client(Files.readString(kubeconfig), userAgent);
        } finally {
            Files.delete(kubeconfig);
        }
    }

    /** The users who create the sessions (as admin, as the tests' users do), with a User-Agent of their own. */
    private KubernetesClient users() throws Exception {
        return client(Files.readString(Path.of(cluster.env().get("KUBECONFIG"))), USERS_USER_AGENT);
    }

    /** No client-side limit below the concurrency: the API server is what is measured. */
    private KubernetesClient client(String kubeconfig, String userAgent) {
        Config config = Config.fromKubeconfig(kubeconfig);
        config.setUserAgent(userAgent);
        config.setMaxConcurrentRequests(Math.max(64, 2 * concurrency));
        config.setMaxConcurrentRequestsPerHost(Math.max(64, 2 * concurrency));
        // a saturated API server answers late, not never: the default 10 s failed a limit run at N = 5000
        config.setRequestTimeout(60_000);
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
