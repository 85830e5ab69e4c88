package io.tunnelops.testing;

import static org.awaitility.Awaitility.await;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.tunnelops.session.resources.SessionLabels;

/**
 * What the Service controller and the kubelet would do for a session's sshd: the mock server runs no controllers, so
 * tests give the sshd Service its address and mark the sshd Deployment available themselves.
 */
public final class FakeKubelet {

    private FakeKubelet() {
    }

    /** Waits for the session's sshd Service and Deployment, gives the Service a cluster IP, marks the sshd available. */
    public static void sshdAvailable(KubernetesClient client, String namespace, String session, String clusterIp) {
        serviceAddress(client, namespace, session, clusterIp);
        deploymentAvailable(client, namespace, session);
    }

    /** Waits for the session's sshd Service and Deployment and gives the Service a cluster IP. */
    public static void serviceAddress(KubernetesClient client, String namespace, String session, String clusterIp) {
        await().atMost(10, TimeUnit.SECONDS).until(() ->
                client.services().inNamespace(namespace).withName(session + "-sshd").get() != null
                        && client.apps().deployments().inNamespace(namespace).withName(session + "-sshd").get() != null);
        client.services().inNamespace(namespace).withName(session + "-sshd").edit(s -> {
            s.getSpec().setClusterIP(clusterIp);
            return s;
        });
    }

    /**
     * The session's sshd pod as the kubelet reports a container that does not run: Pending, its container waiting
     * with this reason and message (ErrImagePull, ContainerCreating, ...). Created, or its status replaced.
     */
    public static Pod sshdPodWaiting(KubernetesClient client, String namespace, String session, String reason,
            String message) {
        return writePod(client, sshdPod(namespace, session, "Pending", new ContainerStatusBuilder().withName("sshd")
                .withImage("tunnelops/sshd:test").withReady(false).withRestartCount(0)
                .withNewState().withNewWaiting().withReason(reason).withMessage(message).endWaiting().endState()
                .build()));
    }

    /** The sshd container exits at once and the kubelet backs off before restarting it. */
    public static Pod sshdPodCrashLooping(KubernetesClient client, String namespace, String session, int restarts,
            String backOff) {
        return writePod(client, sshdPod(namespace, session, "Running", new ContainerStatusBuilder().withName("sshd")
                .withImage("tunnelops/sshd:test").withReady(false).withRestartCount(restarts)
                .withNewState().withNewWaiting().withReason("CrashLoopBackOff")
                .withMessage("back-off " + backOff + " restarting failed container=sshd pod=" + session + "-sshd-0")
                .endWaiting().endState()
                .withNewLastState().withNewTerminated().withExitCode(255).withReason("Error").endTerminated()
                .endLastState().build()));
    }

    /** The session's sshd pod running and ready. */
    public static Pod sshdPodRunning(KubernetesClient client, String namespace, String session) {
        return writePod(client, sshdPod(namespace, session, "Running", new ContainerStatusBuilder().withName("sshd")
                .withImage("tunnelops/sshd:test").withReady(true).withRestartCount(0)
                .withNewState().withNewRunning().endRunning().endState().build()));
    }

    /**
     * An sshd pod of the session, named so, scheduled on this node, running, and ready or not (its Ready condition and
     * its container's ready flag), as the scheduler and the kubelet there would report it. Created, or replaced.
     */
    public static Pod sshdPodOnNode(KubernetesClient client, String namespace, String session, String podName,
            String node, boolean ready) {
        Pod pod = new PodBuilder(sshdPod(namespace, session, "Running", new ContainerStatusBuilder().withName("sshd")
                .withImage("tunnelops/sshd:test").withReady(ready).withRestartCount(0)
                .withNewState().withNewRunning().endRunning().endState().build()))
                .editMetadata().withName(podName).endMetadata()
                .editSpec().withNodeName(node).endSpec()
                .editStatus().addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .endStatus().build();
        var existing = client.pods().inNamespace(namespace).withName(podName);
        if (existing.get() != null) {
            existing.withGracePeriod(0).delete();
            await().atMost(10, TimeUnit.SECONDS).until(() -> existing.get() == null);
        }
        return client.resource(pod).create();
    }

    private static Pod sshdPod(String namespace, String session, String phase, ContainerStatus container) {
        return new PodBuilder().withNewMetadata().withNamespace(namespace).withName(session + "-sshd-0")
                .withLabels(Map.of(SessionLabels.MANAGED_BY, SessionLabels.OPERATOR, SessionLabels.SESSION, session,
                        SessionLabels.COMPONENT, SessionLabels.SSHD))
                .endMetadata()
                .withNewSpec().addNewContainer().withName("sshd").withImage("tunnelops/sshd:test").endContainer().endSpec()
                .withNewStatus().withPhase(phase).withContainerStatuses(container).endStatus()
                .build();
    }

    private static Pod writePod(KubernetesClient client, Pod pod) {
        var existing = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName());
        if (existing.get() == null) {
            return client.resource(pod).create();
        }
        return existing.editStatus(p -> {
            p.setStatus(pod.getStatus());
            return p;
        });
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
