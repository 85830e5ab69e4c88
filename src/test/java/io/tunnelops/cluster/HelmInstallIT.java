package io.tunnelops.cluster;

import static io.tunnelops.cluster.RealNodeCluster.OPERATOR_NAMESPACE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The chart installed as users install it, on a real node: the operator's image (built from our Dockerfile) runs in
 * containerd as the chart's ServiceAccount, its probes answer, and {@code helm uninstall} removes it.
 */
class HelmInstallIT {

    static RealNodeCluster cluster;
    static KubernetesClient admin;

    @BeforeAll
    static void up() {
        cluster = RealNodeCluster.shared();
        admin = cluster.admin();
        System.out.printf("real node: control plane, node, images and helm install in %.1f s%n",
                cluster.startupTime().toMillis() / 1000.0);
    }

    @Test
    void theInstalledOperatorRunsTwoReplicasInContainerdAsItsServiceAccountOneLeadingAndTheirProbesAnswer() {
        List<Pod> pods = operatorPods();
        assertEquals(2, pods.size(), "the chart's two replicas");
        List<String> roles = new ArrayList<>();
        for (Pod pod : pods) {
            assertEquals("tunnel-operator", pod.getSpec().getServiceAccountName());
            assertEquals(RealNodeCluster.OPERATOR_IMAGE, pod.getSpec().getContainers().get(0).getImage());
            assertEquals(cluster.nodeEnv().get("NODE_NAME"), pod.getSpec().getNodeName());
            ContainerStatus status = pod.getStatus().getContainerStatuses().get(0);
            assertTrue(status.getReady() && status.getStarted(), "ready and started: " + status);
            assertTrue(status.getContainerID().startsWith("containerd://"), status.getContainerID());
            assertEquals(0, status.getRestartCount(), "no restart: the liveness probe never failed");
            // the container the kubelet reports is one containerd runs, from our image
            String id = status.getContainerID().substring("containerd://".length());
            assertTrue(cluster.ctr("containers", "info", id).contains(RealNodeCluster.OPERATOR_IMAGE));
            // the probes are the chart's, over HTTP to the pod: answered, or the pod would not be Ready/started
            var container = pod.getSpec().getContainers().get(0);
            assertEquals("/q/health/ready", container.getReadinessProbe().getHttpGet().getPath());
            assertEquals("/q/health/live", container.getLivenessProbe().getHttpGet().getPath());
            assertEquals("/q/health/started", container.getStartupProbe().getHttpGet().getPath());
            // health and metrics are on the management port, not the application's 8080
            assertEquals(9000, container.getReadinessProbe().getHttpGet().getPort().getIntVal());
            String ready = cluster.inNode("curl", "-sf", "http://" + pod.getStatus().getPodIP() + ":9000/q/health/ready");
            assertTrue(ready.contains("\"status\": \"UP\""), ready);
            roles.add(ready.contains("\"role\": \"leader\"") ? "leader:" + pod.getMetadata().getName()
                    : ready.contains("\"role\": \"standby\"") ? "standby" : ready);
            String metrics = cluster.inNode("curl", "-sf", "http://" + pod.getStatus().getPodIP() + ":9000/q/metrics");
            assertTrue(metrics.contains("tunnel_operator_sessions{"), "our metrics on the management port");

            // as uid 10001, the process the runtime started: read from the node, not from the pod spec
            String procStatus = cluster.ctr("tasks", "exec", "--exec-id", "uid-" + System.nanoTime(), id, "cat", "/proc/1/status");
            assertTrue(procStatus.lines().anyMatch(l -> l.matches("Uid:\\s+10001\\s+10001\\s+10001\\s+10001")), procStatus);
        }
        // one leads (the Lease names it: its identity is its pod name plus a suffix), the other waits, ready
        assertEquals(List.of("standby"), roles.stream().filter(r -> !r.startsWith("leader:")).toList(), "roles: " + roles);
        String leader = roles.stream().filter(r -> r.startsWith("leader:")).findFirst().orElseThrow().substring(7);
        Lease lease = admin.leases().inNamespace(OPERATOR_NAMESPACE).withName("tunnel-operator").get();
        assertTrue(lease.getSpec().getHolderIdentity().startsWith(leader + "-"), lease.getSpec().getHolderIdentity());
        assertTrue(cluster.operatorLog().contains("tunnel-operator"), "the operator logged its start");
    }

    @Test
    void helmUninstallRemovesTheOperatorAndInstallBringsItBack() {
        String uninstalled = cluster.uninstall();
        assertTrue(uninstalled.contains("uninstalled"), uninstalled);
        await().atMost(90, TimeUnit.SECONDS).untilAsserted(() -> {
            assertEquals(List.of(), admin.pods().inNamespace(OPERATOR_NAMESPACE).list().getItems().stream()
                    .map(p -> p.getMetadata().getName()).toList());
            assertEquals(null, admin.apps().deployments().inNamespace(OPERATOR_NAMESPACE).withName("tunnel-operator").get());
            assertEquals(null, admin.rbac().clusterRoles().withName("tunnel-operator").get());
            assertEquals(null, admin.serviceAccounts().inNamespace(OPERATOR_NAMESPACE).withName("tunnel-operator").get());
        });
        cluster.install(Map.of());
        assertEquals(2, operatorPods().size());
    }

    /** The operator's pods, once the Deployment's replicas are all ready. */
    private static List<Pod> operatorPods() {
        await().atMost(180, TimeUnit.SECONDS).until(() -> {
            List<Pod> pods = admin.pods().inNamespace(OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/name", "tunnel-operator")
                    .list().getItems();
            return pods.size() == 2 && pods.stream().allMatch(p -> p.getStatus().getContainerStatuses() != null
                    && !p.getStatus().getContainerStatuses().isEmpty()
                    && Boolean.TRUE.equals(p.getStatus().getContainerStatuses().get(0).getReady()));
        });
        return admin.pods().inNamespace(OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/name", "tunnel-operator")
                .list().getItems();
    }
}
