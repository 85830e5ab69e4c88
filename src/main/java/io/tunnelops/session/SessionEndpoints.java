package io.tunnelops.session;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.tunnelops.api.v1alpha1.Endpoint;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.resources.SshdService;
import io.tunnelops.ssh.SshdLayout;

/** Where users reach a session's sshd, read from its Service (and, for NodePort, a node's address). */
public final class SessionEndpoints {

    private SessionEndpoints() {
    }

    private static final String KEY = "tunnelops.io/endpoint";

    /**
     * The endpoint of the session's sshd Service as it stands after the workflow, worked out once per reconcile (the
     * credentials Secret and the status both need it, and a NodePort one costs a list of Nodes).
     */
    @SuppressWarnings("unchecked")
    public static Optional<Endpoint> of(Context<TunnelSession> context) {
        var perReconcile = context.managedWorkflowAndDependentResourceContext();
        Optional<Endpoint> known = perReconcile.get(KEY, Optional.class).map(o -> (Optional<Endpoint>) o).orElse(null);
        if (known != null) {
            return known;
        }
        Optional<Endpoint> endpoint = of(context.getSecondaryResource(Service.class, SshdService.NAME).orElse(null),
                context.getClient());
        perReconcile.put(KEY, endpoint);
        return endpoint;
    }

    /** Empty while the address is not assigned yet (no cluster IP, no load balancer ingress, no node). */
    static Optional<Endpoint> of(Service service, KubernetesClient client) {
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
                return nodeAddress(client).map(h -> new Endpoint(h, nodePort));
            }
            default: {
                String ip = spec.getClusterIP();
                return ip == null || ip.isBlank() || "None".equals(ip) ? Optional.empty()
                        : Optional.of(new Endpoint(ip, SshdLayout.PORT));
            }
        }
    }

    /** Any node forwards a NodePort; prefer an external address, and pick deterministically (by node name). */
    private static Optional<String> nodeAddress(KubernetesClient client) {
        List<Node> nodes = client.nodes().list().getItems();
        for (String wanted : List.of("ExternalIP", "InternalIP")) {
            Optional<String> address = nodes.stream().sorted(Comparator.comparing(n -> n.getMetadata().getName()))
                    .filter(n -> n.getStatus() != null && n.getStatus().getAddresses() != null)
                    .flatMap(n -> n.getStatus().getAddresses().stream())
                    .filter(a -> wanted.equals(a.getType())).map(NodeAddress::getAddress).findFirst();
            if (address.isPresent()) {
                return address;
            }
        }
        return Optional.empty();
    }
}
