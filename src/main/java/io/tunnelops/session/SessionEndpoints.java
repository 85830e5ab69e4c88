package io.tunnelops.session;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.tunnelops.api.v1alpha1.Endpoint;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.resources.SshdService;
import io.tunnelops.ssh.SshdLayout;

/** Where users reach a session's sshd, read from its Service (and, for NodePort, the address of its pod's node). */
public final class SessionEndpoints {

    private SessionEndpoints() {
    }

    private static final String KEY = "tunnelops.io/endpoint";

    /**
     * The endpoint of the session's sshd Service as it stands after the workflow, worked out once per reconcile (the
     * credentials Secret and the status both need it, and a NodePort one costs a get of a Node).
     */
    @SuppressWarnings("unchecked")
    public static Optional<Endpoint> of(Context<TunnelSession> context) {
        var perReconcile = context.managedWorkflowAndDependentResourceContext();
        Optional<Endpoint> known = perReconcile.get(KEY, Optional.class).map(o -> (Optional<Endpoint>) o).orElse(null);
        if (known != null) {
            return known;
        }
        Optional<Endpoint> endpoint = of(context.getSecondaryResource(Service.class, SshdService.NAME).orElse(null),
                context.getSecondaryResources(Pod.class), context.getClient());
        perReconcile.put(KEY, endpoint);
        return endpoint;
    }

    /**
     * Empty while the address is not assigned yet (no cluster IP, no load balancer ingress, no node port, no sshd pod on
     * a node).
     */
    static Optional<Endpoint> of(Service service, Collection<Pod> sshdPods, KubernetesClient client) {
        if (service == null || service.getSpec() == null) {
            return Optional.empty();
        }
        var spec = service.getSpec();
        String type = spec.getType() == null ? "ClusterIP" : spec.getType();
        switch (type) {
            case "LoadBalancer": {
                List<LoadBalancerIngress> ingress = service.getStatus() == null || service.getStatus().getLoadBalancer() == null
                        ? List.of() : service.getStatus().getLoadBalancer().getIngress();
                return ingress == null ? Optional.empty() : ingress.stream()
                        .map(i -> i.getIp() != null ? i.getIp() : i.getHostname())
                        .filter(h -> h != null && !h.isBlank()).findFirst()
                        .map(h -> new Endpoint(h, SshdLayout.PORT));
            }
            case "NodePort": {
                Integer nodePort = spec.getPorts() == null ? null : spec.getPorts().stream()
                        .map(ServicePort::getNodePort).filter(p -> p != null && p > 0).findFirst().orElse(null);
                if (nodePort == null) {
                    return Optional.empty();
                }
                return sshdNode(sshdPods).flatMap(node -> nodeAddress(client, node)).map(h -> new Endpoint(h, nodePort));
            }
            default: {
                String ip = spec.getClusterIP();
                return ip == null || ip.isBlank() || "None".equals(ip) ? Optional.empty()
                        : Optional.of(new Endpoint(ip, SshdLayout.PORT));
            }
        }
    }

    /**
     * The node whose NodePort answers: with externalTrafficPolicy Local (SshdService) only the node running the sshd pod
     * does. The newest ready pod's node; while none is ready (starting, restarting, a new pod after a move), the node a
     * live pod is scheduled on, where the sshd will answer; none when no pod is on a node. Never a previous address:
     * after a move it would no longer answer.
     */
    static Optional<String> sshdNode(Collection<Pod> sshdPods) {
        List<Pod> scheduled = sshdPods.stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .filter(p -> p.getSpec() != null && p.getSpec().getNodeName() != null && !p.getSpec().getNodeName().isBlank())
                .filter(p -> p.getStatus() == null || !FINISHED.contains(p.getStatus().getPhase()))
                .sorted(NEWEST_FIRST).toList();
        return scheduled.stream().filter(SessionEndpoints::ready).findFirst().or(() -> scheduled.stream().findFirst())
                .map(p -> p.getSpec().getNodeName());
    }

    private static final Set<String> FINISHED = Set.of("Succeeded", "Failed");
    // creationTimestamp is RFC 3339 in UTC with seconds: its text sorts by time; the name decides a tie
    private static final Comparator<Pod> NEWEST_FIRST = Comparator
            .comparing((Pod p) -> Objects.toString(p.getMetadata().getCreationTimestamp(), "")).reversed()
            .thenComparing(p -> p.getMetadata().getName());

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions()
                .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** The node's external address if it has one, else its internal one; empty while the node is unknown. */
    private static Optional<String> nodeAddress(KubernetesClient client, String nodeName) {
        Node node = client.nodes().withName(nodeName).get();
        if (node == null || node.getStatus() == null || node.getStatus().getAddresses() == null) {
            return Optional.empty();
        }
        for (String wanted : List.of("ExternalIP", "InternalIP")) {
            Optional<String> address = node.getStatus().getAddresses().stream().filter(a -> wanted.equals(a.getType()))
                    .map(NodeAddress::getAddress).filter(a -> a != null && !a.isBlank()).findFirst();
            if (address.isPresent()) {
                return address;
            }
        }
        return Optional.empty();
    }
}
