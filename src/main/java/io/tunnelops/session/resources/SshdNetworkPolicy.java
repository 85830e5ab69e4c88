package io.tunnelops.session.resources;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.operator.CacheWithoutManagedFields;
import io.tunnelops.session.SessionPlan;
import io.tunnelops.ssh.SshdLayout;

/**
 * Default deny around the sshd pod: ingress only to the sshd port (from access.sourceRanges when given), egress
 * only to the target's ports (a shell: to the destinations its policy lists) and to cluster DNS.
 */
@KubernetesDependent(informer = @Informer(labelSelector = SessionLabels.OWNED_SELECTOR, itemStore = CacheWithoutManagedFields.class))
public class SshdNetworkPolicy extends CRUDKubernetesDependentResource<NetworkPolicy, TunnelSession> {

    public static final String NAME = "sshd-network-policy";
    /** Cluster DNS as most distributions label it (kube-dns or CoreDNS in kube-system). */
    static final Map<String, String> DNS_NAMESPACE = Map.of("kubernetes.io/metadata.name", "kube-system");
    static final Map<String, String> DNS_PODS = Map.of("k8s-app", "kube-dns");

    public SshdNetworkPolicy() {
        super(NetworkPolicy.class);
    }

    @Override
    protected NetworkPolicy desired(TunnelSession session, Context<TunnelSession> context) {
        SessionPlan plan = Plans.of(context);
        var ingress = new NetworkPolicyIngressRuleBuilder()
                .withPorts(port(new IntOrString(SshdLayout.PORT), "TCP"))
                .withFrom(plan.sourceRanges().stream()
                        .map(cidr -> new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(cidr).endIpBlock().build())
                        .toList())
                .build();
        return new NetworkPolicyBuilder()
                .withMetadata(SessionLabels.metadata(session, SessionLabels.sshdName(session)))
                .withNewSpec()
                .withNewPodSelector().withMatchLabels(SessionLabels.sshdPodSelector(session)).endPodSelector()
                .withPolicyTypes("Ingress", "Egress")
                .withIngress(ingress)
                .withEgress(egress(plan))
                .endSpec()
                .build();
    }

    /** The target's (or, for a shell, its policy's destinations'), then DNS. */
    private static List<NetworkPolicyEgressRule> egress(SessionPlan plan) {
        List<NetworkPolicyEgressRule> rules = new ArrayList<>(plan.egress().stream().map(SshdNetworkPolicy::targetEgress).toList());
        rules.add(dnsEgress());
        return rules;
    }

    private static NetworkPolicyEgressRule targetEgress(SessionPlan.TargetEgress egress) {
        NetworkPolicyPeer peer = egress.podSelector() != null
                ? new NetworkPolicyPeerBuilder().withNewPodSelector().withMatchLabels(egress.podSelector()).endPodSelector().build()
                : new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(egress.cidr())
                        .withExcept(egress.exceptCidrs().isEmpty() ? null : egress.exceptCidrs()).endIpBlock().build();
        return new NetworkPolicyEgressRuleBuilder().withTo(peer)
                .withPorts(egress.ports().stream().map(p -> port(p.port(), p.protocol())).toList())
                .build();
    }

    private static NetworkPolicyEgressRule dnsEgress() {
        return new NetworkPolicyEgressRuleBuilder()
                .withTo(new NetworkPolicyPeerBuilder()
                        .withNewNamespaceSelector().withMatchLabels(DNS_NAMESPACE).endNamespaceSelector()
                        .withNewPodSelector().withMatchLabels(DNS_PODS).endPodSelector().build())
                .withPorts(port(new IntOrString(53), "UDP"), port(new IntOrString(53), "TCP"))
                .build();
    }

    private static NetworkPolicyPort port(IntOrString port, String protocol) {
        var result = new NetworkPolicyPort();
        result.setPort(port);
        result.setProtocol(protocol);
        return result;
    }

}
