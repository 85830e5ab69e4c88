package io.tunnelops.cluster;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.tunnelops.local.PodNetwork;

/**
 * The node of a real cluster started by hand with {@code bin/cluster up}: the {@link NodeAgent} and the
 * {@link ServiceProxy} on a {@link PodNetwork}, until Ctrl-C: {@code bin/cluster-node} (state directory:
 * TUNNEL_CLUSTER_DIR, default target/cluster/state). Needs root.
 */
public final class ClusterNode {

    private ClusterNode() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getenv().getOrDefault("TUNNEL_CLUSTER_DIR", "target/cluster/state")).toAbsolutePath();
        var env = RealCluster.readEnv(dir.resolve("env"));
        KubernetesClient admin = new KubernetesClientBuilder()
                .withConfig(RealCluster.adminConfig(Path.of(env.get("KUBECONFIG")))).build();
        PodNetwork network = PodNetwork.create(env.get("SERVICE_CIDR"));
        ServiceProxy proxy = new ServiceProxy(admin, network, env.get("SERVICE_CIDR")).start();
        NodeAgent node = new NodeAgent(admin, network, Path.of("/var/lib/tunnel-operator-local/node-"
                + ProcessHandle.current().pid()), RealCluster.SSHD_IMAGE).start();
        // the demo target of the README walkthrough, as in local mode: Service echo (default), port 7000
        ClusterFixtures.echoTarget(admin, "default", "echo", 7000);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            proxy.close();
            network.close();
            admin.close();
            stopped.countDown();
        }, "cluster-node-stop"));
        System.out.printf("node %s ready: pods on %s, Services %s; Ctrl-C stops it%n", NodeAgent.NODE, network.cidr(),
                env.get("SERVICE_CIDR"));
        stopped.await();
    }
}
