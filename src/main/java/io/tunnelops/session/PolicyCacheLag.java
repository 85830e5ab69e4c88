package io.tunnelops.session;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.tunnelops.api.v1alpha1.TunnelPolicy;

/**
 * Whether the operator's cache of a namespace's TunnelPolicies is behind the API server. Policies and sessions come
 * through separate watches, so a session applied together with its policy can be reconciled before the policy reaches
 * the cache. A denial is final, so it is given only from a cache that holds what the API server holds.
 */
final class PolicyCacheLag {

    private PolicyCacheLag() {
    }

    /** Whether the API server's policies (uid and resourceVersion of each) differ from the cached ones. */
    static boolean behind(List<TunnelPolicy> cached, List<TunnelPolicy> live) {
        return !versions(cached).equals(versions(live));
    }

    private static Map<String, String> versions(List<TunnelPolicy> policies) {
        return policies.stream().collect(Collectors.toMap(p -> p.getMetadata().getUid(),
                p -> String.valueOf(p.getMetadata().getResourceVersion()), (a, b) -> b));
    }
}
