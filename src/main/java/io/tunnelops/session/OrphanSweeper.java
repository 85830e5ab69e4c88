package io.tunnelops.session;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.operator.Leadership;
import io.tunnelops.operator.WatchedNamespaces;
import io.tunnelops.session.resources.SessionLabels;

/**
 * Removes what carries our labels but whose session is gone (or is another session of the same name): covers clusters
 * where garbage collection lags and objects an older operator version left. Runs at start and then periodically, in
 * the leader only, over the watched namespaces only.
 */
@ApplicationScoped
public class OrphanSweeper {

    private static final Logger LOG = Logger.getLogger(OrphanSweeper.class);
    private static final List<Class<? extends HasMetadata>> OWNED = List.of(Deployment.class, Service.class,
            NetworkPolicy.class, Secret.class);

    @Inject
    KubernetesClient client;

    @Inject
    OperatorSettings settings;

    @Inject
    Leadership leadership;

    @Inject
    WatchedNamespaces watched;

    private ScheduledExecutorService timer;

    void onStart(@Observes StartupEvent event) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "orphan-sweeper");
            thread.setDaemon(true);
            return thread;
        });
        long interval = settings.orphanSweepInterval().toMillis();
        timer.scheduleWithFixedDelay(this::sweepQuietly, 0, interval, TimeUnit.MILLISECONDS);
        leadership.whenLeading(() -> timer.execute(this::sweepQuietly)); // a new leader sweeps at once
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void sweepQuietly() {
        if (!leadership.isLeader()) {
            return; // a standby's caches and view may be stale: only the leader deletes anything
        }
        try {
            sweep();
        } catch (KubernetesClientException e) {
            LOG.warnf("orphan sweep failed, will retry: %s", e.getMessage());
        }
    }

    /** @return how many orphans were deleted */
    public int sweep() {
        // Owned objects first, sessions second: an object's session was created before it, so it is in the list.
        Map<Class<? extends HasMetadata>, List<? extends HasMetadata>> owned = new HashMap<>();
        for (Class<? extends HasMetadata> type : OWNED) {
            owned.put(type, watched.list(type, SessionLabels.MANAGED_BY, SessionLabels.OPERATOR));
        }
        Map<String, String> sessionUids = new HashMap<>();
        watched.list(TunnelSession.class, null, null).forEach(s -> sessionUids.put(
                s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s.getMetadata().getUid()));
        int deleted = 0;
        for (var objects : owned.values()) {
            for (HasMetadata object : objects) {
                if (isOrphan(object, sessionUids)) {
                    LOG.infof("deleting orphaned %s %s/%s: its TunnelSession no longer exists", object.getKind(),
                            object.getMetadata().getNamespace(), object.getMetadata().getName());
                    client.resource(object).delete();
                    deleted++;
                }
            }
        }
        return deleted;
    }

    private static boolean isOrphan(HasMetadata object, Map<String, String> sessionUids) {
        String session = object.getMetadata().getLabels().get(SessionLabels.SESSION);
        if (session == null) {
            return false; // not one of a session's objects
        }
        String uid = sessionUids.get(object.getMetadata().getNamespace() + "/" + session);
        if (uid == null) {
            return true;
        }
        List<OwnerReference> owners = object.getMetadata().getOwnerReferences();
        return owners != null && owners.stream().filter(o -> "TunnelSession".equals(o.getKind()))
                .anyMatch(o -> !uid.equals(o.getUid()));
    }
}
