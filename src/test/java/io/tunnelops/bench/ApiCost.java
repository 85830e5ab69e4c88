package io.tunnelops.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

import io.tunnelops.cluster.AuditLog;

/** Requests one client made, from the API server's audit log: how many of each verb on each resource. */
final class ApiCost {

    static final Set<String> WRITES = Set.of("create", "update", "patch", "delete", "deletecollection");

    private final Map<String, Long> byVerbAndResource;

    ApiCost(Map<String, Long> byVerbAndResource) {
        this.byVerbAndResource = byVerbAndResource;
    }

    /** The completed requests of the client with this User-Agent that pass {@code filter}. */
    static ApiCost of(Path auditLog, String userAgent, Predicate<AuditLog.Request> filter) throws IOException {
        Map<String, Long> counts = new TreeMap<>();
        AuditLog.read(auditLog, null, request -> {
            if (request.userAgent().equals(userAgent) && filter.test(request)) {
                String what = request.key() == null ? request.uri() : request.key();
                counts.merge(request.verb() + " " + what, 1L, Long::sum);
            }
        });
        return new ApiCost(counts);
    }

    /**
     * What sessions cost: requests on objects in these namespaces, and on named cluster-scoped objects (the Node a
     * NodePort session's endpoint is read from); not the operator's Lease, nor its cluster-wide lists and watches.
     */
    static Predicate<AuditLog.Request> forSessionsIn(Set<String> namespaces) {
        return request -> namespaces.contains(request.namespace())
                || request.namespace().isEmpty() && !request.name().isEmpty();
    }

    /** "verb group/resource[/subresource]" to the number of requests. */
    Map<String, Long> counts() {
        return byVerbAndResource;
    }

    long total() {
        return byVerbAndResource.values().stream().mapToLong(Long::longValue).sum();
    }

    long writes() {
        return byVerbAndResource.entrySet().stream().filter(e -> WRITES.contains(e.getKey().split(" ")[0]))
                .mapToLong(Map.Entry::getValue).sum();
    }
}
