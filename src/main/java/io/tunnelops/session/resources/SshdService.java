package io.tunnelops.session.resources;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.operator.CacheWithoutManagedFields;
import io.tunnelops.session.SessionPlan;
import io.tunnelops.ssh.SshdLayout;

/** The Service users connect to, of the type access.expose asks for; NodePort and LoadBalancer keep client addresses. */
@KubernetesDependent(informer = @Informer(labelSelector = SessionLabels.OWNED_SELECTOR, itemStore = CacheWithoutManagedFields.class))
public class SshdService extends CRUDKubernetesDependentResource<Service, TunnelSession> {

    public static final String NAME = "sshd-service";

    public SshdService() {
        super(Service.class);
    }

    @Override
    protected Service desired(TunnelSession session, Context<TunnelSession> context) {
        SessionPlan plan = Plans.of(context);
        var builder = new ServiceBuilder()
                .withMetadata(SessionLabels.metadata(session, SessionLabels.sshdName(session)))
                .withNewSpec()
                .withType(plan.expose().name())
                .withSelector(SessionLabels.sshdPodSelector(session))
                .addNewPort().withName("ssh").withProtocol("TCP").withPort(SshdLayout.PORT)
                .withTargetPort(new IntOrString(SshdLayout.PORT)).endPort();
        if (plan.expose() != Expose.ClusterIP) {
            // The default, Cluster, SNATs NodePort and load balancer traffic to a node's address on its way to the pod:
            // the sshd logs that node, and the NetworkPolicy's sourceRanges see it too wherever the plugin filters after
            // the SNAT or the client entered by another node (SECURITY.md, "sourceRanges are client addresses"). Local
            // keeps the client's address, so sourceRanges mean clients and the logs are true, at the price that only the
            // node running the sshd answers (SessionEndpoints publishes that node). Always, not only with sourceRanges:
            // adding ranges to a live session must not move its endpoint, and the sshd's log is an audit record.
            builder.withExternalTrafficPolicy("Local");
        }
        if (plan.expose() == Expose.LoadBalancer && !plan.sourceRanges().isEmpty()) {
            builder.withLoadBalancerSourceRanges(plan.sourceRanges());
        }
        return builder.endSpec().build();
    }
}
