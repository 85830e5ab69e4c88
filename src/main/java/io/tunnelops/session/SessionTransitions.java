package io.tunnelops.session;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

import io.fabric8.kubernetes.api.model.Condition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.api.v1alpha1.TunnelSessionStatus;
import io.tunnelops.policy.DenialReason;

/**
 * The one place that observes a session's transitions (phase changes, ends, denials) and tells people about them: one
 * INFO line each, with the namespace, name, phase and reason also in the MDC (fields of a JSON log line), and the
 * metrics. Each transition counts once: a pass that repeats one already seen (its status write failed, or it ran
 * from a stale cache) logs and records nothing again.
 *
 * <p>Metrics (Prometheus names): {@value #SESSIONS} (gauge by phase and mode, counted from the operator's cache of
 * sessions at scrape time), {@value #TIME_TO_READY} (creation to first Ready, seconds), {@value #EXPIRY_LATENESS}
 * (end minus status.expiresAt of an Expired session, seconds), {@value #ENDED} (by reason), {@value #DENIALS} (by the
 * rule broken) and {@value #RECONCILE_ERRORS}.
 */
@ApplicationScoped
public class SessionTransitions {

    private static final Logger LOG = Logger.getLogger(SessionTransitions.class);

    static final String SESSIONS = "tunnel_operator_sessions";
    static final String TIME_TO_READY = "tunnel_operator_session_time_to_ready_seconds";
    static final String EXPIRY_LATENESS = "tunnel_operator_session_expiry_lateness_seconds";
    static final String ENDED = "tunnel_operator_sessions_ended_total";
    static final String DENIALS = "tunnel_operator_session_denials_total";
    static final String RECONCILE_ERRORS = "tunnel_operator_reconcile_errors_total";

    /** MDC keys of a transition's log line. */
    public static final String MDC_NAMESPACE = "namespace";
    public static final String MDC_NAME = "name";
    public static final String MDC_PHASE = "phase";
    public static final String MDC_REASON = "reason";

    /** Ready within seconds is the promise; the start timeout (5 min by default) bounds the rest. */
    private static final Duration[] READY_BUCKETS = seconds(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600);
    /** A session should end within a second of its deadline; minutes mean the operator was down or starved. */
    private static final Duration[] LATENESS_BUCKETS = seconds(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300);

    private final Clock clock;
    private final Timer timeToReady;
    private final Timer expiryLateness;
    private final Map<EndReason, Counter> ended;
    private final Map<DenialReason, Counter> denials;
    private final Counter reconcileErrors;
    /** What was last seen of each session (by UID): a transition already seen is not counted again. */
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    static final int PRUNE_FLOOR = 256;
    private final AtomicInteger pruneAt = new AtomicInteger(PRUNE_FLOOR);
    private volatile Supplier<Stream<TunnelSession>> sessions;

    /**
     * A status compared with what was observed of its session before: the phase and Ready reason last observed (the
     * status the pass started from when nothing was observed yet). A pass may start from a cache that does not hold
     * the previous pass's status yet; what it changes is measured from what was observed, so it announces nothing twice.
     *
     * @param news false when the pass repeats a transition already observed (it ran before the cache had the status
     *        it wrote, or its write failed): nothing to announce
     */
    public record Change(boolean news, SessionPhase phaseBefore, String reasonBefore) {

        public boolean phaseChanged(TunnelSessionStatus status) {
            return news && phaseBefore != status.getPhase();
        }
    }

    /** What a session was last seen as, and which once-per-session records are done. */
    private record Seen(SessionPhase phase, String reason, boolean readyRecorded, boolean endRecorded) {
    }

    private final SessionCounts sessionCounts = new SessionCounts();

    @Inject
    public SessionTransitions(MeterRegistry registry, Clock clock) {
        this.clock = clock;
        // a registry may outlive an application instance (Quarkus tests restart the application in one JVM): a meter
        // left by an earlier instance would be returned by register() below, bound to that instance and its cache
        for (String name : List.of(SESSIONS, TIME_TO_READY, EXPIRY_LATENESS, ENDED, DENIALS, RECONCILE_ERRORS)) {
            registry.find(base(name)).meters().forEach(registry::remove);
        }
        for (SessionPhase phase : SessionPhase.values()) {
            for (SessionMode mode : SessionMode.values()) {
                Gauge.builder(base(SESSIONS), this, t -> t.count(phase, mode))
                        .description("TunnelSessions by phase and mode, from the operator's cache")
                        .tags("phase", phase.name(), "mode", mode.name()).register(registry);
            }
        }
        timeToReady = Timer.builder(base(TIME_TO_READY))
                .description("Time from a TunnelSession's creation to its first Ready, once per session")
                .serviceLevelObjectives(READY_BUCKETS).register(registry);
        expiryLateness = Timer.builder(base(EXPIRY_LATENESS))
                .description("How long after status.expiresAt an expired TunnelSession was ended, once per session")
                .serviceLevelObjectives(LATENESS_BUCKETS).register(registry);
        ended = Stream.of(EndReason.values()).collect(Collectors.toUnmodifiableMap(r -> r, r -> Counter.builder(base(ENDED))
                .description("TunnelSessions ended, by status.endReason").tag("reason", r.name()).register(registry)));
        denials = Stream.of(DenialReason.values()).collect(Collectors.toUnmodifiableMap(r -> r, r -> Counter
                .builder(base(DENIALS)).description("TunnelSessions denied by policy, by the kind of rule broken")
                .tag("reason", r.name()).register(registry)));
        reconcileErrors = Counter.builder(base(RECONCILE_ERRORS))
                .description("TunnelSession reconcile passes that failed (each is retried)").register(registry);
    }

    /** The sessions the phase gauge counts: the controller's cache (no API call at scrape time). */
    public void countFrom(Supplier<Stream<TunnelSession>> cachedSessions) {
        this.sessions = cachedSessions;
    }

    /**
     * A status about to be written: logs and records what changed, once. A line is written when the phase changes, and
     * when the sshd is newly found unable to start (a reason a user must act on, though the phase stays Provisioning).
     *
     * @param denial for a denied session, the kind of rule it breaks; null otherwise
     * @return what the session was known as before this status, and whether the status is news at all
     */
    public Change observe(TunnelSession session, TunnelSessionStatus previous, TunnelSessionStatus status,
            DenialReason denial) {
        String uid = session.getMetadata().getUid();
        String reason = readyCondition(status).map(Condition::getReason).orElse(null);
        Seen before = seen.get(uid);
        if (before == null) {
            before = new Seen(previous.getPhase(), readyCondition(previous).map(Condition::getReason).orElse(null),
                    false, false);
        }
        if (before.phase() == status.getPhase() && Objects.equals(before.reason(), reason)) {
            return new Change(false, before.phase(), before.reason()); // this pass repeats one that was observed
        }
        boolean phaseChanged = before.phase() != status.getPhase();
        boolean cannotStart = TunnelSessionReconciler.SSHD_CANNOT_START.equals(reason)
                && !TunnelSessionReconciler.SSHD_CANNOT_START.equals(before.reason());
        boolean readyRecorded = before.readyRecorded();
        boolean endRecorded = before.endRecorded();
        if (phaseChanged) {
            SessionPhase phase = status.getPhase();
            if (phase == SessionPhase.Ready && !readyRecorded) {
                timeToReady.record(sinceCreation(session));
                readyRecorded = true;
            }
            if (status.getEndReason() != null && !endRecorded) {
                ended.get(status.getEndReason()).increment();
                if (phase == SessionPhase.Expired && status.getExpiresAt() != null) {
                    expiryLateness.record(nonNegative(Duration.between(Instant.parse(status.getExpiresAt()),
                            clock.instant())));
                }
                if (phase == SessionPhase.Denied && denial != null) {
                    denials.get(denial).increment();
                }
                endRecorded = true;
            }
        }
        prune();
        seen.put(uid, new Seen(status.getPhase(), reason, readyRecorded, endRecorded));
        if (phaseChanged || cannotStart) {
            log(session, status.getPhase(), reason, readyCondition(status).map(Condition::getMessage).orElse(""));
        }
        return new Change(true, before.phase(), before.reason());
    }

    /** A live session was deleted (an ended one has been counted already). */
    public void deleted(TunnelSession session) {
        String uid = session.getMetadata().getUid();
        Seen before = seen.get(uid);
        if (before != null && before.endRecorded()) {
            return;
        }
        ended.get(EndReason.Deleted).increment();
        prune();
        seen.put(uid, new Seen(SessionPhase.Ended, EndReason.Deleted.name(),
                before != null && before.readyRecorded(), true));
        log(session, SessionPhase.Ended, EndReason.Deleted.name(),
                "the session was deleted; its sshd, Service, Secret and NetworkPolicy are removed");
    }

    /** A reconcile pass failed (it is logged where it failed, with its cause). */
    public void reconcileFailed() {
        reconcileErrors.increment();
    }

    private void log(TunnelSession session, SessionPhase phase, String reason, String message) {
        String namespace = session.getMetadata().getNamespace();
        String name = session.getMetadata().getName();
        MDC.put(MDC_NAMESPACE, namespace);
        MDC.put(MDC_NAME, name);
        MDC.put(MDC_PHASE, String.valueOf(phase));
        MDC.put(MDC_REASON, String.valueOf(reason));
        try {
            LOG.infof("TunnelSession %s/%s: %s, reason %s: %s", namespace, name, phase, reason, message);
        } finally {
            MDC.remove(MDC_NAMESPACE);
            MDC.remove(MDC_NAME);
            MDC.remove(MDC_PHASE);
            MDC.remove(MDC_REASON);
        }
    }

    /**
     * Forgets sessions that left the cache (deleted), so that the memory of what was seen stays bounded: at most twice
     * what it held after the last pruning, and never fewer than {@value #PRUNE_FLOOR}. Only then, since a pruning reads
     * the whole cache: at every transition that made the passes of N sessions cost N each (a sixth of the operator's
     * CPU at N = 5000, in the benchmark's profile).
     */
    private void prune() {
        Supplier<Stream<TunnelSession>> source = sessions;
        if (source == null || seen.size() < pruneAt.get()) {
            return;
        }
        Set<String> live = source.get().map(s -> s.getMetadata().getUid()).collect(Collectors.toSet());
        seen.keySet().retainAll(live);
        pruneAt.set(Math.max(PRUNE_FLOOR, 2 * seen.size()));
    }

    /** The number of sessions whose transitions are remembered (for tests: it stays bounded). */
    int remembered() {
        return seen.size();
    }

    private double count(SessionPhase phase, SessionMode mode) {
        return sessionCounts.read(phase.ordinal() * SessionMode.values().length + mode.ordinal());
    }

    /**
     * The cache counted by phase and mode in one pass, shared by the gauges of one scrape (one read of the cache, not
     * one per gauge). It is counted again when a gauge it already answered is read, which is the next scrape, or when
     * it is older than a scrape takes.
     */
    private final class SessionCounts {
        private static final long MAX_AGE_NANOS = Duration.ofMillis(200).toNanos();
        private final long[] counts = new long[SessionPhase.values().length * SessionMode.values().length];
        private final boolean[] answered = new boolean[counts.length];
        private long countedAt;
        private boolean counted;

        synchronized double read(int cell) {
            if (!counted || answered[cell] || System.nanoTime() - countedAt > MAX_AGE_NANOS) {
                count();
            }
            answered[cell] = true;
            return counts[cell];
        }

        private void count() {
            Arrays.fill(counts, 0);
            Arrays.fill(answered, false);
            Supplier<Stream<TunnelSession>> source = sessions;
            if (source != null) {
                source.get().forEach(s -> counts[phaseOf(s).ordinal() * SessionMode.values().length
                        + modeOf(s).ordinal()]++);
            }
            countedAt = System.nanoTime();
            counted = true;
        }
    }

    private static SessionPhase phaseOf(TunnelSession session) {
        return session.getStatus() == null || session.getStatus().getPhase() == null ? SessionPhase.Pending
                : session.getStatus().getPhase();
    }

    private static SessionMode modeOf(TunnelSession session) {
        return session.getSpec() == null || session.getSpec().getMode() == null ? SessionMode.Tunnel
                : session.getSpec().getMode();
    }

    private Duration sinceCreation(TunnelSession session) {
        String created = session.getMetadata().getCreationTimestamp();
        return created == null ? Duration.ZERO : nonNegative(Duration.between(Instant.parse(created), clock.instant()));
    }

    private static java.util.Optional<Condition> readyCondition(TunnelSessionStatus status) {
        return ReadyCondition.find(status.getConditions());
    }

    private static Duration nonNegative(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }

    /** Micrometer's name for a Prometheus name: dotted, without the unit and _total it adds back. */
    private static String base(String prometheusName) {
        return prometheusName.replaceFirst("_(seconds|total)$", "").replace('_', '.');
    }

    private static Duration[] seconds(double... values) {
        return java.util.Arrays.stream(values).mapToObj(v -> Duration.ofMillis(Math.round(v * 1000))).toArray(Duration[]::new);
    }
}
