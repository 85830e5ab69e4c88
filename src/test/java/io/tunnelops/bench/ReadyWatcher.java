package io.tunnelops.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.ReadyCondition;

/**
 * Watches the sessions of one run as a user's {@code kubectl wait} would, and notes when each first shows
 * {@code Ready=True}: by this machine's clock (milliseconds, from just before the create request), and by the API's
 * own timestamps ({@code creationTimestamp} to the Ready condition's {@code lastTransitionTime}, whole seconds).
 */
final class ReadyWatcher implements AutoCloseable {

    /** One session from its create request to the first Ready=True seen. */
    record Readiness(long createdMillis, long readySeenMillis, Instant creationTimestamp, Instant readyTransition) {

        long clientMillis() {
            return readySeenMillis - createdMillis;
        }

        long apiSeconds() {
            return Duration.between(creationTimestamp, readyTransition).toSeconds();
        }
    }

    private final Map<String, Long> created = new ConcurrentHashMap<>();
    private final Map<String, Readiness> ready = new ConcurrentHashMap<>();
    private final Map<String, TunnelSession> last = new ConcurrentHashMap<>();
    private final SharedIndexInformer<TunnelSession> informer;

    ReadyWatcher(KubernetesClient admin, String run) {
        informer = admin.resources(TunnelSession.class).inAnyNamespace().withLabel(SessionMix.RUN_LABEL, run)
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(TunnelSession session) {
                        seen(session);
                    }

                    @Override
                    public void onUpdate(TunnelSession before, TunnelSession session) {
                        seen(session);
                    }

                    @Override
                    public void onDelete(TunnelSession session, boolean deletedFinalStateUnknown) {
                        // a run's sessions are deleted only after it is measured
                    }
                });
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
                        Instant.parse(c.getLastTransitionTime()))));
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
        return List.copyOf(ready.values());
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
    }
}
