package io.tunnelops.session;

import static io.tunnelops.testing.SessionFixtures.session;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.api.v1alpha1.TunnelSessionStatus;
import io.tunnelops.policy.DenialReason;
import io.tunnelops.testing.TestClock;

/**
 * What SessionTransitions records and logs for each step of a session's life, alone (a fresh registry, a clock moved by
 * hand): each transition once, however often a pass repeats it, and the durations exactly as the clock says.
 */
class SessionTransitionsTest {

    private static final Instant CREATED = Instant.parse("2026-11-30T10:00:00Z");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TestClock clock = new TestClock(CREATED);
    private final SessionTransitions transitions = new SessionTransitions(registry, clock);
    private final List<TunnelSession> cache = new CopyOnWriteArrayList<>();
    private final LineCapture lines = new LineCapture();
    private final Logger logger = Logger.getLogger(SessionTransitions.class.getName());

    /** Each INFO line of SessionTransitions with its MDC fields. */
    static final class LineCapture extends Handler {
        final List<String> messages = new CopyOnWriteArrayList<>();
        final List<Map<String, String>> fields = new CopyOnWriteArrayList<>();

        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.INFO.intValue()) {
                ExtLogRecord ext = (ExtLogRecord) record;
                messages.add(ext.getFormattedMessage());
                fields.add(Map.copyOf(ext.getMdcCopy()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @BeforeEach
    void capture() {
        transitions.countFrom(cache::stream);
        logger.addHandler(lines);
    }

    @AfterEach
    void release() {
        logger.removeHandler(lines);
    }

    @Test
    void aSessionsWayToReadyAndItsExpiryAreEachRecordedOnceHoweverOftenAPassRepeatsThem() {
        TunnelSession session = cached(session("team-a", "pg").toService("postgres", 5432).build());
        TunnelSessionStatus none = new TunnelSessionStatus();
        TunnelSessionStatus provisioning = status(SessionPhase.Provisioning, "WaitingForEndpoint", null);
        TunnelSessionStatus starting = status(SessionPhase.Provisioning, "SshdStarting", null);
        TunnelSessionStatus ready = status(SessionPhase.Ready, "SshdReady", null);
        ready.setExpiresAt(CREATED.plus(Duration.ofHours(1)).toString());
        TunnelSessionStatus expired = status(SessionPhase.Expired, "Expired", EndReason.Expired);
        expired.setExpiresAt(ready.getExpiresAt());

        clock.set(CREATED.plusMillis(1200));
        transitions.observe(session, none, provisioning, null);
        transitions.observe(session, provisioning, starting, null); // same phase: no line
        clock.set(CREATED.plusMillis(3500));
        transitions.observe(session, starting, ready, null);
        clock.set(CREATED.plusSeconds(9));
        transitions.observe(session, starting, ready, null); // the same pass again (its write failed): nothing new
        assertEquals(1, timeToReady().count());
        assertEquals(3.5, timeToReady().totalTime(TimeUnit.MILLISECONDS) / 1000.0, 1e-9);

        clock.set(Instant.parse(ready.getExpiresAt()).plusMillis(2250));
        transitions.observe(session, ready, expired, null);
        clock.advance(Duration.ofSeconds(30));
        transitions.observe(session, ready, expired, null);
        assertEquals(1, registry.get("tunnel.operator.session.expiry.lateness").timer().count());
        assertEquals(2.25, registry.get("tunnel.operator.session.expiry.lateness").timer()
                .totalTime(TimeUnit.MILLISECONDS) / 1000.0, 1e-9);
        assertEquals(1.0, ended(EndReason.Expired));
        assertEquals(0.0, ended(EndReason.Deleted));

        assertEquals(List.of(
                "TunnelSession team-a/pg: Provisioning, reason WaitingForEndpoint: message of WaitingForEndpoint",
                "TunnelSession team-a/pg: Ready, reason SshdReady: message of SshdReady",
                "TunnelSession team-a/pg: Expired, reason Expired: message of Expired"), lines.messages);
        assertEquals(Map.of("namespace", "team-a", "name", "pg", "phase", "Ready", "reason", "SshdReady"),
                lines.fields.get(1));
    }

    @Test
    void aSessionReadyAgainAfterItsSshdRestartedCountsItsTimeToReadyOnce() {
        TunnelSession session = cached(session("team-a", "flaky").toService("postgres", 5432).build());
        TunnelSessionStatus provisioning = status(SessionPhase.Provisioning, "SshdStarting", null);
        TunnelSessionStatus ready = status(SessionPhase.Ready, "SshdReady", null);
        transitions.observe(session, new TunnelSessionStatus(), provisioning, null);
        transitions.observe(session, provisioning, ready, null);
        transitions.observe(session, ready, provisioning, null);
        transitions.observe(session, provisioning, ready, null);
        assertEquals(1, timeToReady().count());
        assertEquals(4, lines.messages.size(), "every phase change is a line: " + lines.messages);
    }

    @Test
    void theSessionsGaugeCountsTheCachedSessionsByPhaseAndMode() {
        cached(withStatus(session("a", "one").toService("pg", 5432).build(), SessionPhase.Ready));
        cached(withStatus(session("a", "two").toService("pg", 5432).build(), SessionPhase.Ready));
        cached(withStatus(session("b", "three").toService("pg", 5432).build(), SessionPhase.Provisioning));
        TunnelSession shell = session("b", "shell").build();
        shell.getSpec().setMode(SessionMode.Shell);
        cached(withStatus(shell, SessionPhase.Ready));
        cached(session("c", "new").toService("pg", 5432).build()); // no status yet: Pending

        assertEquals(2.0, sessions(SessionPhase.Ready, SessionMode.Tunnel));
        assertEquals(1.0, sessions(SessionPhase.Ready, SessionMode.Shell));
        assertEquals(1.0, sessions(SessionPhase.Provisioning, SessionMode.Tunnel));
        assertEquals(1.0, sessions(SessionPhase.Pending, SessionMode.Tunnel));
        assertEquals(0.0, sessions(SessionPhase.Expired, SessionMode.Tunnel));

        cache.remove(0); // deleted: it leaves the cache, and the gauge
        assertEquals(1.0, sessions(SessionPhase.Ready, SessionMode.Tunnel));
    }

    @Test
    void aDenialCountsOnceByTheRuleItBreaksAndAsAnEndWithReasonDenied() {
        TunnelSession session = cached(session("team-a", "far").toHost("db.example.com", 5432).build());
        TunnelSessionStatus denied = status(SessionPhase.Denied, "Denied", EndReason.Denied);
        transitions.observe(session, new TunnelSessionStatus(), denied, DenialReason.Target);
        transitions.observe(session, new TunnelSessionStatus(), denied, DenialReason.Target);

        assertEquals(1.0, registry.get("tunnel.operator.session.denials").tag("reason", "Target").counter().count());
        assertEquals(0.0, registry.get("tunnel.operator.session.denials").tag("reason", "Ttl").counter().count());
        assertEquals(1.0, ended(EndReason.Denied));
        assertEquals(List.of("TunnelSession team-a/far: Denied, reason Denied: message of Denied"), lines.messages);
    }

    @Test
    void aLiveSessionDeletedEndsOnceWithReasonDeletedEvenWhenItsCleanupRuns() {
        TunnelSession session = cached(session("team-a", "gone").toService("postgres", 5432).build());
        transitions.deleted(session);
        transitions.deleted(session); // cleanup retried: its finalizer could not be removed the first time
        assertEquals(1.0, ended(EndReason.Deleted));
        assertEquals(List.of("TunnelSession team-a/gone: Ended, reason Deleted: the session was deleted; its sshd, "
                + "Service, Secret and NetworkPolicy are removed"), lines.messages);
        assertEquals("Ended", lines.fields.get(0).get("phase"));
    }

    @Test
    void anSshdThatCannotStartIsALineOncePerEpisodeThoughThePhaseStaysProvisioning() {
        TunnelSession session = cached(session("team-a", "pull").toService("postgres", 5432).build());
        TunnelSessionStatus starting = status(SessionPhase.Provisioning, "SshdStarting", null);
        TunnelSessionStatus stuck = status(SessionPhase.Provisioning, TunnelSessionReconciler.SSHD_CANNOT_START, null);
        transitions.observe(session, new TunnelSessionStatus(), starting, null);
        transitions.observe(session, starting, stuck, null);
        transitions.observe(session, starting, stuck, null); // repeated
        transitions.observe(session, stuck, starting, null); // the image came; no line
        transitions.observe(session, starting, stuck, null); // a second episode: a line again
        assertEquals(3, lines.messages.size(), lines.messages.toString());
        assertEquals(List.of("Provisioning", "Provisioning", "Provisioning"),
                lines.fields.stream().map(f -> f.get("phase")).toList());
        assertEquals(TunnelSessionReconciler.SSHD_CANNOT_START, lines.fields.get(2).get("reason"));
    }

    @Test
    void aNewInstanceOnARegistryThatOutlivedTheOldOneCountsItsOwnCache() {
        cached(withStatus(session("a", "old").toService("pg", 5432).build(), SessionPhase.Ready));
        assertEquals(1.0, sessions(SessionPhase.Ready, SessionMode.Tunnel));
        // as when Quarkus restarts the application in the same JVM and the global registry stays
        SessionTransitions restarted = new SessionTransitions(registry, clock);
        List<TunnelSession> newCache = new CopyOnWriteArrayList<>();
        restarted.countFrom(newCache::stream);
        assertEquals(0.0, sessions(SessionPhase.Ready, SessionMode.Tunnel), "not the old instance's cache");
        newCache.add(withStatus(session("a", "new").toService("pg", 5432).build(), SessionPhase.Ready));
        newCache.add(withStatus(session("a", "new2").toService("pg", 5432).build(), SessionPhase.Ready));
        assertEquals(2.0, sessions(SessionPhase.Ready, SessionMode.Tunnel));
    }

    @Test
    void aScrapeCountsTheCacheOnceForAllPhasesAndModesAndTheNextScrapeCountsAgain() {
        java.util.concurrent.atomic.AtomicInteger cacheReads = new java.util.concurrent.atomic.AtomicInteger();
        transitions.countFrom(() -> {
            cacheReads.incrementAndGet();
            return cache.stream();
        });
        cached(withStatus(session("a", "one").toService("pg", 5432).build(), SessionPhase.Ready));
        TunnelSession shell = session("a", "shell").build();
        shell.getSpec().setMode(SessionMode.Shell);
        cached(withStatus(shell, SessionPhase.Provisioning));

        var gauges = registry.find("tunnel.operator.sessions").gauges();
        assertEquals(SessionPhase.values().length * SessionMode.values().length, gauges.size());
        double total = gauges.stream().mapToDouble(io.micrometer.core.instrument.Gauge::value).sum();
        assertEquals(2.0, total);
        assertEquals(1, cacheReads.get(), "one scrape, one read of the cache");

        cached(withStatus(session("a", "two").toService("pg", 5432).build(), SessionPhase.Ready));
        assertEquals(2.0, sessions(SessionPhase.Ready, SessionMode.Tunnel), "the next scrape sees the change");
        assertEquals(2, cacheReads.get());
        assertEquals(1.0, sessions(SessionPhase.Provisioning, SessionMode.Shell));
    }

    @Test
    void aPassFromAStaleCopyOfTheStatusIsMeasuredFromWhatWasObservedSoNoPhaseChangeIsAnnouncedTwice() {
        TunnelSession session = cached(session("team-a", "stale").toService("postgres", 5432).build());
        TunnelSessionStatus none = new TunnelSessionStatus();
        TunnelSessionStatus provisioning = status(SessionPhase.Provisioning, "WaitingForEndpoint", null);
        TunnelSessionStatus starting = status(SessionPhase.Provisioning, "SshdStarting", null);

        SessionTransitions.Change first = transitions.observe(session, none, provisioning, null);
        assertTrue(first.phaseChanged(provisioning));
        assertNull(first.phaseBefore());
        // the next pass started before the cache had the first pass's status: it saw no phase, but one was observed
        SessionTransitions.Change fromStale = transitions.observe(session, none, starting, null);
        assertTrue(fromStale.news(), "a new Ready reason is news");
        assertEquals(SessionPhase.Provisioning, fromStale.phaseBefore());
        assertEquals("WaitingForEndpoint", fromStale.reasonBefore());
        assertFalse(fromStale.phaseChanged(starting), "the phase is the one already announced");
        assertFalse(transitions.observe(session, none, starting, null).news(), "the same pass again");
    }

    @Test
    void reconcileErrorsAreCounted() {
        transitions.reconcileFailed();
        transitions.reconcileFailed();
        assertEquals(2.0, registry.get("tunnel.operator.reconcile.errors").counter().count());
    }

    // ---- helpers

    @Test
    void whatIsRememberedOfDeletedSessionsStaysBoundedByTheLiveOnesWithoutReadingTheCacheAtEachTransition() {
        java.util.concurrent.atomic.AtomicInteger cacheReads = new java.util.concurrent.atomic.AtomicInteger();
        transitions.countFrom(() -> {
            cacheReads.incrementAndGet();
            return cache.stream();
        });
        TunnelSessionStatus none = new TunnelSessionStatus();
        TunnelSessionStatus provisioning = status(SessionPhase.Provisioning, "WaitingForEndpoint", null);
        for (int i = 0; i < 10 * SessionTransitions.PRUNE_FLOOR; i++) {
            TunnelSession session = cached(session("team-a", "s" + i).toService("postgres", 5432).build());
            transitions.observe(session, none, provisioning, null);
            if (i % 10 != 0) {
                cache.remove(session); // deleted: it leaves the controller's cache
            }
        }
        int live = cache.size();
        assertEquals(SessionTransitions.PRUNE_FLOOR, live);
        assertTrue(transitions.remembered() <= 2 * live + 1 && transitions.remembered() >= live,
                "remembered " + transitions.remembered() + " for " + live + " live sessions");
        // pruning reads the whole cache: amortized, a few times for 2560 transitions, not at each
        assertTrue(cacheReads.get() <= 20, cacheReads.get() + " reads of the cache");
    }

    private TunnelSession cached(TunnelSession session) {
        session.getMetadata().setUid(UUID.randomUUID().toString());
        session.getMetadata().setGeneration(1L);
        session.getMetadata().setCreationTimestamp(CREATED.toString());
        cache.add(session);
        return session;
    }

    private static TunnelSession withStatus(TunnelSession session, SessionPhase phase) {
        session.setStatus(status(phase, "Any", null));
        return session;
    }

    private static TunnelSessionStatus status(SessionPhase phase, String reason, EndReason end) {
        TunnelSessionStatus status = new TunnelSessionStatus();
        status.setPhase(phase);
        status.setEndReason(end);
        status.setConditions(new ArrayList<>(ReadyCondition.set(null, phase == SessionPhase.Ready, reason,
                "message of " + reason, 1L, CREATED.truncatedTo(ChronoUnit.SECONDS))));
        return status;
    }

    private io.micrometer.core.instrument.Timer timeToReady() {
        return registry.get("tunnel.operator.session.time.to.ready").timer();
    }

    private double ended(EndReason reason) {
        return registry.get("tunnel.operator.sessions.ended").tag("reason", reason.name()).counter().count();
    }

    private double sessions(SessionPhase phase, SessionMode mode) {
        return registry.get("tunnel.operator.sessions").tag("phase", phase.name()).tag("mode", mode.name()).gauge().value();
    }
}
