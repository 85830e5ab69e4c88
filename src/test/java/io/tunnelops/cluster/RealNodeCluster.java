package io.tunnelops.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.tunnelops.testing.Kubectl;

/**
 * A real single-node Kubernetes, as a platform team runs one: the control plane of {@code bin/cluster}, a real node
 * ({@code cluster/node/up.sh}: containerd, kubelet and kube-proxy in a network namespace of their own), our images
 * built from our Dockerfiles ({@code images/build.sh}, run by Maven before the integration tests) and imported into
 * the node's containerd, and the operator installed from {@code deploy/helm} with Helm. One per test JVM, like
 * {@link RealCluster}, in its own directory (TUNNEL_IT_NODE_CLUSTER_DIR, default target/cluster/node-it); a run killed
 * half way is cleaned up by the next one.
 */
public final class RealNodeCluster implements AutoCloseable {

    public static final String RELEASE = "tunnel-operator";
    public static final String OPERATOR_NAMESPACE = "tunnel-operator";
    public static final String OPERATOR_IMAGE = "ghcr.io/tunnelops/tunnel-operator:0.1.0-SNAPSHOT";
    public static final String SSHD_IMAGE = RealCluster.SSHD_IMAGE;
    /** Shell mode's image when a session names no Deployment (images/toolbox). */
    public static final String TOOLBOX_IMAGE = "ghcr.io/tunnelops/shell-toolbox:0.1.0";
    /** Built by cluster/node/images.sh and imported by up.sh: a static busybox, for echo targets and probes. */
    public static final String BUSYBOX_IMAGE = "tunnel.local/busybox:1.35";
    /** Our images' OCI archives in target/images (images/build.sh), imported into the node's containerd. */
    private static final List<String> ARCHIVES = List.of("sshd", "operator", "toolbox");

    private static RealNodeCluster shared;

    private final Path project = Path.of("").toAbsolutePath();
    private final Path dir;
    private Map<String, String> env;
    private Map<String, String> nodeEnv;
    private KubernetesClient admin;
    private Kubectl kubectl;
    private Duration startup;

    private RealNodeCluster(Path dir) {
        this.dir = dir.toAbsolutePath();
    }

    /** Stops the shared cluster if one was started (also done by a shutdown hook, which may come too late). */
    static synchronized void stopShared() {
        if (shared != null) {
            shared.close();
            shared = null;
        }
    }

    public static synchronized RealNodeCluster shared() {
        if (shared == null) {
            RealNodeCluster cluster = new RealNodeCluster(Path.of(System.getenv().getOrDefault("TUNNEL_IT_NODE_CLUSTER_DIR",
                    "target/cluster/node-it")));
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "real-node-cluster-stop"));
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

    /**
     * "Try it on a real cluster" (README), one command: {@code ./mvnw -q -DskipTests package exec:java@real-cluster}.
     * Builds what is missing (the Kubernetes binaries, our images), starts the control plane and the node, installs the
     * chart, puts the demo target (Service {@code echo}, port 7000) into {@code default} under the restricted Pod
     * Security Standard, prints what to type next and runs until Ctrl-C, which takes everything down.
     */
    public static void main(String[] args) throws InterruptedException {
        RealNodeCluster cluster = new RealNodeCluster(Path.of(System.getenv().getOrDefault("TUNNEL_REAL_CLUSTER_DIR",
                "target/cluster/real")));
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("real cluster: stopping (helm release, node, control plane)");
            cluster.close();
            stopped.countDown();
        }, "real-cluster-stop"));
        if (!Files.isExecutable(cluster.project.resolve("target/cluster/bin/kubelet"))) {
            System.out.println("real cluster: building the Kubernetes binaries (cluster/build.sh; about 9 min the first time)");
            cluster.run(Duration.ofMinutes(40), "bash", cluster.project.resolve("cluster/build.sh").toString());
        }
        if (!ARCHIVES.stream().allMatch(image -> Files.isRegularFile(cluster.imageArchive(image)))) {
            System.out.println("real cluster: building our images (images/build.sh operator; several minutes the first time)");
            cluster.run(Duration.ofMinutes(40), cluster.project.resolve("images/build.sh").toString(), "operator");
        }
        cluster.start();
        cluster.admin.namespaces().withName("default").edit(n -> new NamespaceBuilder(n).editMetadata()
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted").endMetadata().build());
        RealNodeFixtures.echoTarget(cluster.admin, "default", "echo", 7000);
        System.out.printf("""
                real cluster: ready in %.0f s: control plane, node %s (%s), operator installed with Helm (release %s, namespace %s), Service echo:7000 in default.
                In another shell (bash):
                  export KUBECONFIG=%s PATH=%s:$PATH
                  kubectl get nodes,pods -A
                then the walkthrough of "Local mode", word for word. Ctrl-C here stops it all.
                """, cluster.startup.toMillis() / 1000.0, cluster.nodeEnv.get("NODE_NAME"), cluster.nodeEnv.get("NODE_IP"),
                RELEASE, OPERATOR_NAMESPACE, cluster.kubeconfig(), cluster.env.get("BIN"));
        stopped.await();
    }

    private void start() {
        long begin = System.nanoTime();
        for (String image : ARCHIVES) {
            if (!Files.isRegularFile(imageArchive(image))) {
                throw new IllegalStateException(imageArchive(image) + " is missing: `images/build.sh operator` builds it "
                        + "(Maven runs it before the integration tests)");
            }
        }
        run(Duration.ofMinutes(5), project.resolve("bin/cluster").toString(), "down", "--dir", dir.toString(), "--purge");
        run(Duration.ofMinutes(5), project.resolve("bin/cluster").toString(), "up", "--dir", dir.toString());
        env = RealCluster.readEnv(dir.resolve("env"));
        long plane = System.nanoTime();
        run(Duration.ofMinutes(5), project.resolve("cluster/node/up.sh").toString(), dir.toString());
        long node = System.nanoTime();
        nodeEnv = RealCluster.readEnv(dir.resolve("node/env"));
        Path adminKubeconfig = Path.of(env.get("KUBECONFIG"));
        admin = new KubernetesClientBuilder().withConfig(RealCluster.adminConfig(adminKubeconfig)).build();
        kubectl = new Kubectl(Path.of(env.get("BIN"), "kubectl"), adminKubeconfig, dir.resolve("kube-cache"));
        for (String image : ARCHIVES) {
            ctr("images", "import", imageArchive(image).toString());
        }
        long imported = System.nanoTime();
        install(Map.of());
        startup = Duration.ofNanos(System.nanoTime() - begin);
        System.out.printf("real node cluster: control plane %.1f s, node %.1f s, images imported %.1f s, helm install "
                + "until the operator is ready %.1f s%n", (plane - begin) / 1e9, (node - plane) / 1e9,
                (imported - node) / 1e9, (System.nanoTime() - imported) / 1e9);
    }

    private Path imageArchive(String name) {
        return project.resolve("target/images/" + name + ".tar");
    }

    /**
     * {@code helm install} of the chart, as the README tells users, waiting until the operator's Deployment is ready
     * (its startup, liveness and readiness probes answer). Values as {@code --set}.
     */
    public Release install(Map<String, Object> values) {
        var install = new Helm(project.resolve("deploy/helm/tunnel-operator")).install().withName(RELEASE)
                .withNamespace(OPERATOR_NAMESPACE).createNamespace().withKubeConfig(kubeconfig()).waitReady()
                .withTimeout(180);
        values.forEach(install::set);
        return install.call();
    }

    /**
     * {@code helm upgrade} with these values (the others back to the chart's defaults), waiting until the new operator
     * pods are ready and the old ones gone, so that the leader is one of the new pods.
     */
    public Release upgrade(Map<String, Object> values) {
        // resetValues: without values Helm would otherwise reuse the previous release's
        var upgrade = new Helm(project.resolve("deploy/helm/tunnel-operator")).upgrade().withName(RELEASE)
                .withNamespace(OPERATOR_NAMESPACE).withKubeConfig(kubeconfig()).resetValues().waitReady().withTimeout(180);
        values.forEach(upgrade::set);
        Release release = upgrade.call();
        int replicas = admin.apps().deployments().inNamespace(OPERATOR_NAMESPACE).withName(RELEASE).get().getSpec()
                .getReplicas();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> admin.pods()
                .inNamespace(OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/name", "tunnel-operator").list().getItems()
                .size() == replicas);
        return release;
    }

    /** {@code helm uninstall}, waiting until its objects are gone. */
    public String uninstall() {
        return Helm.uninstall(RELEASE).withNamespace(OPERATOR_NAMESPACE).withKubeConfig(kubeconfig()).call();
    }

    public Path kubeconfig() {
        return Path.of(env.get("KUBECONFIG"));
    }

    /** The installed operator's log (all its pods, this release). */
    public String operatorLog() {
        return kubectl.run("logs", "-n", OPERATOR_NAMESPACE, "-l", "app.kubernetes.io/name=tunnel-operator",
                "--tail=-1").stdout();
    }

    /** ctr against the node's containerd, in the Kubernetes namespace; the output. */
    public String ctr(String... args) {
        List<String> command = new ArrayList<>(List.of("ctr", "--address", nodeEnv.get("CONTAINERD_SOCK"), "-n", "k8s.io"));
        command.addAll(List.of(args));
        return run(Duration.ofMinutes(2), command.toArray(String[]::new));
    }

    /** A command inside the node's network namespace (where the pods' bridge and kube-proxy's rules are). */
    public String inNode(String... args) {
        List<String> command = new ArrayList<>(List.of("nsenter", "--net=/var/run/netns/" + nodeEnv.get("NODE_NS")));
        command.addAll(List.of(args));
        return run(Duration.ofMinutes(1), command.toArray(String[]::new));
    }

    /** A fresh namespace under the restricted Pod Security Standard, as a platform team would set it. */
    public String namespace(String prefix) {
        return RealCluster.restrictedNamespace(admin, prefix);
    }

    public KubernetesClient admin() {
        return admin;
    }

    public Kubectl kubectl() {
        return kubectl;
    }

    /** bin/cluster's env: API_URL, SERVICE_CIDR, BIN, ... */
    public Map<String, String> env() {
        return env;
    }

    /** cluster/node/up.sh's env: NODE_NAME, NODE_IP, POD_CIDR, NODE_NS, DNS_IP, CONTAINERD_SOCK, ... */
    public Map<String, String> nodeEnv() {
        return nodeEnv;
    }

    public Duration startupTime() {
        return startup;
    }

    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close();
            admin = null;
        }
        if (env != null || Files.isDirectory(dir)) {
            try {
                // also takes the node down (cluster/node/down.sh) while the API server still runs
                run(Duration.ofMinutes(5), project.resolve("bin/cluster").toString(), "down", "--dir", dir.toString());
            } catch (RuntimeException e) {
                System.err.println("real node cluster: " + e.getMessage());
            }
            env = null;
        }
    }

    private String run(Duration timeout, String... command) {
        return RealCluster.run(project, timeout, List.of(command));
    }
}
