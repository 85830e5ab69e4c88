package io.tunnelops.testing;

import static org.awaitility.Awaitility.await;

import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * What the Service controller and the kubelet would do for a session's sshd: the mock server runs no controllers, so
 * tests give the sshd Service its address and mark the sshd Deployment available themselves.
 */
public final class FakeKubelet {

    private FakeKubelet() {
    }

    /** Waits for the session's sshd Service and Deployment, gives the Service a cluster IP, marks the sshd available. */
    public static void sshdAvailable(KubernetesClient client, String namespace, String session, String clusterIp) {
        await().atMost(10, TimeUnit.SECONDS).until(() ->
                client.services().inNamespace(namespace).withName(session + "-sshd").get() != null
                        && client.apps().deployments().inNamespace(namespace).withName(session + "-sshd").get() != null);
        client.services().inNamespace(namespace).withName(session + "-sshd").edit(s -> {
            s.getSpec().setClusterIP(clusterIp);
            return s;
        });
        deploymentAvailable(client, namespace, session);
    }

    /** Marks the session's sshd Deployment as having one available replica. */
    public static void deploymentAvailable(KubernetesClient client, String namespace, String session) {
        await().atMost(10, TimeUnit.SECONDS).until(() ->
                client.apps().deployments().inNamespace(namespace).withName(session + "-sshd").get() != null);
        client.apps().deployments().inNamespace(namespace).withName(session + "-sshd").editStatus(d -> {
            d.setStatus(new DeploymentStatusBuilder().withReplicas(1).withReadyReplicas(1).withAvailableReplicas(1).build());
            return d;
        });
    }
}
