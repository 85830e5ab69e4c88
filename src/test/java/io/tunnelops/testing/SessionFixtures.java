package io.tunnelops.testing;

import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.tunnelops.api.v1alpha1.Access;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.Target;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.api.v1alpha1.TunnelSessionSpec;

/** One builder for the sessions (and target Services) tests create. */
public final class SessionFixtures {

    private final TunnelSession session = new TunnelSession();

    private SessionFixtures(String namespace, String name) {
        session.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        session.setSpec(new TunnelSessionSpec());
    }

    public static SessionFixtures session(String namespace, String name) {
        return new SessionFixtures(namespace, name);
    }

    public SessionFixtures toService(String service, Integer... ports) {
        Target target = new Target();
        target.setService(service);
        target.setPorts(List.of(ports));
        session.getSpec().setTarget(target);
        return this;
    }

    public SessionFixtures toHost(String host, Integer... ports) {
        Target target = new Target();
        target.setHost(host);
        target.setPorts(List.of(ports));
        session.getSpec().setTarget(target);
        return this;
    }

    public SessionFixtures ttl(String ttl) {
        session.getSpec().setTtl(ttl);
        return this;
    }

    public SessionFixtures authorizedKeys(String... keys) {
        access().setAuthorizedKeys(List.of(keys));
        return this;
    }

    public SessionFixtures expose(Expose expose, String... sourceRanges) {
        access().setExpose(expose);
        access().setSourceRanges(List.of(sourceRanges));
        return this;
    }

    private Access access() {
        if (session.getSpec().getAccess() == null) {
            session.getSpec().setAccess(new Access());
        }
        return session.getSpec().getAccess();
    }

    public TunnelSession build() {
        return session;
    }

    /** A Service like a database's: selects pods app=<name>, exposes the ports on the same target ports. */
    public static Service targetService(String namespace, String name, Integer... ports) {
        var spec = new ServiceBuilder().withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec().withSelector(Map.of("app", name));
        for (Integer port : ports) {
            spec.addNewPort().withName("p" + port).withProtocol("TCP").withPort(port)
                    .withTargetPort(new IntOrString(port)).endPort();
        }
        return spec.endSpec().build();
    }

    /** A TunnelPolicy allowing the given Service's ports, with the exposures listed (sourceRanges not required). */
    public static io.tunnelops.api.v1alpha1.TunnelPolicy policyAllowing(String namespace, String name, String service,
            List<Integer> ports, io.tunnelops.api.v1alpha1.Expose... exposes) {
        var target = new io.tunnelops.api.v1alpha1.PolicyTarget();
        target.setServices(List.of(service));
        target.setPorts(ports);
        var spec = new io.tunnelops.api.v1alpha1.TunnelPolicySpec();
        spec.setTargets(List.of(target));
        spec.setAllowedExpose(List.of(exposes));
        spec.setRequireSourceRanges(false);
        var policy = new io.tunnelops.api.v1alpha1.TunnelPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        policy.setSpec(spec);
        return policy;
    }
}
