package io.tunnelops.session;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.quarkiverse.operatorsdk.annotations.RBACRule;
import io.tunnelops.api.v1alpha1.Endpoint;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.api.v1alpha1.TunnelSessionStatus;
import io.tunnelops.session.resources.CredentialsSecret;
import io.tunnelops.session.resources.SessionLabels;
import io.tunnelops.session.resources.SshCommands;
import io.tunnelops.session.resources.SshdDeployment;
import io.tunnelops.session.resources.SshdNetworkPolicy;
import io.tunnelops.session.resources.SshdService;
import io.tunnelops.ssh.SshFingerprints;
import io.tunnelops.ssh.SshdLayout;

/**
 * Turns a TunnelSession into its private sshd and decides the session's status. Invalid sessions are marked Failed
 * and get nothing provisioned; the workflow of owned resources runs only for a valid plan.
 */
@ControllerConfiguration(name = "tunnelsession")
@Workflow(explicitInvocation = true, dependents = {
        @Dependent(name = SshdService.NAME, type = SshdService.class),
        @Dependent(name = CredentialsSecret.NAME, type = CredentialsSecret.class, dependsOn = SshdService.NAME),
        @Dependent(name = SshdDeployment.NAME, type = SshdDeployment.class, dependsOn = CredentialsSecret.NAME),
        @Dependent(name = SshdNetworkPolicy.NAME, type = SshdNetworkPolicy.class)
})
// NodePort endpoints are published with a node's address
@RBACRule(apiGroups = "", resources = "nodes", verbs = { "get", "list" })
public class TunnelSessionReconciler implements Reconciler<TunnelSession>, Cleaner<TunnelSession> {

    private static final Logger LOG = Logger.getLogger(TunnelSessionReconciler.class);
    static final String TARGET_SERVICES = "target-services";
    private static final String TARGET_INDEX = "tunnelops.io/target-service";

    @Inject
    OperatorSettings settings;

    @Inject
    Clock clock;

    /** Reconciliations run so far; lets tests prove a pass happened when they assert it wrote nothing. */
    private final AtomicLong reconciliations = new AtomicLong();

    long reconciliationCount() {
        return reconciliations.get();
    }

    @Override
    public List<EventSource<?, TunnelSession>> prepareEventSources(EventSourceContext<TunnelSession> context) {
        // A session waiting for its target Service (or whose Service changed) is re-checked when that Service changes.
        context.getPrimaryCache().addIndexer(TARGET_INDEX, session -> targetServiceKey(session).map(List::of).orElse(List.of()));
        var targets = InformerEventSourceConfiguration.from(Service.class, TunnelSession.class)
                .withName(TARGET_SERVICES)
                .withSecondaryToPrimaryMapper(service -> context.getPrimaryCache()
                        .byIndex(TARGET_INDEX, service.getMetadata().getNamespace() + "/" + service.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(java.util.stream.Collectors.toSet()))
                .build();
        return List.of(new InformerEventSource<>(targets, context));
    }

    @Override
    public UpdateControl<TunnelSession> reconcile(TunnelSession session, Context<TunnelSession> context) {
        reconciliations.incrementAndGet();
        TunnelSessionStatus previous = session.getStatus() == null ? new TunnelSessionStatus() : session.getStatus();
        TunnelSessionStatus status = new TunnelSessionStatus();
        status.setObservedGeneration(session.getMetadata().getGeneration());
        status.setUsername(SshdLayout.USERNAME);

        SessionPlan plan;
        try {
            status.setExpiresAt(expiresAt(session, previous));
            plan = SessionPlanner.plan(session, targetService(session, context), settings.sshdImage());
        } catch (InvalidSessionException invalid) {
            removeOwnedResources(context);
            status.setPhase(SessionPhase.Failed);
            status.setConditions(ReadyCondition.set(previous.getConditions(), false, invalid.reason(),
                    invalid.getMessage(), session.getMetadata().getGeneration(), clock.instant()));
            return publish(session, previous, status);
        }
        status.setTarget(plan.targetDisplay());

        context.managedWorkflowAndDependentResourceContext().put(SessionPlan.KEY, plan);
        context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();

        Optional<Endpoint> endpoint = SessionEndpoints.of(
                context.getSecondaryResource(Service.class, SshdService.NAME).orElse(null), context.getClient());
        Optional<Secret> secret = context.getSecondaryResource(Secret.class);
        secret.ifPresent(s -> {
            status.setCredentialsSecret(s.getMetadata().getName());
            String hostKey = CredentialsSecret.decode(secret).get(SshdLayout.HOST_PUBLIC_KEY);
            if (hostKey != null) {
                status.setHostKeyFingerprint(SshFingerprints.sha256(hostKey.strip()));
            }
        });
        endpoint.ifPresent(e -> {
            status.setEndpoint(e);
            status.setSshCommand(SshCommands.sshCommand(e, plan));
        });
        boolean available = context.getSecondaryResource(Deployment.class)
                .map(d -> d.getStatus() != null && d.getStatus().getAvailableReplicas() != null
                        && d.getStatus().getAvailableReplicas() > 0)
                .orElse(false);

        String reason;
        String message;
        if (endpoint.isEmpty()) {
            reason = "WaitingForEndpoint";
            message = "waiting for the " + plan.expose() + " Service " + SessionLabels.sshdName(session)
                    + " to get an address";
        } else if (!available) {
            reason = "SshdStarting";
            message = "waiting for the sshd Deployment " + SessionLabels.sshdName(session) + " to have an available replica";
        } else {
            reason = "SshdReady";
            message = "sshd accepts connections at " + endpoint.get().getAddress() + "; credentials in Secret "
                    + SessionLabels.secretName(session);
        }
        boolean ready = "SshdReady".equals(reason);
        status.setPhase(ready ? SessionPhase.Ready : SessionPhase.Provisioning);
        status.setConditions(ReadyCondition.set(previous.getConditions(), ready, reason, message,
                session.getMetadata().getGeneration(), clock.instant()));
        return publish(session, previous, status);
    }

    /** No change, no write: the status is patched only when it differs from what the API server holds. */
    private UpdateControl<TunnelSession> publish(TunnelSession session, TunnelSessionStatus previous,
            TunnelSessionStatus status) {
        if (status.equals(previous)) {
            return UpdateControl.noUpdate();
        }
        if (previous.getPhase() != status.getPhase()) {
            LOG.infof("TunnelSession %s/%s: %s (%s)", session.getMetadata().getNamespace(),
                    session.getMetadata().getName(), status.getPhase(),
                    status.getConditions().get(status.getConditions().size() - 1).getMessage());
        }
        session.setStatus(status);
        return UpdateControl.patchStatus(session);
    }

    @Override
    public ErrorStatusUpdateControl<TunnelSession> updateErrorStatus(TunnelSession session, Context<TunnelSession> context,
            Exception e) {
        LOG.warnf("TunnelSession %s/%s: reconcile failed: %s", session.getMetadata().getNamespace(),
                session.getMetadata().getName(), e.getMessage());
        if (context.getRetryInfo().map(r -> !r.isLastAttempt()).orElse(true)) {
            return ErrorStatusUpdateControl.defaultErrorProcessing();
        }
        TunnelSessionStatus previous = session.getStatus() == null ? new TunnelSessionStatus() : session.getStatus();
        previous.setPhase(SessionPhase.Failed);
        previous.setObservedGeneration(session.getMetadata().getGeneration());
        previous.setConditions(ReadyCondition.set(previous.getConditions(), false, "ProvisioningError",
                "could not provision the session: " + e.getMessage(), session.getMetadata().getGeneration(),
                clock.instant()));
        return ErrorStatusUpdateControl.patchStatus(session);
    }

    @Override
    public DeleteControl cleanup(TunnelSession session, Context<TunnelSession> context) {
        // Delete explicitly: garbage collection by ownerReference may lag, and nothing may outlive its session.
        removeOwnedResources(context);
        LOG.infof("TunnelSession %s/%s deleted; its sshd, Service, Secret and NetworkPolicy are removed",
                session.getMetadata().getNamespace(), session.getMetadata().getName());
        return DeleteControl.defaultDelete();
    }

    /** Deletes what the session owns, touching the API server only for objects that exist. */
    private static void removeOwnedResources(Context<TunnelSession> context) {
        var client = context.getClient();
        context.getSecondaryResources(Deployment.class).forEach(r -> client.resource(r).delete());
        context.getSecondaryResource(Service.class, SshdService.NAME).ifPresent(r -> client.resource(r).delete());
        context.getSecondaryResources(NetworkPolicy.class).forEach(r -> client.resource(r).delete());
        context.getSecondaryResources(Secret.class).forEach(r -> client.resource(r).delete());
    }

    /** Creation time plus ttl, computed once and then read back from the status, so restarts never move it. */
    private String expiresAt(TunnelSession session, TunnelSessionStatus previous) throws InvalidSessionException {
        if (previous.getExpiresAt() != null) {
            return previous.getExpiresAt();
        }
        String ttlText = session.getSpec() == null ? null : session.getSpec().getTtl();
        Duration ttl = ttlText == null ? settings.defaultTtl() : SessionDurations.parse("spec.ttl", ttlText);
        String created = session.getMetadata().getCreationTimestamp();
        Instant start = created == null ? clock.instant() : Instant.parse(created);
        return start.plus(ttl).toString();
    }

    private static Optional<Service> targetService(TunnelSession session, Context<TunnelSession> context) {
        return targetServiceKey(session).flatMap(key -> {
            @SuppressWarnings("unchecked")
            var source = (InformerEventSource<Service, TunnelSession>) context.eventSourceRetriever()
                    .getEventSourceFor(Service.class, TARGET_SERVICES);
            return source.get(new ResourceID(session.getSpec().getTarget().getService(),
                    session.getMetadata().getNamespace()));
        });
    }

    private static Optional<String> targetServiceKey(TunnelSession session) {
        var spec = session.getSpec();
        if (spec == null || spec.getTarget() == null || spec.getTarget().getService() == null) {
            return Optional.empty();
        }
        return Optional.of(session.getMetadata().getNamespace() + "/" + spec.getTarget().getService());
    }
}
