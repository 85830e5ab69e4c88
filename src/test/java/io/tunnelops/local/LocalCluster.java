package io.tunnelops.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import io.tunnelops.testing.EchoServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;

/**
 * Local mode: a whole "cluster" on one machine with no Kubernetes, started by one command. It runs the embedded
 * Kubernetes API ({@link EmbeddedApiServer}) with the CRDs of deploy/crds, the real operator as a child process
 * ({@code target/quarkus-app}), the {@link LocalPodRunner} standing in for the kubelet (each session's sshd runs with
 * Debian's OpenSSH in a network namespace of its own), and a demo target: the Service {@code echo} (namespace default, TCP 7000)
 * with an echo server on its cluster IP. Users then work with the real kubectl and ssh, as against a cluster.
 *
 * <p>{@link #main} is the command ({@code ./mvnw -q -DskipTests package exec:java@local-cluster}); tests use
 * {@link #start(Options)} and {@link #close()}. Needs root (the runner uses setpriv and unshare).
 */
public final class LocalCluster implements AutoCloseable {

    /** Default API port: the usual port of a Kubernetes API server. */
    public static final int DEFAULT_API_PORT = 6443;
    public static final String PORT_VARIABLE = "LOCAL_CLUSTER_PORT";
    public static final String ECHO_SERVICE = "echo";
    public static final int ECHO_PORT = 7000;


    /**
     * @param apiPort the embedded API server's port on 127.0.0.1 (0: any free port)
     * @param projectDir the checkout: deploy/crds, target/quarkus-app and images/sshd are read from it
     * @param stateDir where the kubeconfig and operator.log go
     * @param podWorkDir the runner's pod directories; never under /tmp (sshd's StrictModes refuses world-writable parents)
     */
    public record Options(int apiPort, Path projectDir, Path stateDir, Path podWorkDir) {

        /** Port from {@code --port=N} or {@value #PORT_VARIABLE}, else 6443; state in target/local-cluster. */
        public static Options fromCommandLine(String[] args) {
            int port = DEFAULT_API_PORT;
            String fromEnvironment = System.getenv(PORT_VARIABLE);
            if (fromEnvironment != null && !fromEnvironment.isBlank()) {
                port = Integer.parseInt(fromEnvironment.strip());
            }
            for (int i = 0; i < args.length; i++) {
                if (args[i].startsWith("--port=")) {
                    port = Integer.parseInt(args[i].substring("--port=".length()));
                } else if (args[i].equals("--port") && i + 1 < args.length) {
                    port = Integer.parseInt(args[++i]);
                } else if (!args[i].isBlank()) {
                    throw new IllegalArgumentException("unknown argument " + args[i] + " (usage: [--port=N])");
                }
            }
            Path project = Path.of("").toAbsolutePath();
            return new Options(port, project, project.resolve("target/local-cluster"),
                    Path.of("/var/lib/tunnel-operator-local"));
        }
    }

    private final Options options;
    private final List<AutoCloseable> started = new ArrayList<>();
    private EmbeddedApiServer api;
    private LocalPodRunner runner;
    private OperatorProcess operator;
    private String echoAddress;
    private Duration startup;
    private boolean closed;

    private LocalCluster(Options options) {
        this.options = options;
    }

    /** Starts everything, or nothing: on failure whatever had started is stopped again. */
    public static LocalCluster start(Options options) {
        return new LocalCluster(options).startOrClose();
    }

    private LocalCluster startOrClose() {
        try {
            startAll();
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    // synchronized with close(): a Ctrl-C during startup stops whatever has started once startup is over
    private synchronized void startAll() {
        if (closed) {
            throw new IllegalStateException("local cluster stopped before it started");
        }
        long begin = System.nanoTime();
        Path operatorJar = options.projectDir().resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(operatorJar)) {
            throw new IllegalStateException(operatorJar + " is missing: run ./mvnw package -DskipTests first"
                    + " (the local mode command, ./mvnw -q -DskipTests package exec:java@local-cluster, does)");
        }
        try {
            Files.createDirectories(options.stateDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        api = new EmbeddedApiServer().start(options.apiPort());
        started.add(api);
        KubernetesClient client = api.client();
        api.applyCrds(options.projectDir().resolve("deploy/crds"));
        for (String namespace : List.of("default", "kube-system")) {
            client.resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
                    .createOr(NonDeletingOperation::update);
        }
        api.writeKubeconfig(kubeconfig());

        runner = new LocalPodRunner(client, options.podWorkDir()).start();
        started.add(runner);
        echoAddress = startEchoTarget(client);

        operator = OperatorProcess.start(options.projectDir(), kubeconfig(), api.operatorSettings(), operatorLog());
        startup = Duration.ofNanos(System.nanoTime() - begin);
    }

    /** The Service echo gets its cluster IP from the runner; the echo server then listens there. */
    private String startEchoTarget(KubernetesClient client) {
        Service service = new ServiceBuilder().withNewMetadata().withName(ECHO_SERVICE).withNamespace("default")
                .addToLabels("app", ECHO_SERVICE).endMetadata()
                .withNewSpec().addToSelector("app", ECHO_SERVICE).addNewPort().withName("echo").withProtocol("TCP")
                .withPort(ECHO_PORT).endPort().endSpec().build();
        client.resource(service).createOr(NonDeletingOperation::update);
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            Service current = client.services().inNamespace("default").withName(ECHO_SERVICE).get();
            String ip = current == null ? null : current.getSpec().getClusterIP();
            if (ip != null && !ip.isBlank()) {
                started.add(new EchoServer(ip, ECHO_PORT));
                return ip;
            }
            sleep(Duration.ofMillis(50));
        }
        throw new IllegalStateException("the local pod runner gave the Service echo no cluster IP within 15 s");
    }

    public Path kubeconfig() {
        return options.stateDir().resolve("kubeconfig");
    }

    public Path operatorLog() {
        return options.stateDir().resolve("operator.log");
    }

    public EmbeddedApiServer apiServer() {
        return api;
    }

    /** The cluster IP of the Service echo, where the echo server listens on port 7000. */
    public String echoAddress() {
        return echoAddress;
    }

    /** What the runner has on this machine now: after {@link #close()}, none of it may be left. */
    public RunnerFootprint runnerFootprint() {
        return RunnerFootprint.of(runner);
    }

    /** The sshd processes the runner is running, by "namespace/deployment". */
    public Map<String, Long> runningSshds() {
        return runner == null ? Map.of() : runner.runningPids();
    }

    public Duration startupTime() {
        return startup;
    }

    /** What to type next: printed by {@link #main}. */
    public String walkthrough() {
        String kubeconfig = kubeconfig().toString();
        return """

                Local cluster ready in %.1f s: Kubernetes API %s (embedded), the tunnel operator (log: %s;
                metrics: http://127.0.0.1:%d/q/metrics), the local pod runner, and the demo Service echo
                (namespace default, port %d, at %s).

                kubeconfig: %s

                  export KUBECONFIG=%s
                  kubectl apply -f examples/echo-tunnel.yaml
                  kubectl wait --for=condition=Ready ts/echo-debug --timeout=60s
                  kubectl get ts
                  kubectl get secret echo-debug-ssh -o jsonpath='{.data.id_ed25519}' | base64 -d > id_ed25519 && chmod 600 id_ed25519
                  kubectl get secret echo-debug-ssh -o jsonpath='{.data.known_hosts}' | base64 -d > known_hosts
                  ssh -i id_ed25519 -o UserKnownHostsFile=known_hosts -o StrictHostKeyChecking=yes \\
                      $(kubectl get ts echo-debug -o jsonpath='{.status.sshCommand}' | sed 's/^ssh //') &
                  exec 3<>/dev/tcp/127.0.0.1/7000; echo hello >&3; head -1 <&3; exec 3<&-   # "hello", echoed through the tunnel
                  kill %%1; kubectl delete ts echo-debug

                A shell in an app's environment (Shell mode; here this machine's filesystem stands in for the app's image):

                  kubectl apply -f examples/shell-demo.yaml
                  kubectl wait --for=condition=Ready ts/app01-shell --timeout=60s
                  kubectl get secret app01-shell-ssh -o jsonpath='{.data.id_ed25519}' | base64 -d > id_ed25519 && chmod 600 id_ed25519
                  kubectl get secret app01-shell-ssh -o jsonpath='{.data.known_hosts}' | base64 -d > known_hosts
                  ssh -i id_ed25519 -o UserKnownHostsFile=known_hosts -o StrictHostKeyChecking=yes \\
                      $(kubectl get ts app01-shell -o jsonpath='{.status.sshCommand}' | sed 's/^ssh //')
                  kubectl delete -f examples/shell-demo.yaml

                Ctrl-C stops the operator, every sshd, the echo server and the API server.
                """.formatted(startup.toMillis() / 1000.0, api.url(), operatorLog(), operator.managementPort(), ECHO_PORT,
                echoAddress,
                kubeconfig, kubeconfig);
    }

    /** Stops the operator first (so it writes nothing more), then every sshd, the echo server and the API server. */
    @Override
    public synchronized void close() {
        closed = true;
        if (operator != null) {
            operator.close();
            operator = null;
        }
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                System.err.println("local cluster: stopping " + started.get(i).getClass().getSimpleName()
                        + " failed: " + e);
            }
        }
        started.clear();
        runner = null;
    }

    /** The one command of local mode: starts everything, prints the walkthrough, runs until SIGINT or SIGTERM. */
    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("java.util.logging.manager") == null) {
            // the runner logs through JBoss Logging; this keeps the LogManager from complaining it came too late
            System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        }
        LocalCluster cluster = new LocalCluster(Options.fromCommandLine(args));
        CountDownLatch stopped = new CountDownLatch(1);
        // registered before anything starts, so that a Ctrl-C during startup leaves nothing running either
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nlocal cluster: stopping");
            cluster.close();
            stopped.countDown();
        }, "local-cluster-shutdown"));
        cluster.startOrClose();
        synchronized (cluster) {
            if (!cluster.closed) {
                System.out.println(cluster.walkthrough());
            }
        }
        stopped.await(); // the shutdown hook, on Ctrl-C or SIGTERM, releases this
    }

    // ---- helpers


    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
