package io.tunnelops.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.ReadyCondition;
import io.tunnelops.session.resources.SessionLabels;

/**
 * Watches the sessions of one run as a user's {@code kubectl wait} would, and notes when each first shows
 * {@code Ready=True}: by this machine's clock (milliseconds, from just before the create request), and by the API's
 * own timestamps ({@code creationTimestamp} to the Ready condition's {@code lastTransitionTime}, whole seconds).
 * It also watches the sessions' sshd Deployments, to split that time into the operator's part and Kubernetes' part.
 */
final class ReadyWatcher implements AutoCloseable {

    /**
     * One session from its create request to the first Ready=True seen; between them, when its sshd Deployment was
     * first seen and first seen with an available replica (-1 if never seen).
     */
    record Readiness(long createdMillis, long readySeenMillis, Instant creationTimestamp, Instant readyTransition,
            long sshdSeenMillis, long sshdAvailableMillis) {

        long clientMillis() {
            return readySeenMillis - createdMillis;
        }

        /**
         * The operator's part: from the create to its sshd Deployment (the finalizer, the Service, the Secret and the
         * Deployment written), and from that Deployment's first available replica to Ready in the status.
         */
        long operatorMillis() {
            return (sshdSeenMillis - createdMillis) + (readySeenMillis - sshdAvailableMillis);
        }

        /** Kubernetes' part: the Deployment's, ReplicaSet's and scheduler's controllers, and the node. */
        long kubernetesMillis() {
            return sshdAvailableMillis - sshdSeenMillis;
        }

        boolean split() {
            return sshdSeenMillis >= 0 && sshdAvailableMillis >= sshdSeenMillis;
        }

        long apiSeconds() {
            return Duration.between(creationTimestamp, readyTransition).toSeconds();
        }
    }

    private final Map<String, Long> created = new ConcurrentHashMap<>();
    private final Map<String, Readiness> ready = new ConcurrentHashMap<>();
    private final Map<String, TunnelSession> last = new ConcurrentHashMap<>();
    private final Map<String, Long> sshdSeen = new ConcurrentHashMap<>();
    private final Map<String, Long> sshdAvailable = new ConcurrentHashMap<>();
    private final SharedIndexInformer<TunnelSession> informer;
    private final SharedIndexInformer<Deployment> deployments;

    ReadyWatcher(KubernetesClient admin, String run) {
        informer = admin.resources(TunnelSession.class).inAnyNamespace().withLabel(SessionMix.RUN_LABEL, run)
                .inform(new EachStateSeen<>(this::seen));
        deployments = admin.apps().deployments().inAnyNamespace()
                .withLabel(SessionLabels.MANAGED_BY, SessionLabels.OPERATOR).inform(new EachStateSeen<>(this::seen));
    }

    private void seen(Deployment sshd) {
        long now = System.currentTimeMillis();
        String session = sshd.getMetadata().getLabels().get(SessionLabels.SESSION);
        if (session == null) {
            return;
        }
        String key = sshd.getMetadata().getNamespace() + "/" + session;
        sshdSeen.putIfAbsent(key, now);
        Integer available = sshd.getStatus() == null ? null : sshd.getStatus().getAvailableReplicas();
        if (available != null && available > 0) {
            sshdAvailable.putIfAbsent(key, now);
        }
    }

    /** Called just before the session's create request. */
    void creating(TunnelSession session) {
        created.put(key(session), System.currentTimeMillis());
    }

    private void seen(TunnelSession session) {
        long now = System.currentTimeMillis();
        String key = key(session);
        last.put(key, session);
        if (ready.containsKey(key) || session.getStatus() == null) {
            return;
        }
        ReadyCondition.find(session.getStatus().getConditions()).filter(c -> "True".equals(c.getStatus()))
                .ifPresent(c -> ready.put(key, new Readiness(created.getOrDefault(key, now), now,
                        Instant.parse(session.getMetadata().getCreationTimestamp()),
                        Instant.parse(c.getLastTransitionTime()), -1, -1)));
    }

    /**
     * Waits until {@code count} sessions have been seen Ready; on timeout, fails with how many are in which phase and
     * the Ready condition of a few that are not Ready.
     */
    List<Readiness> awaitReady(int count, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (ready.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + ready.size() + " of " + count + " sessions Ready after " + atMost
                        + "; phases: " + phases() + "; not Ready, for example: " + notReady(5));
            }
            Thread.sleep(100);
        }
        // the Deployment's watch may deliver after the session's: its times are joined in at the end
        return ready.entrySet().stream().map(e -> {
            Readiness r = e.getValue();
            return new Readiness(r.createdMillis(), r.readySeenMillis(), r.creationTimestamp(), r.readyTransition(),
                    sshdSeen.getOrDefault(e.getKey(), -1L), sshdAvailable.getOrDefault(e.getKey(), -1L));
        }).toList();
    }

    private Map<String, Long> phases() {
        return last.values().stream().collect(Collectors.groupingBy(s -> s.getStatus() == null
                || s.getStatus().getPhase() == null ? "(none)" : s.getStatus().getPhase().name(), TreeMap::new,
                Collectors.counting()));
    }

    private String notReady(int examples) {
        return last.entrySet().stream().filter(e -> !ready.containsKey(e.getKey())).limit(examples)
                .map(e -> e.getKey() + " " + (e.getValue().getStatus() == null ? "no status"
                        : ReadyCondition.find(e.getValue().getStatus().getConditions())
                                .map(ReadyWatcher::describe).orElse("no Ready condition")))
                .collect(Collectors.joining("; "));
    }

    private static String describe(Condition c) {
        return c.getStatus() + " " + c.getReason() + ": " + c.getMessage();
    }

    private static String key(TunnelSession session) {
        return session.getMetadata().getNamespace() + "/" + session.getMetadata().getName();
    }

    @Override
    public void close() {
        informer.stop();
        deployments.stop();
    }
}
