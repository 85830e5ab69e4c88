package io.tunnelops.session;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.resources.SshdService;

/**
 * Deletes what a session owns when it ends, touching the API server only for objects that exist. The sshd's
 * Deployment goes first, since it ends access; the Service, Secret and NetworkPolicy then go at once rather than one
 * after another, so an end (an expiry shared by many sessions above all) costs two round trips, not four.
 */
final class OwnedResourceRemoval {

    /**
     * Threads for the concurrent deletes, gone when idle. Few: when all are busy (a storm of ends on a saturated API
     * server, where more requests in flight would not end sessions sooner) the reconcile thread deletes by itself.
     */
    private static final ExecutorService DELETES = new ThreadPoolExecutor(0, 8, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), new DaemonThreads(), new ThreadPoolExecutor.CallerRunsPolicy());

    private OwnedResourceRemoval() {
    }

    static void removeAll(Context<TunnelSession> context) {
        var client = context.getClient();
        context.getSecondaryResources(Deployment.class).forEach(r -> client.resource(r).delete());
        List<HasMetadata> rest = new ArrayList<>();
        context.getSecondaryResource(Service.class, SshdService.NAME).ifPresent(rest::add);
        rest.addAll(context.getSecondaryResources(Secret.class));
        rest.addAll(context.getSecondaryResources(NetworkPolicy.class));
        if (rest.size() == 1) {
            client.resource(rest.get(0)).delete();
            return;
        }
        // join() rethrows the first failure: the pass fails and is retried, as a failed delete in this thread would
        CompletableFuture.allOf(rest.stream()
                .map(r -> CompletableFuture.runAsync(() -> client.resource(r).delete(), DELETES))
                .toArray(CompletableFuture[]::new)).join();
    }

    private static final class DaemonThreads implements java.util.concurrent.ThreadFactory {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable task) {
            Thread thread = new Thread(task, "owned-resource-delete-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }
    }
}
