package io.tunnelops.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.resources.SessionLabels;
import io.tunnelops.testing.Kubectl;

/** What the real-cluster tests set up and check again and again: targets, credentials, and that nothing is left. */
public final class ClusterFixtures {

    private ClusterFixtures() {
    }

    private static KubernetesClient admin() {
        return RealCluster.shared().admin();
    }

    /** No Deployment, ReplicaSet, Pod, Service, EndpointSlice, Secret or NetworkPolicy of the session remains. */
    public static void assertNothingLeft(String ns, String session) {
        assertNothingLeft(admin(), ns, session, () -> assertTrue(RealCluster.shared().node().runningSshds().keySet().stream()
                .noneMatch(k -> k.startsWith(ns + "/" + session + "-sshd-")),
                "an sshd still runs: " + RealCluster.shared().node().runningSshds()));
    }

    /**
     * No object of the session remains, and the node's own check passes (no sshd still running there).
     */
    public static void assertNothingLeft(KubernetesClient admin, String ns, String session, Runnable nodeCheck) {
        await().atMost(60, TimeUnit.SECONDS).untilAsserted(() -> {
            List<String> left = new ArrayList<>();
            String selector = SessionLabels.SESSION + "=" + session;
            admin.apps().deployments().inNamespace(ns).withLabel(SessionLabels.SESSION, session).list().getItems()
                    .forEach(d -> left.add("deployment/" + d.getMetadata().getName()));
            admin.apps().replicaSets().inNamespace(ns).withLabel(SessionLabels.SESSION, session).list().getItems()
                    .forEach(r -> left.add("replicaset/" + r.getMetadata().getName()));
            admin.pods().inNamespace(ns).withLabel(SessionLabels.SESSION, session).list().getItems()
                    .forEach(p -> left.add("pod/" + p.getMetadata().getName()));
            admin.services().inNamespace(ns).withLabel(SessionLabels.SESSION, session).list().getItems()
                    .forEach(s -> left.add("service/" + s.getMetadata().getName()));
            admin.discovery().v1().endpointSlices().inNamespace(ns)
                    .withLabel("kubernetes.io/service-name", session + "-sshd").list().getItems()
                    .forEach(e -> left.add("endpointslice/" + e.getMetadata().getName()));
            admin.secrets().inNamespace(ns).withLabel(SessionLabels.SESSION, session).list().getItems()
                    .forEach(s -> left.add("secret/" + s.getMetadata().getName()));
            admin.network().v1().networkPolicies().inNamespace(ns).withLabel(SessionLabels.SESSION, session).list()
                    .getItems().forEach(n -> left.add("networkpolicy/" + n.getMetadata().getName()));
            assertEquals(List.of(), left, "left behind by " + selector);
            nodeCheck.run();
        });
    }

    /** A Service with one echo pod behind it (the node agent serves the echo image on the pod's IP). */
    public static String echoTarget(String ns, String name, int port, int... alsoOnPodIp) {
        return echoTarget(admin(), ns, name, port, alsoOnPodIp);
    }

    /**
     * @param alsoOnPodIp more ports the echo pod answers on, reachable only by its pod IP (not through the Service)
     * @return the echo pod's IP
     */
    public static String echoTarget(KubernetesClient admin, String ns, String name, int port, int... alsoOnPodIp) {
        return echoTarget(admin, NodeAgent.ECHO_IMAGE, List.of(), ns, name, port, alsoOnPodIp);
    }

    /**
     * The same with an image and command of its own: on a real node, a busybox whose {@code nc} echoes on each port.
     */
    public static String echoTarget(KubernetesClient admin, String image, List<String> command, String ns, String name,
            int port, int... alsoOnPodIp) {
        if (admin.services().inNamespace(ns).withName(name).get() == null) { // else already there (a node restarted by hand)
            createEchoTarget(admin, image, command, ns, name, port, alsoOnPodIp);
        }
        await().atMost(60, TimeUnit.SECONDS).until(() -> admin.pods().inNamespace(ns).withName(name + "-0").get()
                .getStatus().getPodIP() != null);
        return admin.pods().inNamespace(ns).withName(name + "-0").get().getStatus().getPodIP();
    }

    private static void createEchoTarget(KubernetesClient admin, String image, List<String> command, String ns,
            String name, int port, int... alsoOnPodIp) {
        List<io.fabric8.kubernetes.api.model.ContainerPort> ports = new ArrayList<>();
        ports.add(new io.fabric8.kubernetes.api.model.ContainerPortBuilder().withContainerPort(port).build());
        for (int extra : alsoOnPodIp) {
            ports.add(new io.fabric8.kubernetes.api.model.ContainerPortBuilder().withContainerPort(extra).build());
        }
        admin.resource(new PodBuilder().withNewMetadata().withName(name + "-0").withNamespace(ns).addToLabels("app", name)
                .endMetadata().withNewSpec().withAutomountServiceAccountToken(false)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(10002L).withNewSeccompProfile()
                .withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addNewContainer().withName("echo").withImage(image).withImagePullPolicy("IfNotPresent").withCommand(command)
                .withPorts(ports).withNewReadinessProbe().withNewTcpSocket().withNewPort(port).endTcpSocket()
                .withPeriodSeconds(1).endReadinessProbe()
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withNewCapabilities().withDrop("ALL")
                .endCapabilities().endSecurityContext().endContainer().endSpec().build()).create();
        admin.resource(new ServiceBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withNewSpec().addToSelector("app", name).addNewPort().withName("main").withPort(port)
                .withNewTargetPort(port).endPort().endSpec().build()).create();
        await().atMost(60, TimeUnit.SECONDS).until(() -> admin.discovery().v1().endpointSlices().inNamespace(ns)
                .withLabel("kubernetes.io/service-name", name).list().getItems().stream()
                .anyMatch(s -> s.getEndpoints() != null && !s.getEndpoints().isEmpty()));
    }

    public static Map<String, String> secretItems(String ns, String name) {
        return secretItems(admin(), ns, name);
    }

    public static Map<String, String> secretItems(KubernetesClient admin, String ns, String name) {
        return admin.secrets().inNamespace(ns).withName(name).get().getData().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey,
                        e -> new String(Base64.getDecoder().decode(e.getValue()), StandardCharsets.UTF_8)));
    }

    /** A TunnelSession to the Service postgres, port 5432, applied with kubectl as a user would. */
    public static void applyPostgresSession(String ns, String name, String ttl) {
        Kubectl.Result applied = RealCluster.shared().kubectl().runWithInput("""
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: %s}
                spec:
                  target: {service: postgres, ports: [5432]}
                  ttl: %s
                """.formatted(name, ttl), "apply", "-n", ns, "-f", "-");
        assertEquals(0, applied.exitCode(), applied.stderr());
    }

    public static TunnelSession session(String ns, String name) {
        return admin().resources(TunnelSession.class).inNamespace(ns).withName(name).get();
    }

    /** The session once it shows this phase (within 90 s). */
    public static TunnelSession awaitPhase(String ns, String name, SessionPhase phase) {
        return await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(250)).until(() -> session(ns, name),
                s -> s != null && s.getStatus() != null && s.getStatus().getPhase() == phase);
    }
}
