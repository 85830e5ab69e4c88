package io.tunnelops.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.tunnelops.local.OperatorProcess;
import io.tunnelops.local.PodNetwork;
import io.tunnelops.testing.Kubectl;

/**
 * A real Kubernetes control plane for the tests (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, built
 * here from Kubernetes' own Go modules and started by {@code bin/cluster}), with the {@link NodeAgent} as its node, the
 * {@link ServiceProxy} for Service addresses, our CRDs, the chart's ServiceAccount and RBAC, and the operator running
 * as that ServiceAccount (never as admin, so a missing permission fails a test). One per test JVM: started by the
 * first test that asks, stopped when the test plan ends or the JVM exits; a run killed half way is cleaned up by the
 * next one, which starts with {@code bin/cluster down --purge} of the same directory.
 */
public final class RealCluster implements AutoCloseable {

    public static final String OPERATOR_NAMESPACE = "tunnel-operator";
    public static final String OPERATOR_ACCOUNT = "tunnel-operator";
    /** The operator's default sshd image: the one image the node agent has. */
    public static final String SSHD_IMAGE = "ghcr.io/tunnelops/sshd:0.1.0";
    /**
     * The User-Agent of the operator processes started here (Fabric8's KUBERNETES_USER_AGENT), followed by a number
     * per start: tells the operator's requests in the audit log from the test's own Fabric8 clients.
     */
    public static final String OPERATOR_USER_AGENT = "tunnel-operator-it/";

    private static RealCluster shared;

    private final Path project = Path.of("").toAbsolutePath();
    private final Path dir;
    /** Null: the full node agent (sshd for real, pod network, Service proxy) and the operator started with it. */
    private final Integer lightNodePods;
    private final List<AutoCloseable> started = new ArrayList<>();
    private Map<String, String> env;
    private KubernetesClient admin;
    private Kubectl kubectl;
    private PodNetwork network;
    private NodeAgent agent;
    private OperatorProcess operator;
    private int operatorStarts;
    private Duration startup;

    private RealCluster(Path dir, Integer lightNodePods) {
        this.dir = dir.toAbsolutePath();
        this.lightNodePods = lightNodePods;
    }

    /**
     * A cluster of its own for a benchmark, in {@code dir}: the same control plane, CRDs and operator account, with
     * {@link NodeAgent#light a light node} for {@code maxPods} pods (no sshd, no pod network, no Service proxy), and no
     * operator yet ({@link #startOperator(Map)}). The caller closes it.
     */
    public static RealCluster withLightNode(Path dir, int maxPods) {
        RealCluster cluster = new RealCluster(dir, maxPods);
        try {
            cluster.start();
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** Stops the shared cluster if one was started (also done by a shutdown hook, which may come too late). */
    static synchronized void stopShared() {
        if (shared != null) {
            shared.close();
            shared = null;
        }
    }

    /** The cluster of this test JVM, started on first use. */
    public static synchronized RealCluster shared() {
        if (shared == null) {
            // TUNNEL_IT_CLUSTER_DIR moves it, so that two checkouts on one machine can each run their own
            RealCluster cluster = new RealCluster(Path.of(System.getenv().getOrDefault("TUNNEL_IT_CLUSTER_DIR",
                    Path.of("target/cluster/it").toAbsolutePath().toString())), null);
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "real-cluster-stop"));
            try {
                cluster.start();
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
            shared = cluster;
        }
        return shared;
    }

    private void start() {
        long begin = System.nanoTime();
        clusterCommand("down", "--dir", dir.toString(), "--purge"); // whatever a killed run left
        clusterCommand("up", "--dir", dir.toString());
        env = readEnv(dir.resolve("env"));
        Path adminKubeconfig = Path.of(env.get("KUBECONFIG"));
        admin = new KubernetesClientBuilder().withConfig(adminConfig(adminKubeconfig)).build();
        started.add(admin);
        kubectl = new Kubectl(Path.of(env.get("BIN"), "kubectl"), adminKubeconfig, dir.resolve("kube-cache"));

        kubectl.succeed("apply", "-f", project.resolve("deploy/crds").toString());
        // kubectl wait fails at once ("accessor error: <nil>") while a new CRD has no status.conditions yet: retry
        Kubectl.Result established = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> kubectl.run("wait", "--for=condition=Established", "--timeout=60s",
                        "crd/tunnelsessions.tunnelops.io", "crd/tunnelpolicies.tunnelops.io"),
                        r -> r.exitCode() == 0 || !r.stderr().contains("accessor error"));
        if (established.exitCode() != 0) {
            throw new IllegalStateException("the CRDs are not Established: " + established.stderr());
        }
        installOperatorAccount();

        Path nodeDir = Path.of("/var/lib/tunnel-operator-local/node-" + ProcessHandle.current().pid());
        if (lightNodePods != null) {
            agent = NodeAgent.light(admin, nodeDir, lightNodePods).start();
            started.add(agent);
        } else {
            network = PodNetwork.create(env.get("SERVICE_CIDR"));
            started.add(network);
            started.add(new ServiceProxy(admin, network, env.get("SERVICE_CIDR")).start());
            agent = new NodeAgent(admin, network, nodeDir, SSHD_IMAGE).start();
            started.add(agent);
            startOperator();
        }
        startup = Duration.ofNanos(System.nanoTime() - begin);
    }

    /** The chart's ServiceAccount, Roles and bindings, exactly as `helm install` would create them. */
    private void installOperatorAccount() {
        admin.resource(new NamespaceBuilder().withNewMetadata().withName(OPERATOR_NAMESPACE).endMetadata().build())
                .createOr(NonDeletingOperation::update);
        applyChartRbac(null);
    }

    /**
     * Applies the ServiceAccount, Roles and bindings the chart renders with this values file (null: the defaults);
     * what a `helm upgrade` with those values would add (it would also delete what they no longer render).
     */
    public void applyChartRbac(Path values) {
        TemplateCommand template = new Helm(project.resolve("deploy/helm/tunnel-operator")).template()
                .withName("tunnel-operator").withNamespace(OPERATOR_NAMESPACE);
        String rendered = (values == null ? template : template.withValuesFile(values)).call();
        String rbac = List.of(rendered.split("(?m)^---\\s*$")).stream()
                .filter(doc -> doc.matches("(?s).*\\nkind: (ServiceAccount|ClusterRole|ClusterRoleBinding|Role|RoleBinding)\\n.*"))
                .collect(Collectors.joining("\n---\n"));
        Kubectl.Result applied = kubectl.runWithInput(rbac, "apply", "-f", "-");
        if (applied.exitCode() != 0) {
            throw new IllegalStateException("the chart's RBAC was refused: " + applied.stderr());
        }
    }

    /** The operator with a token of its ServiceAccount: what the chart's pod would have; default settings. */
    public void startOperator() {
        startOperator(Map.of());
    }

    /**
     * The operator with a token of its ServiceAccount and these settings as environment variables (for example
     * TUNNEL_OPERATOR_RETENTION=15s), on top of the defaults of application.properties.
     */
    public void startOperator(Map<String, String> settings) {
        Path kubeconfig = operatorKubeconfig(dir.resolve("operator.kubeconfig"));
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("KUBERNETES_USER_AGENT", OPERATOR_USER_AGENT + ++operatorStarts);
        environment.putAll(settings);
        operator = OperatorProcess.start(project, kubeconfig, environment, operatorLog());
    }

    /**
     * One more instance of the operator, as a second replica of the chart's Deployment would be: the same account,
     * Lease and defaults, plus these settings; its own log ({@code name}.log) and User-Agent ({@code name}).
     */
    public OperatorProcess startReplica(String name, Map<String, String> settings) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("KUBERNETES_USER_AGENT", OPERATOR_USER_AGENT + name);
        environment.putAll(settings);
        return OperatorProcess.start(project, operatorKubeconfig(dir.resolve(name + ".kubeconfig")), environment,
                dir.resolve(name + ".log"));
    }

    /**
     * Writes a kubeconfig with a fresh token of the operator's ServiceAccount and its namespace (what the chart's pod
     * would have: the Lease is looked for there), the API server's address and CA inline, so that it works from any
     * directory, and in a container on the host network.
     */
    public Path operatorKubeconfig(Path kubeconfig) {
        String token = admin.serviceAccounts().inNamespace(OPERATOR_NAMESPACE).withName(OPERATOR_ACCOUNT)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(24 * 3600L).endSpec().build())
                .getStatus().getToken();
        write(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: real
                  cluster:
                    server: %s
                    certificate-authority-data: %s
                users:
                - name: %s
                  user:
                    token: %s
                contexts:
                - name: operator
                  context: {cluster: real, user: %s, namespace: %s}
                current-context: operator
                """.formatted(env.get("API_URL"), Base64.getEncoder().encodeToString(
                        read(Path.of(env.get("CLUSTER_DIR"), "pki", "ca.crt")).getBytes(StandardCharsets.UTF_8)),
                "system:serviceaccount:" + OPERATOR_NAMESPACE + ":" + OPERATOR_ACCOUNT, token,
                "system:serviceaccount:" + OPERATOR_NAMESPACE + ":" + OPERATOR_ACCOUNT, OPERATOR_NAMESPACE));
        return kubeconfig;
    }

    /** Stops the running operator (SIGTERM) and starts it again with these settings (Map.of(): the defaults). */
    public synchronized void restartOperator(Map<String, String> settings) {
        stopOperator();
        startOperator(settings);
    }

    /** Stops the running operator, if any (SIGTERM, then SIGKILL after a few seconds). */
    public synchronized void stopOperator() {
        if (operator != null) {
            operator.close();
            operator = null;
        }
    }

    /** The operator's log: every start appends to it. */
    public Path operatorLog() {
        return dir.resolve("operator.log");
    }

    /** The User-Agent of the operator running now. */
    public String operatorUserAgent() {
        return OPERATOR_USER_AGENT + operatorStarts;
    }

    /** The API server's audit log: JSON lines, level Metadata, every request since this cluster was started. */
    public Path auditLog() {
        return Path.of(env.get("CLUSTER_DIR"), "logs", "audit.log");
    }

    public OperatorProcess operator() {
        return operator;
    }

    public KubernetesClient admin() {
        return admin;
    }

    public Kubectl kubectl() {
        return kubectl;
    }

    public NodeAgent node() {
        return agent;
    }

    public Map<String, String> env() {
        return env;
    }

    public Duration startupTime() {
        return startup;
    }

    /** A fresh namespace under the restricted Pod Security Standard, as a platform team would set it. */
    public String namespace(String prefix) {
        return restrictedNamespace(admin, prefix);
    }

    static String restrictedNamespace(KubernetesClient admin, String prefix) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
        admin.resource(new NamespaceBuilder().withNewMetadata().withName(name)
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                .addToLabels("pod-security.kubernetes.io/enforce-version", "latest").endMetadata().build()).create();
        return name;
    }

    @Override
    public synchronized void close() {
        if (operator != null) {
            operator.close();
            operator = null;
        }
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                System.err.println("real cluster: stopping " + started.get(i).getClass().getSimpleName() + " failed: " + e);
            }
        }
        started.clear();
        if (env != null || Files.isDirectory(dir)) {
            clusterCommand("down", "--dir", dir.toString());
            env = null;
        }
    }

    private String clusterCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(project.resolve("bin/cluster").toString()));
        command.addAll(List.of(args));
        Map<String, String> environment = lightNodePods == null ? Map.of()
                : Map.of("TUNNEL_CLUSTER_SERVICE_PREFIX", String.valueOf(servicePrefix(lightNodePods)));
        return run(project, Duration.ofMinutes(5), command, environment);
    }

    /** The longest prefix (at most /22, bin/cluster's default) whose range holds one Service per pod, twice over. */
    static int servicePrefix(int pods) {
        int prefix = 22;
        while (prefix > 12 && (1L << (32 - prefix)) - 2 < 2L * pods + 100) {
            prefix--;
        }
        return prefix;
    }

    /** Runs a command to its end in that directory; its output (stdout and stderr), or an exception saying why not. */
    static String run(Path workDir, Duration timeout, List<String> command) {
        return run(workDir, timeout, command, Map.of());
    }

    /** The same with more environment variables for the command. */
    static String run(Path workDir, Duration timeout, List<String> command, Map<String, String> environment) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
            builder.environment().putAll(environment);
            Process process = builder.start();
            process.getOutputStream().close();
            // read while it runs: a full pipe would block the command
            var output = new java.io.ByteArrayOutputStream();
            Thread reader = new Thread(() -> {
                try {
                    process.getInputStream().transferTo(output);
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            reader.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out after " + timeout);
            }
            reader.join(5000);
            String text = output.toString(StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue() + "):\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Config adminConfig(Path kubeconfig) {
        return Config.fromKubeconfig(read(kubeconfig));
    }

    static Map<String, String> readEnv(Path file) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : read(file).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && !line.startsWith("#")) {
                values.put(line.substring(0, eq).replaceFirst("^export ", ""),
                        line.substring(eq + 1).replaceAll("^[\"']|[\"']$", ""));
            }
        }
        return values;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
