package io.tunnelops.session.resources;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.api.reconciler.dependent.managed.DefaultManagedWorkflowAndDependentResourceContext;
import io.javaoperatorsdk.operator.api.reconciler.dependent.managed.ManagedWorkflowAndDependentResourceContext;
import io.javaoperatorsdk.operator.processing.event.EventSourceRetriever;
import io.tunnelops.api.v1alpha1.Endpoint;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.SessionEndpoints;
import io.tunnelops.session.SessionPlan;

/**
 * A Tunnel session's sshd Service, credentials Secret and sshd Deployment exactly as the operator's dependents render
 * them (their own {@code desired}), with no API server: for benchmarks that run a session's sshd or time the rendering.
 * The Service gets the cluster IP the API server would assign.
 *
 * @param endpoint where users reach the sshd: the cluster IP, port 2222
 */
public record RenderedSession(SessionPlan plan, Service service, Secret secret, Deployment deployment, Endpoint endpoint) {

    /**
     * Renders in the order of the operator's workflow (Service, Secret, Deployment), each dependent seeing what the
     * ones before it produced, as in a reconcile once the Service has its address.
     */
    public static RenderedSession of(TunnelSession session, SessionPlan plan, String clusterIp) {
        Service service = new SshdService().desired(session, new StaticContext(session, plan, Map.of()));
        service.getSpec().setClusterIP(clusterIp);
        service.getSpec().setClusterIPs(List.of(clusterIp));
        StaticContext context = new StaticContext(session, plan, Map.of(Service.class, service));
        Secret secret = new CredentialsSecret().desired(session, context);
        Deployment deployment = new SshdDeployment().desired(session,
                new StaticContext(session, plan, Map.of(Service.class, service, Secret.class, secret)));
        Endpoint endpoint = SessionEndpoints.of(context).orElseThrow();
        return new RenderedSession(plan, service, secret, deployment, endpoint);
    }

    /**
     * The credentials Secret of one reconcile pass: with {@code stored} empty, the first pass (keys generated);
     * with the Secret of an earlier pass, a later one (keys reused). The Service has its address.
     */
    public static Secret credentials(TunnelSession session, SessionPlan plan, Service service, Optional<Secret> stored) {
        return new CredentialsSecret().desired(session, new StaticContext(session, plan,
                stored.<Map<Class<?>, HasMetadata>>map(s -> Map.of(Service.class, service, Secret.class, s))
                        .orElse(Map.of(Service.class, service))));
    }

    /** The published one-line ssh command, as the status carries it. */
    public String sshCommand() {
        return SshCommands.sshCommand(endpoint, plan);
    }

    /** What a dependent reads during a reconcile: the plan, and at most one secondary resource of each kind. */
    private static final class StaticContext implements Context<TunnelSession> {

        private final TunnelSession session;
        private final Map<Class<?>, HasMetadata> secondaries;
        private final ManagedWorkflowAndDependentResourceContext workflow;

        StaticContext(TunnelSession session, SessionPlan plan, Map<Class<?>, HasMetadata> secondaries) {
            this.session = session;
            this.secondaries = secondaries;
            this.workflow = new DefaultManagedWorkflowAndDependentResourceContext<>(null, session, this);
            workflow.put(SessionPlan.KEY, plan);
        }

        @Override
        public <R> Optional<R> getSecondaryResource(Class<R> type) {
            return Optional.ofNullable(secondaries.get(type)).map(type::cast);
        }

        @Override
        public <R> Optional<R> getSecondaryResource(Class<R> type, String name) {
            return getSecondaryResource(type);
        }

        @Override
        public <R> Set<R> getSecondaryResources(Class<R> type) {
            return getSecondaryResource(type).map(Set::of).orElse(Set.of());
        }

        @Override
        public ManagedWorkflowAndDependentResourceContext managedWorkflowAndDependentResourceContext() {
            return workflow;
        }

        @Override
        public TunnelSession getPrimaryResource() {
            return session;
        }

        @Override
        public Optional<RetryInfo> getRetryInfo() {
            return Optional.empty();
        }

        @Override
        public boolean isNextReconciliationImminent() {
            return false;
        }

        @Override
        public boolean isPrimaryResourceDeleted() {
            return false;
        }

        @Override
        public boolean isPrimaryResourceFinalStateUnknown() {
            return false;
        }

        // a ClusterIP session's dependents need nothing more of the running operator
        @Override
        public ControllerConfiguration<TunnelSession> getControllerConfiguration() {
            throw new UnsupportedOperationException("no controller here");
        }

        @Override
        public EventSourceRetriever<TunnelSession> eventSourceRetriever() {
            throw new UnsupportedOperationException("no event sources here");
        }

        /** None: SessionEndpoints asks for it up front, and uses it for a NodePort session's node only. */
        @Override
        public KubernetesClient getClient() {
            return null;
        }

        @Override
        public ExecutorService getWorkflowExecutorService() {
            throw new UnsupportedOperationException("no workflow executor here");
        }

        @Override
        public IndexedResourceCache<TunnelSession> getPrimaryCache() {
            throw new UnsupportedOperationException("no cache here");
        }
    }
}
