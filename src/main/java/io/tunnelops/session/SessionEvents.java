package io.tunnelops.session;

import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

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
 */
@ApplicationScoped
public class SessionEvents {

    private static final Logger LOG = Logger.getLogger(SessionEvents.class);
    static final String COMPONENT = "tunnel-operator";

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
        try {
            client.v1().events().inNamespace(meta.getNamespace()).resource(event).create();
        } catch (KubernetesClientException e) {
            // an event is worth a try, never a failed reconcile
            LOG.debugf("could not record event %s on %s/%s: %s", reason, meta.getNamespace(), meta.getName(), e.getMessage());
        }
    }
}
