package io.tunnelops.session.resources;

import java.util.Map;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.tunnelops.api.v1alpha1.TunnelSession;

/** Label keys, annotation names and object names shared by everything a session owns. */
public final class SessionLabels {

    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String OPERATOR = "tunnel-operator";
    public static final String SESSION = "tunnelops.io/session";
    public static final String COMPONENT = "app.kubernetes.io/component";
    public static final String SSHD = "sshd";
    /** Selects only what this operator owns: the informers of owned resources watch nothing else. */
    public static final String OWNED_SELECTOR = MANAGED_BY + "=" + OPERATOR;
    /** Everything else: what users own. */
    public static final String NOT_OWNED_SELECTOR = MANAGED_BY + "!=" + OPERATOR;
    /** Hash of what the sshd reads at start; a change rolls the pod. */
    public static final String CONFIG_HASH = "tunnelops.io/config-hash";

    private SessionLabels() {
    }

    public static Map<String, String> of(TunnelSession session) {
        return Map.of(MANAGED_BY, OPERATOR, SESSION, session.getMetadata().getName(), COMPONENT, SSHD);
    }

    /** Labels that pick the session's sshd pod (Service and NetworkPolicy selectors). */
    public static Map<String, String> sshdPodSelector(TunnelSession session) {
        return Map.of(SESSION, session.getMetadata().getName(), COMPONENT, SSHD);
    }

    public static String sshdName(TunnelSession session) {
        return session.getMetadata().getName() + "-sshd";
    }

    public static String secretName(TunnelSession session) {
        return session.getMetadata().getName() + "-ssh";
    }

    static ObjectMeta metadata(TunnelSession session, String name) {
        return new ObjectMetaBuilder().withName(name).withNamespace(session.getMetadata().getNamespace())
                .withLabels(of(session)).build();
    }
}
