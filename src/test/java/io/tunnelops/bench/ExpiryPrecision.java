package io.tunnelops.bench;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;

/**
 * Every session of a run made to expire in the same second, as a user would by changing {@code spec.ttl}: each gets
 * the ttl that takes its {@code creationTimestamp} (whole seconds) exactly to one instant. A watcher notes when each
 * first shows phase Expired; lateness is that moment minus {@code status.expiresAt}, this machine's clock, which is also
 * the API server's and the operator's. A session seen Expired before its expiresAt, or with an endedAt before it,
 * ended early.
 */
final class ExpiryPrecision {

    /** What one size's expiry gave. */
    record Result(Instant expiresAt, Duration setUp, Percentiles latenessMillis, long early, long otherEnds) {

        @Override
        public String toString() {
            return "all at " + expiresAt + ": lateness " + latenessMillis + " ms, ended early " + early
                    + (otherEnds == 0 ? "" : ", ended otherwise " + otherEnds);
        }
    }

    /** A session as first seen ended: when (this machine's clock, ms), and its status. */
    record Seen(long millis, Instant expiresAt, Instant endedAt, SessionPhase phase) {
    }

    private ExpiryPrecision() {
    }

    /**
     * @param sessions the run's sessions, all live
     * @param margin   time to change every ttl before the common expiry
     */
    static Result measure(KubernetesClient admin, KubernetesClient users, String run, List<TunnelSession> sessions,
            int concurrency, Duration margin) throws Exception {
        Map<String, Seen> ended = new ConcurrentHashMap<>();
        SharedIndexInformer<TunnelSession> informer = admin.resources(TunnelSession.class).inAnyNamespace()
                .withLabel(SessionMix.RUN_LABEL, run).inform(new EachStateSeen<>(session -> seen(session, ended)));
        try {
            Instant expiresAt = Instant.now().plus(margin).truncatedTo(ChronoUnit.SECONDS);
            long began = System.nanoTime();
            setTtls(users, sessions, expiresAt, concurrency);
            Duration setUp = Duration.ofNanos(System.nanoTime() - began);
            if (Instant.now().isAfter(expiresAt.minusSeconds(5))) {
                throw new IllegalStateException("changing " + sessions.size() + " ttls took " + setUp
                        + ": too close to the common expiry; give a larger margin");
            }
            long deadline = System.nanoTime() + Duration.between(Instant.now(), expiresAt).plusMinutes(10).toNanos();
            while (ended.size() < sessions.size()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + ended.size() + " of " + sessions.size()
                            + " sessions ended 10 min after their common expiry");
                }
                Thread.sleep(100);
            }
            return summarize(expiresAt, setUp, ended.values());
        } finally {
            informer.stop();
        }
    }

    static Result summarize(Instant expiresAt, Duration setUp, java.util.Collection<Seen> ends) {
        List<Long> lateness = new ArrayList<>();
        long early = 0;
        long other = 0;
        for (Seen s : ends) {
            if (s.phase() != SessionPhase.Expired) {
                other++;
                continue;
            }
            long late = s.millis() - s.expiresAt().toEpochMilli();
            lateness.add(late);
            if (late < 0 || (s.endedAt() != null && s.endedAt().isBefore(s.expiresAt()))) {
                early++;
            }
        }
        return new Result(expiresAt, setUp, Percentiles.of(lateness), early, other);
    }

    private static void seen(TunnelSession session, Map<String, Seen> ended) {
        long now = System.currentTimeMillis();
        var status = session.getStatus();
        if (status == null || status.getEndedAt() == null || status.getExpiresAt() == null) {
            return;
        }
        ended.putIfAbsent(session.getMetadata().getNamespace() + "/" + session.getMetadata().getName(),
                new Seen(now, Instant.parse(status.getExpiresAt()), Instant.parse(status.getEndedAt()), status.getPhase()));
    }

    /** One merge patch per session: the ttl from its creation to the common expiry, in seconds. */
    private static void setTtls(KubernetesClient users, List<TunnelSession> sessions, Instant expiresAt, int concurrency)
            throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(concurrency);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (TunnelSession session : sessions) {
                long ttl = Duration.between(Instant.parse(session.getMetadata().getCreationTimestamp()), expiresAt)
                        .toSeconds();
                done.add(threads.submit(() -> users.resources(TunnelSession.class)
                        .inNamespace(session.getMetadata().getNamespace()).withName(session.getMetadata().getName())
                        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"ttl\":\"" + ttl + "s\"}}")));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
