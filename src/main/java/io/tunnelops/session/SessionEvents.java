package io.tunnelops.session;

import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.tunnelops.api.v1alpha1.TunnelSession;

/**
 * Kubernetes Events on a TunnelSession, for `kubectl describe` and audit: emitted only on transitions, so a
 * reconcile that changes nothing emits nothing. Messages never carry secret material.
 * <p>
 * Recorded in the background, in order, on one thread: an event is worth a try, but never a round trip in the
 * reconcile that made the transition (the status write a user waits for would come after it). A backlog beyond
 * {@value #BACKLOG} events, which only a storm of transitions on a saturated API server builds, is dropped.
 */
@ApplicationScoped
public class SessionEvents {

    private static final Logger LOG = Logger.getLogger(SessionEvents.class);
    static final String COMPONENT = "tunnel-operator";
    static final int BACKLOG = 10_000;

    private final ThreadPoolExecutor recorder = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(BACKLOG), task -> {
                Thread thread = new Thread(task, "session-events");
                thread.setDaemon(true);
                return thread;
            }, (task, executor) -> LOG.debug("event backlog full: an event was dropped"));

    @Inject
    KubernetesClient client;

    @Inject
    Clock clock;

    public void normal(TunnelSession session, String reason, String message) {
        emit(session, "Normal", reason, message);
    }

    public void warning(TunnelSession session, String reason, String message) {
        emit(session, "Warning", reason, message);
    }

    private void emit(TunnelSession session, String type, String reason, String message) {
        String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
        var meta = session.getMetadata();
        var event = new EventBuilder()
                .withNewMetadata().withNamespace(meta.getNamespace())
                .withName(meta.getName() + "." + UUID.randomUUID().toString().substring(0, 8)).endMetadata()
                .withNewInvolvedObject().withApiVersion(session.getApiVersion()).withKind(session.getKind())
                .withName(meta.getName()).withNamespace(meta.getNamespace()).withUid(meta.getUid())
                .withResourceVersion(meta.getResourceVersion()).endInvolvedObject()
                .withType(type).withReason(reason).withMessage(message)
                .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                .withNewSource().withComponent(COMPONENT).endSource()
                .build();
        recorder.execute(() -> {
            try {
                client.v1().events().inNamespace(meta.getNamespace()).resource(event).create();
            } catch (KubernetesClientException e) {
                LOG.debugf("could not record event %s on %s/%s: %s", reason, meta.getNamespace(), meta.getName(),
                        e.getMessage());
            }
        });
    }

    /** Events of the last transitions still get their chance when the operator stops. */
    @PreDestroy
    void flush() throws InterruptedException {
        recorder.shutdown();
        recorder.awaitTermination(2, TimeUnit.SECONDS);
    }
}
