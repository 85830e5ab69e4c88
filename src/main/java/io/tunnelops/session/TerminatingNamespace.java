package io.tunnelops.session;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.fabric8.kubernetes.api.model.StatusCause;
import io.tunnelops.api.v1alpha1.TunnelSession;

/**
 * The API server's refusal to create anything in a namespace that is being deleted, and the sessions that met it.
 * Such a namespace never comes back and its content is being deleted: its sessions are not provisioned again, not
 * retried and their status is left alone, until the namespace controller deletes them (their cleanup then runs as
 * usual). Sessions are remembered by UID, so a namespace re-created under the same name starts afresh.
 */
final class TerminatingNamespace {

    /** The StatusCause type of that refusal (metav1.NamespaceTerminatingCause; a cause's type is its JSON "reason"). */
    static final String CAUSE = "NamespaceTerminating";

    private final Set<String> sessions = ConcurrentHashMap.newKeySet();

    /**
     * Whether this failure is that refusal: a 403 whose Status names the cause, in the failure's causes or among the
     * failures a workflow aggregated (its dependents run in parallel, each may fail on its own).
     */
    static boolean refused(Throwable failure) {
        return KubernetesFailures.anyAnswer(failure, k -> k.getCode() == 403 && k.getStatus() != null
                && k.getStatus().getDetails() != null && k.getStatus().getDetails().getCauses() != null
                && k.getStatus().getDetails().getCauses().stream().map(StatusCause::getReason).anyMatch(CAUSE::equals));
    }

    void remember(TunnelSession session) {
        sessions.add(session.getMetadata().getUid());
    }

    /** Whether the session's namespace was seen terminating. */
    boolean holds(TunnelSession session) {
        return sessions.contains(session.getMetadata().getUid());
    }

    /** Forgets a deleted session; whether its namespace was seen terminating. */
    boolean forget(TunnelSession session) {
        return sessions.remove(session.getMetadata().getUid());
    }
}
