package io.tunnelops.operator;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.quarkus.runtime.ShutdownEvent;

/**
 * Which of the operator's replicas acts. JOSDK starts the controllers only in the instance holding the Lease; work
 * outside the controllers (the orphan sweep) asks {@link #isLeader()} first, so a standby never touches the cluster.
 */
@ApplicationScoped
public class Leadership {

    private static final Logger LOG = Logger.getLogger(Leadership.class);

    @Inject
    LeaderElectionSettings settings;

    @Inject
    KubernetesClient client;

    private final AtomicBoolean leading = new AtomicBoolean();
    private volatile String leaseNamespace;
    private volatile String identity;
    private volatile boolean stopping;
    private final List<Runnable> onLeading = new CopyOnWriteArrayList<>();

    /** True in the instance that holds the Lease, and always when leader election is off. */
    public boolean isLeader() {
        return !settings.enabled() || leading.get();
    }

    /** Runs the task (quickly, on the election's thread) each time this instance becomes the leader. */
    public void whenLeading(Runnable task) {
        onLeading.add(task);
    }

    public boolean electionEnabled() {
        return settings.enabled();
    }

    /** Before the SDK stops the controllers: the Lease given up from now on is released, not lost. */
    void stopping(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        stopping = true;
    }

    /**
     * A leader that stops gracefully (a rolling update, a drain) hands the Lease over at once instead of making its
     * successor wait out the lease duration; JOSDK does not release it. Called when the controllers have stopped.
     */
    private void releaseLease() {
        try {
            Lease lease = client.leases().inNamespace(leaseNamespace).withName(settings.leaseName()).get();
            if (lease != null && identity.equals(lease.getSpec().getHolderIdentity())) {
                lease.getSpec().setHolderIdentity(null);
                client.resource(lease).update(); // optimistic: refused if another instance took it meanwhile
                LOG.infof("leader election: %s released the Lease", identity);
            }
        } catch (KubernetesClientException e) {
            LOG.warnf("leader election: the Lease was not released (%s); a successor waits for it to expire", e.getMessage());
        }
    }

    /** In a pod, the pod's name: who leads is then plain in the Lease. */
    private static String hostName() {
        String name = System.getenv("HOSTNAME");
        if (name != null && !name.isBlank()) {
            return name;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "tunnel-operator";
        }
    }

    /** A leader that could not renew must stop acting at once: exit, and come back as a standby. */
    private void lost() {
        LOG.errorf("leader election: %s lost the Lease, exiting", identity);
        System.exit(1);
    }

    /** Read by the Quarkus Operator SDK at start; null turns leader election off. */
    @Produces
    @Dependent
    LeaderElectionConfiguration leaderElectionConfiguration() {
        if (!settings.enabled()) {
            LOG.info("leader election is off: this instance acts alone");
            return null;
        }
        // the client's namespace: in a pod, the ServiceAccount's (the chart's namespace); else KUBERNETES_NAMESPACE
        String namespace = settings.leaseNamespace()
                .orElseGet(() -> Optional.ofNullable(client.getConfiguration().getNamespace()).orElse("default"));
        leaseNamespace = namespace;
        String identity = settings.identity().orElseGet(() -> hostName() + "-" + UUID.randomUUID().toString().substring(0, 8));
        this.identity = identity;
        LOG.infof("leader election: Lease %s/%s, this instance is %s", namespace, settings.leaseName(), identity);
        LeaderCallbacks callbacks = new LeaderCallbacks(() -> {
            leading.set(true);
            LOG.infof("leader election: %s leads, starting the controllers", identity);
            onLeading.forEach(Runnable::run);
        }, () -> {
            leading.set(false);
            if (stopping) {
                releaseLease();
            } else {
                lost();
            }
        }, leader -> LOG.infof("leader election: the leader is %s", leader));
        // not JOSDK's exit on stop leading: it would exit during a graceful stop too, before the release
        return new LeaderElectionConfiguration(settings.leaseName(), namespace, settings.leaseDuration(),
                settings.renewDeadline(), settings.retryPeriod(), identity, callbacks, false);
    }
}
