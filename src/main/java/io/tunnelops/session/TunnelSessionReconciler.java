package io.tunnelops.session;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.quarkiverse.operatorsdk.annotations.RBACRule;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.Endpoint;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.ShellSpec;
import io.tunnelops.api.v1alpha1.ShellStatus;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.api.v1alpha1.TunnelSessionStatus;
import io.tunnelops.operator.CacheWithoutManagedFields;
import io.tunnelops.policy.DenialReason;
import io.tunnelops.policy.PolicyDecision;
import io.tunnelops.policy.PolicyEvaluator;
import io.tunnelops.policy.SessionRequest;
import io.tunnelops.session.resources.CredentialsSecret;
import io.tunnelops.session.resources.SessionLabels;
import io.tunnelops.session.resources.SshCommands;
import io.tunnelops.session.resources.SshdDeployment;
import io.tunnelops.session.resources.SshdNetworkPolicy;
import io.tunnelops.session.resources.SshdService;
import io.tunnelops.ssh.SshFingerprints;
import io.tunnelops.ssh.SshdLayout;

/**
 * Turns a TunnelSession into its private sshd and decides the session's status and life: invalid sessions are
 * marked Failed and get nothing provisioned; a live session ends when it expires or when its pod reports an idle
 * timeout or a closed connection; an ended session is kept for the retention period, then deleted. Every deadline
 * is computed from timestamps stored in the API, so a restarted operator finds them intact.
 */
@ControllerConfiguration(name = "tunnelsession", informer = @Informer(itemStore = CacheWithoutManagedFields.class))
@Workflow(explicitInvocation = true, dependents = {
        @Dependent(name = SshdService.NAME, type = SshdService.class),
        @Dependent(name = CredentialsSecret.NAME, type = CredentialsSecret.class, dependsOn = SshdService.NAME),
        @Dependent(name = SshdDeployment.NAME, type = SshdDeployment.class, dependsOn = CredentialsSecret.NAME),
        @Dependent(name = SshdNetworkPolicy.NAME, type = SshdNetworkPolicy.class)
})
// Documentation only (quarkus.operator-sdk.disable-rbac-generation=true): the ClusterRole is in application.properties.
// Shell mode reads the app's Deployment once, when the shell is provisioned
@RBACRule(apiGroups = "apps", resources = "deployments", verbs = { "get" })
// NodePort endpoints are published with the address of the node running the sshd pod
@RBACRule(apiGroups = "", resources = "nodes", verbs = { "get" })
// sshd pods report idle timeouts and disconnects through their termination message, and why they cannot start
// (read from the informer)
@RBACRule(apiGroups = "", resources = "pods", verbs = { "list", "watch" })
@RBACRule(apiGroups = "", resources = "events", verbs = { "create" })
public class TunnelSessionReconciler implements Reconciler<TunnelSession>, Cleaner<TunnelSession> {

    private static final Logger LOG = Logger.getLogger(TunnelSessionReconciler.class);
    static final String TARGET_SERVICES = "target-services";
    static final String SSHD_PODS = "sshd-pods";
    static final String POLICIES = "policies";
    private static final String TARGET_INDEX = "tunnelops.io/target-service";
    /** Ready=False while the sshd's pod or Deployment reports why it cannot start. */
    static final String SSHD_CANNOT_START = "SshdCannotStart";
    /** Ready=False, phase Failed: the sshd was not available within the start timeout. */
    static final String SSHD_START_TIMEOUT = "SshdStartTimeout";
    /** How soon a session whose policies were not all cached yet is looked at again (their event usually comes first). */
    private static final Duration POLICY_CACHE_CATCH_UP = Duration.ofSeconds(1);

    @Inject
    OperatorSettings settings;

    @Inject
    Clock clock;

    @Inject
    SessionEvents events;

    @Inject
    SessionTransitions transitions;

    /** Sessions whose namespace is being deleted: the API server refuses to create anything there. */
    private final TerminatingNamespace terminating = new TerminatingNamespace();

    /** Reconciliations run so far; lets tests prove a pass happened when they assert it wrote nothing. */
    private final AtomicLong reconciliations = new AtomicLong();

    long reconciliationCount() {
        return reconciliations.get();
    }

    @Override
    public List<EventSource<?, TunnelSession>> prepareEventSources(EventSourceContext<TunnelSession> context) {
        transitions.countFrom(() -> context.getPrimaryCache().list()); // the sessions gauge reads the cache, not the API
        // A session waiting for its target Service (or whose Service changed) is re-checked when that Service changes.
        context.getPrimaryCache().addIndexer(TARGET_INDEX, session -> targetServiceKey(session).map(List::of).orElse(List.of()));
        // Users' Services only: the sshd Services are the workflow's, and no session tunnels to another's sshd.
        var targets = InformerEventSourceConfiguration.from(Service.class, TunnelSession.class)
                .withName(TARGET_SERVICES)
                .withLabelSelector(SessionLabels.NOT_OWNED_SELECTOR)
                .withItemStore(new CacheWithoutManagedFields<>())
                .withSecondaryToPrimaryMapper(service -> context.getPrimaryCache()
                        .byIndex(TARGET_INDEX, service.getMetadata().getNamespace() + "/" + service.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build();
        // Only the operator's own pods, mapped to their session by label, and only what is read of them.
        var pods = InformerEventSourceConfiguration.from(Pod.class, TunnelSession.class)
                .withName(SSHD_PODS)
                .withLabelSelector(SessionLabels.OWNED_SELECTOR)
                .withItemStore(new SshdPodCache())
                .withSecondaryToPrimaryMapper(pod -> {
                    String name = pod.getMetadata().getLabels() == null ? null
                            : pod.getMetadata().getLabels().get(SessionLabels.SESSION);
                    return name == null ? Set.of()
                            : Set.of(new ResourceID(name, pod.getMetadata().getNamespace()));
                })
                .build();
        // A policy change re-evaluates every session of its namespace.
        var policies = InformerEventSourceConfiguration.from(TunnelPolicy.class, TunnelSession.class)
                .withName(POLICIES)
                .withItemStore(new CacheWithoutManagedFields<>())
                .withSecondaryToPrimaryMapper(policy -> context.getPrimaryCache()
                        .list(policy.getMetadata().getNamespace()).map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build();
        return List.of(new InformerEventSource<>(targets, context), new InformerEventSource<>(pods, context),
                new InformerEventSource<>(policies, context));
    }

    @Override
    public UpdateControl<TunnelSession> reconcile(TunnelSession session, Context<TunnelSession> context) {
        long pass = reconciliations.incrementAndGet();
        LOG.debugf("reconciling TunnelSession %s/%s (pass %d)", session.getMetadata().getNamespace(),
                session.getMetadata().getName(), pass);
        if (terminating.holds(session)) {
            // its objects are being deleted with the namespace: provisioning them again could only be refused
            LOG.debugf("TunnelSession %s/%s: its namespace is being deleted, nothing to do", session.getMetadata()
                    .getNamespace(), session.getMetadata().getName());
            return UpdateControl.noUpdate();
        }
        Instant now = clock.instant();
        TunnelSessionStatus previous = session.getStatus() == null ? new TunnelSessionStatus() : session.getStatus();
        if (previous.getEndedAt() != null) {
            return retain(session, previous, context, now);
        }

        TunnelSessionStatus status = new TunnelSessionStatus();
        status.setObservedGeneration(session.getMetadata().getGeneration());
        status.setUsername(SshdLayout.USERNAME);
        Instant expiresAt;
        try {
            expiresAt = expiresAt(session, previous);
        } catch (InvalidSessionException invalid) {
            return failed(session, previous, status, invalid, context, now);
        }
        status.setExpiresAt(expiresAt.toString());

        if (!now.isBefore(expiresAt)) {
            return end(session, previous, status, EndReason.Expired, "the session expired at " + expiresAt, context, now);
        }
        Optional<PodTermination.End> podEnd = PodTermination.of(context.getSecondaryResources(Pod.class));
        if (podEnd.isPresent()) {
            return end(session, previous, status, podEnd.get().reason(), podEnd.get().message(), context, now);
        }

        SessionPlan planned;
        Optional<Service> targetService = targetService(session, context);
        List<TunnelPolicy> policies = policies(session, context);
        try {
            ShellSource shell = session.getSpec() != null && session.getSpec().getMode() == SessionMode.Shell
                    ? shellSource(session, policies, context) : null;
            planned = SessionPlanner.plan(session, targetService, settings.sshdImage(), shell);
        } catch (InvalidSessionException invalid) {
            return failed(session, previous, status, invalid, context, now).rescheduleAfter(wakeUp(expiresAt, now));
        }
        status.setTarget(planned.targetDisplay());
        PolicyDecision decision = PolicyEvaluator.evaluate(policies, request(session, planned, targetService, expiresAt),
                session.getMetadata().getNamespace(), settings.maxTtl());
        if (!decision.allowed()) {
            if (PolicyCacheLag.behind(policies, context.getClient().resources(TunnelPolicy.class)
                    .inNamespace(session.getMetadata().getNamespace()).list().getItems())) {
                // a policy applied with the session may not be cached yet: the policy's event brings the next pass
                LOG.debugf("TunnelSession %s/%s: the policy cache is behind the API server; not denied yet",
                        session.getMetadata().getNamespace(), session.getMetadata().getName());
                return UpdateControl.<TunnelSession>noUpdate().rescheduleAfter(POLICY_CACHE_CATCH_UP);
            }
            return deny(session, previous, status, decision, context, now);
        }
        if (planned.isShell() && !planned.shell().wasRead()) {
            throw new IllegalStateException("a shell allowed without reading its app"); // no policy allows Shell
        }
        // a shell reaches what its policy lets the namespace's tunnels reach (Shell always needs a policy)
        SessionPlan plan = !planned.isShell() ? planned : planned.withEgress(decision.allowedBy() == null ? List.of()
                : SessionPlanner.shellEgress(decision.allowedBy(), services(session, context)));
        if (plan.isShell()) {
            status.setShell(shellStatus(plan.shell()));
        }

        context.managedWorkflowAndDependentResourceContext().put(SessionPlan.KEY, plan);
        context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();

        Optional<Deployment> sshd = context.getSecondaryResource(Deployment.class);
        boolean available = sshd.map(d -> d.getStatus() != null && d.getStatus().getAvailableReplicas() != null
                        && d.getStatus().getAvailableReplicas() > 0)
                .orElse(false);
        Optional<String> cannotStart = available ? Optional.empty()
                : SshdStartFailure.of(context.getSecondaryResources(Pod.class), sshd);
        Optional<Instant> startDeadline = available ? Optional.empty()
                : SshdStartDeadline.of(sshd, previous.getConditions(), settings.sshdStartTimeout(), now);
        if (startDeadline.isPresent() && !now.isBefore(startDeadline.get())) {
            return startTimedOut(session, previous, status, cannotStart, context, now);
        }

        Optional<Endpoint> endpoint = SessionEndpoints.of(context);
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

        String reason;
        String message;
        if (cannotStart.isPresent()) {
            // before the endpoint: a pod that cannot start is the news, whatever the Service is waiting for
            reason = SSHD_CANNOT_START;
            message = "the sshd cannot start: " + cannotStart.get();
        } else if (endpoint.isEmpty()) {
            reason = "WaitingForEndpoint";
            message = "waiting for the " + plan.expose() + " Service " + SessionLabels.sshdName(session)
                    + " to get an address" + (plan.expose() == Expose.NodePort ? " and the sshd pod a node" : "");
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
                session.getMetadata().getGeneration(), now));
        return publish(session, previous, status).rescheduleAfter(wakeUp(now, Optional.of(expiresAt), startDeadline));
    }

    /**
     * The sshd did not become available in time: the session fails for good, with the last known cause, and its
     * resources go at once (an sshd holding valid credentials must not linger, even one that may start later).
     */
    private UpdateControl<TunnelSession> startTimedOut(TunnelSession session, TunnelSessionStatus previous,
            TunnelSessionStatus status, Optional<String> cause, Context<TunnelSession> context, Instant now) {
        String lastCause = cause.map(c -> "the sshd cannot start: " + c)
                .or(() -> ReadyCondition.find(previous.getConditions())
                        .filter(c -> SSHD_CANNOT_START.equals(c.getReason())).map(c -> c.getMessage()))
                .orElse("the sshd Deployment " + SessionLabels.sshdName(session) + " has no available replica");
        OwnedResourceRemoval.removeAll(context);
        status.setPhase(SessionPhase.Failed);
        // final, like an end: kept for the retention period, never provisioned again
        status.setEndedAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
        status.setConditions(ReadyCondition.set(previous.getConditions(), false, SSHD_START_TIMEOUT,
                "the sshd did not become available within " + SessionDurations.format(settings.sshdStartTimeout())
                        + "; " + lastCause + "; its sshd, Service, Secret and NetworkPolicy are deleted",
                session.getMetadata().getGeneration(), now));
        return publishFinal(session, previous, status, null, context);
    }

    private UpdateControl<TunnelSession> failed(TunnelSession session, TunnelSessionStatus previous,
            TunnelSessionStatus status, InvalidSessionException invalid, Context<TunnelSession> context, Instant now) {
        OwnedResourceRemoval.removeAll(context);
        status.setPhase(SessionPhase.Failed);
        status.setConditions(ReadyCondition.set(previous.getConditions(), false, invalid.reason(), invalid.getMessage(),
                session.getMetadata().getGeneration(), now));
        return publish(session, previous, status);
    }

    /** Nothing is provisioned for a denied session, and a live one that a policy change no longer allows ends. */
    private UpdateControl<TunnelSession> deny(TunnelSession session, TunnelSessionStatus previous,
            TunnelSessionStatus status, PolicyDecision decision, Context<TunnelSession> context, Instant now) {
        OwnedResourceRemoval.removeAll(context);
        status.setPhase(SessionPhase.Denied);
        status.setEndReason(EndReason.Denied);
        status.setEndedAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
        status.setConditions(ReadyCondition.set(previous.getConditions(), false, "Denied", decision.message(),
                session.getMetadata().getGeneration(), now));
        return publishFinal(session, previous, status, decision.denialReason(), context);
    }

    /**
     * What the shell's pod takes from its app: read back from the shell's own Deployment once it exists (the app is
     * read once, so its later changes never restart the shell), else from the app's Deployment, else the toolbox. The
     * app is not read while no policy of the namespace allows Shell at all.
     */
    private ShellSource shellSource(TunnelSession session, List<TunnelPolicy> policies, Context<TunnelSession> context)
            throws InvalidSessionException {
        ShellSpec spec = session.getSpec().getShell();
        String app = spec == null ? null : spec.getFromDeployment();
        if (app != null && !PolicyEvaluator.anyAllows(policies, SessionMode.Shell)) {
            // denied whatever the app is: it is not read, so a session cannot probe Deployments its author cannot see
            return ShellSource.unread(app);
        }
        String wanted = ShellSource.sourceOf(app);
        Optional<ShellSource> provisioned = context.getSecondaryResource(Deployment.class)
                .flatMap(ShellSource::fromShellDeployment)
                .filter(s -> s.source().equals(wanted)
                        && (app == null || spec.getContainer() == null || spec.getContainer().equals(s.container())));
        if (provisioned.isPresent()) {
            return provisioned.get();
        }
        if (app == null) {
            return ShellSource.toolbox(settings.toolboxImage());
        }
        String namespace = session.getMetadata().getNamespace();
        Deployment deployment = context.getClient().apps().deployments().inNamespace(namespace).withName(app).get();
        if (deployment == null) {
            throw new InvalidSessionException(ShellSource.APP_NOT_FOUND, "Deployment \"" + app
                    + "\" does not exist in namespace " + namespace + "; create it or fix spec.shell.fromDeployment");
        }
        return ShellSource.fromApp(deployment, spec.getContainer());
    }

    private static ShellStatus shellStatus(ShellSource shell) {
        ShellStatus status = new ShellStatus();
        status.setSource(shell.source());
        status.setContainer(shell.container());
        status.setImage(shell.image());
        status.setRunAsUser(shell.runAsUser());
        status.setOmitted(shell.omitted());
        return status;
    }

    /** The Services of the session's namespace, from the cache of the target-services informer. */
    private static List<Service> services(TunnelSession session, Context<TunnelSession> context) {
        @SuppressWarnings("unchecked")
        var source = (InformerEventSource<Service, TunnelSession>) context.eventSourceRetriever()
                .getEventSourceFor(Service.class, TARGET_SERVICES);
        return source.list(session.getMetadata().getNamespace(), s -> true).toList();
    }

    private static List<TunnelPolicy> policies(TunnelSession session, Context<TunnelSession> context) {
        @SuppressWarnings("unchecked")
        var source = (InformerEventSource<TunnelPolicy, TunnelSession>) context.eventSourceRetriever()
                .getEventSourceFor(TunnelPolicy.class, POLICIES);
        return source.list(session.getMetadata().getNamespace(), p -> true).toList();
    }

    /** The session as policy sees it; the ttl is what it was granted from creation (extensions included). */
    private SessionRequest request(TunnelSession session, SessionPlan plan, Optional<Service> targetService,
            Instant expiresAt) {
        var spec = session.getSpec();
        String created = session.getMetadata().getCreationTimestamp();
        Duration ttl = created == null ? Duration.ZERO : Duration.between(Instant.parse(created), expiresAt);
        Duration idle = plan.idleTimeoutSeconds() == 0 ? null : Duration.ofSeconds(plan.idleTimeoutSeconds());
        if (plan.isShell()) {
            return new SessionRequest(SessionMode.Shell, null, Map.of(), null, List.of(), ttl, idle, plan.expose(),
                    plan.sourceRanges(), plan.shell().app(), plan.shell().appLabels());
        }
        return new SessionRequest(spec.getMode() == null ? SessionMode.Tunnel : spec.getMode(),
                spec.getTarget().getService(),
                targetService.map(s -> s.getMetadata().getLabels()).orElse(Map.of()),
                spec.getTarget().getHost() == null ? null : spec.getTarget().getHost().toLowerCase(Locale.ROOT),
                spec.getTarget().getPorts(), ttl, idle, plan.expose(), plan.sourceRanges());
    }

    /** Ends a live session: its sshd, Service, Secret and NetworkPolicy go at once; the session stays for retention. */
    private UpdateControl<TunnelSession> end(TunnelSession session, TunnelSessionStatus previous,
            TunnelSessionStatus status, EndReason reason, String message, Context<TunnelSession> context, Instant now) {
        OwnedResourceRemoval.removeAll(context);
        status.setTarget(previous.getTarget());
        status.setShell(previous.getShell());
        status.setPhase(reason == EndReason.Expired ? SessionPhase.Expired : SessionPhase.Ended);
        status.setEndReason(reason);
        status.setEndedAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
        status.setConditions(ReadyCondition.set(previous.getConditions(), false, reason.name(), message,
                session.getMetadata().getGeneration(), now));
        return publishFinal(session, previous, status, null, context);
    }

    /** An ended session: make sure nothing it owned is left, and delete it once its retention is over. */
    private UpdateControl<TunnelSession> retain(TunnelSession session, TunnelSessionStatus status,
            Context<TunnelSession> context, Instant now) {
        OwnedResourceRemoval.removeAll(context);
        Instant deleteAt = Instant.parse(status.getEndedAt()).plus(settings.retention());
        if (now.isBefore(deleteAt)) {
            return UpdateControl.<TunnelSession>noUpdate().rescheduleAfter(Duration.between(now, deleteAt).toMillis());
        }
        // a fresh read and a UID check: never delete a session re-created under the same name
        var current = context.getClient().resources(TunnelSession.class).inNamespace(session.getMetadata().getNamespace())
                .withName(session.getMetadata().getName()).get();
        if (current != null && current.getMetadata().getUid().equals(session.getMetadata().getUid())) {
            LOG.infof("TunnelSession %s/%s: retention of %s over, deleting it", session.getMetadata().getNamespace(),
                    session.getMetadata().getName(), settings.retention());
            context.getClient().resource(current).delete();
        }
        return UpdateControl.noUpdate();
    }

    /** Wake up exactly at expiry, and at least every recheck interval. */
    private long wakeUp(Instant expiresAt, Instant now) {
        return wakeUp(now, Optional.of(expiresAt), Optional.empty());
    }

    /** Wake up exactly at the nearest deadline, and at least every recheck interval. */
    @SafeVarargs
    private long wakeUp(Instant now, Optional<Instant>... deadlines) {
        long millis = settings.recheckInterval().toMillis();
        for (Optional<Instant> deadline : deadlines) {
            if (deadline.isPresent()) {
                millis = Math.min(millis, Duration.between(now, deadline.get()).toMillis());
            }
        }
        return Math.max(1, millis);
    }

    /**
     * The final status of an ended or denied session, written at once and kept in the operator's cache: a pass that
     * started from the older, live status must not provision the session again.
     */
    private UpdateControl<TunnelSession> publishFinal(TunnelSession session, TunnelSessionStatus previous,
            TunnelSessionStatus status, DenialReason denial, Context<TunnelSession> context) {
        if (!status.equals(previous)) {
            announce(session, previous, status, denial);
            PrimaryUpdateAndCacheUtils.patchStatusAndCacheResource(session, context, s -> {
                s.setStatus(status);
                return s;
            });
        }
        return UpdateControl.<TunnelSession>noUpdate().rescheduleAfter(settings.retention().toMillis());
    }

    /** No change, no write: the status is patched only when it differs from what the API server holds. */
    private UpdateControl<TunnelSession> publish(TunnelSession session, TunnelSessionStatus previous,
            TunnelSessionStatus status) {
        if (status.equals(previous)) {
            return UpdateControl.noUpdate();
        }
        announce(session, previous, status, null);
        session.setStatus(status);
        return UpdateControl.patchStatus(session);
    }

    /** Log and record the transitions a person would want to know about (the log line and metrics: SessionTransitions). */
    private void announce(TunnelSession session, TunnelSessionStatus previous, TunnelSessionStatus status,
            DenialReason denial) {
        SessionTransitions.Change change = transitions.observe(session, previous, status, denial);
        String message = status.getConditions().get(status.getConditions().size() - 1).getMessage();
        if (previous.getExpiresAt() != null && status.getExpiresAt() != null
                && !previous.getExpiresAt().equals(status.getExpiresAt()) && status.getEndedAt() == null) {
            events.normal(session, "Extended", "the session now expires at " + status.getExpiresAt()
                    + " (was " + previous.getExpiresAt() + ")");
        }
        if (!change.news()) {
            return; // a pass that repeats a transition already announced (it ran before the cache had its status)
        }
        // compared with what was observed, not with the status this pass started from: that may be a stale copy
        String reason = status.getConditions().get(status.getConditions().size() - 1).getReason();
        if (SSHD_CANNOT_START.equals(reason) && !SSHD_CANNOT_START.equals(change.reasonBefore())) {
            // once per episode: the kubelet's ErrImagePull and ImagePullBackOff alternate, events must not follow
            events.warning(session, SSHD_CANNOT_START, message);
        }
        if (!change.phaseChanged(status)) {
            return;
        }
        SessionPhase before = change.phaseBefore();
        switch (status.getPhase()) {
            case Provisioning -> {
                if (before == null || before == SessionPhase.Pending || before == SessionPhase.Failed) {
                    events.normal(session, "Provisioned", "created the sshd Deployment, Service, NetworkPolicy and Secret "
                            + SessionLabels.secretName(session));
                }
            }
            case Ready -> events.normal(session, "Ready", message);
            case Failed -> events.warning(session, status.getConditions().get(status.getConditions().size() - 1)
                    .getReason(), message);
            case Denied -> events.warning(session, "Denied", message);
            case Expired -> events.normal(session, "Expired", message + "; its sshd, Service, Secret and NetworkPolicy are deleted");
            case Ended -> events.normal(session, "Ended", status.getEndReason() + ": " + message
                    + "; its sshd, Service, Secret and NetworkPolicy are deleted");
            default -> {
            }
        }
    }

    @Override
    public ErrorStatusUpdateControl<TunnelSession> updateErrorStatus(TunnelSession session, Context<TunnelSession> context,
            Exception e) {
        if (TerminatingNamespace.refused(e)) {
            // the namespace controller deletes the session too; a retry or a status write would change nothing
            LOG.infof("TunnelSession %s/%s: its namespace is being deleted; the session is not provisioned again",
                    session.getMetadata().getNamespace(), session.getMetadata().getName());
            terminating.remember(session);
            return ErrorStatusUpdateControl.<TunnelSession>noStatusUpdate().withNoRetry();
        }
        if (isGone(session, context, e)) {
            // deleted while this pass ran, from a cache that still held it: what the pass created must go, and no retry
            // may create it again
            LOG.infof("TunnelSession %s/%s no longer exists; removing what this pass created",
                    session.getMetadata().getNamespace(), session.getMetadata().getName());
            OwnedResourceRemoval.removeAll(context);
            return ErrorStatusUpdateControl.<TunnelSession>noStatusUpdate().withNoRetry();
        }
        LOG.warnf("TunnelSession %s/%s: reconcile failed: %s", session.getMetadata().getNamespace(),
                session.getMetadata().getName(), e.getMessage());
        transitions.reconcileFailed();
        if (context.getRetryInfo().map(r -> !r.isLastAttempt()).orElse(true)) {
            return ErrorStatusUpdateControl.defaultErrorProcessing();
        }
        TunnelSessionStatus previous = session.getStatus() == null ? new TunnelSessionStatus() : session.getStatus();
        TunnelSessionStatus before = new TunnelSessionStatus();
        before.setPhase(previous.getPhase());
        before.setConditions(previous.getConditions());
        previous.setPhase(SessionPhase.Failed);
        previous.setObservedGeneration(session.getMetadata().getGeneration());
        previous.setConditions(ReadyCondition.set(previous.getConditions(), false, "ProvisioningError",
                "could not provision the session: " + e.getMessage(), session.getMetadata().getGeneration(),
                clock.instant()));
        events.warning(session, "ProvisioningError", "could not provision the session: " + e.getMessage());
        transitions.observe(session, before, previous, null);
        session.setStatus(previous);
        return ErrorStatusUpdateControl.patchStatus(session);
    }

    /** A 404 in the failure, and the API server confirms: no session of this name and UID exists any more. */
    private static boolean isGone(TunnelSession session, Context<TunnelSession> context, Exception e) {
        if (!KubernetesFailures.notFound(e)) {
            return false;
        }
        TunnelSession current = context.getClient().resources(TunnelSession.class)
                .inNamespace(session.getMetadata().getNamespace()).withName(session.getMetadata().getName()).get();
        return current == null || !current.getMetadata().getUid().equals(session.getMetadata().getUid());
    }

    @Override
    public DeleteControl cleanup(TunnelSession session, Context<TunnelSession> context) {
        // Delete explicitly: garbage collection by ownerReference may lag, and nothing may outlive its session.
        OwnedResourceRemoval.removeAll(context);
        boolean namespaceTerminating = terminating.forget(session);
        if (session.getStatus() == null || session.getStatus().getEndedAt() == null) {
            if (!namespaceTerminating) { // an Event would be refused there
                events.normal(session, "Ended", "Deleted: the session was deleted; its sshd, Service, Secret and "
                        + "NetworkPolicy are removed");
            }
            transitions.deleted(session);
        }
        return DeleteControl.defaultDelete();
    }

    /**
     * Creation time plus ttl. Stored in the status and read back while the spec is unchanged, so restarts never move
     * it; a new generation (a raised ttl: an extension) computes it again.
     */
    private Instant expiresAt(TunnelSession session, TunnelSessionStatus previous) throws InvalidSessionException {
        if (previous.getExpiresAt() != null
                && session.getMetadata().getGeneration().equals(previous.getObservedGeneration())) {
            return Instant.parse(previous.getExpiresAt());
        }
        String ttlText = session.getSpec() == null ? null : session.getSpec().getTtl();
        Duration ttl = ttlText == null ? settings.defaultTtl()
                : SessionDurations.within("spec.ttl", ttlText, Duration.ofMinutes(1), Duration.ofHours(24));
        String created = session.getMetadata().getCreationTimestamp();
        Instant start = created == null ? clock.instant() : Instant.parse(created);
        return start.plus(ttl);
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
