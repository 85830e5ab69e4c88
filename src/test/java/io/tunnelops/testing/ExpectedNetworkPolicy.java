package io.tunnelops.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpecBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * The whole NetworkPolicy a session's sshd must get, written out here independently of the product's code: its pod
 * selector, both policy types, one ingress rule (TCP 2222, from the given ranges or from anywhere) and the given egress
 * rules followed by cluster DNS (kube-dns pods of kube-system, UDP and TCP 53, nothing else). {@link #assertIs} compares
 * every rule, peer, port and protocol, so an extra peer, a lost selector or a widened port fails.
 */
public final class ExpectedNetworkPolicy {

    private final String session;
    private final List<String> sourceRanges = new ArrayList<>();
    private final List<NetworkPolicyEgressRule> egress = new ArrayList<>();

    private ExpectedNetworkPolicy(String session) {
        this.session = session;
    }

    public static ExpectedNetworkPolicy of(String session) {
        return new ExpectedNetworkPolicy(session);
    }

    /** Ingress to the sshd port only from these ranges (none: from anywhere). */
    public ExpectedNetworkPolicy ingressFrom(String... cidrs) {
        sourceRanges.addAll(List.of(cidrs));
        return this;
    }

    /** Egress to the pods these labels select, on these pod ports (a number or a port name), TCP. */
    public ExpectedNetworkPolicy egressToPods(Map<String, String> labels, Object... ports) {
        return egress(new NetworkPolicyPeerBuilder().withNewPodSelector().withMatchLabels(labels).endPodSelector().build(),
                ports);
    }

    /** Egress to an address block (minus the excepted ones) on these ports, TCP. */
    public ExpectedNetworkPolicy egressToBlock(String cidr, List<String> except, Object... ports) {
        return egress(new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(cidr)
                .withExcept(except.isEmpty() ? null : except).endIpBlock().build(), ports);
    }

    private ExpectedNetworkPolicy egress(NetworkPolicyPeer peer, Object... ports) {
        List<NetworkPolicyPort> tcp = new ArrayList<>();
        for (Object port : ports) {
            tcp.add(port(port instanceof Integer number ? new IntOrString(number) : new IntOrString((String) port), "TCP"));
        }
        egress.add(new NetworkPolicyEgressRuleBuilder().withTo(peer).withPorts(tcp).build());
        return this;
    }

    public NetworkPolicySpec spec() {
        NetworkPolicyEgressRule dns = new NetworkPolicyEgressRuleBuilder()
                .withTo(new NetworkPolicyPeerBuilder()
                        .withNewNamespaceSelector().withMatchLabels(Map.of("kubernetes.io/metadata.name", "kube-system"))
                        .endNamespaceSelector()
                        .withNewPodSelector().withMatchLabels(Map.of("k8s-app", "kube-dns")).endPodSelector().build())
                .withPorts(port(new IntOrString(53), "UDP"), port(new IntOrString(53), "TCP"))
                .build();
        List<NetworkPolicyEgressRule> rules = new ArrayList<>(egress);
        rules.add(dns);
        return new NetworkPolicySpecBuilder()
                .withNewPodSelector()
                .withMatchLabels(Map.of("tunnelops.io/session", session, "app.kubernetes.io/component", "sshd"))
                .endPodSelector()
                .withPolicyTypes("Ingress", "Egress")
                .withIngress(new NetworkPolicyIngressRuleBuilder()
                        .withPorts(port(new IntOrString(2222), "TCP"))
                        .withFrom(sourceRanges.stream()
                                .map(cidr -> new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(cidr).endIpBlock().build())
                                .toList())
                        .build())
                .withEgress(rules)
                .build();
    }

    /**
     * The policy's whole spec is this one, compared as YAML (a failure shows the difference; an empty list and a
     * missing one are the same to Kubernetes and to the YAML form).
     */
    public void assertIs(NetworkPolicy actual) {
        assertNotNull(actual, "the NetworkPolicy of " + session);
        assertEquals(Serialization.asYaml(spec()), Serialization.asYaml(actual.getSpec()), "NetworkPolicy of " + session);
    }

    private static NetworkPolicyPort port(IntOrString port, String protocol) {
        var result = new NetworkPolicyPort();
        result.setPort(port);
        result.setProtocol(protocol);
        return result;
    }
}
