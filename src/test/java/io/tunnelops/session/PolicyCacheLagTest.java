package io.tunnelops.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.tunnelops.api.v1alpha1.TunnelPolicy;

class PolicyCacheLagTest {

    @Test
    void aCacheThatHoldsWhatTheApiServerHoldsIsNotBehindInAnyOrder() {
        assertFalse(PolicyCacheLag.behind(List.of(), List.of()));
        assertFalse(PolicyCacheLag.behind(List.of(policy("a", "1"), policy("b", "7")), List.of(policy("b", "7"), policy("a", "1"))));
    }

    @Test
    void aPolicyNotCachedYetAnEditNotCachedYetOrADeletionNotCachedYetIsLag() {
        assertTrue(PolicyCacheLag.behind(List.of(), List.of(policy("a", "1"))), "created with the session");
        assertTrue(PolicyCacheLag.behind(List.of(policy("a", "1")), List.of(policy("a", "2"))), "widened since");
        assertTrue(PolicyCacheLag.behind(List.of(policy("a", "1"), policy("b", "3")), List.of(policy("a", "1"))),
                "deleted since");
    }

    private static TunnelPolicy policy(String uid, String resourceVersion) {
        TunnelPolicy policy = new TunnelPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("p-" + uid).withUid(uid).withResourceVersion(resourceVersion)
                .build());
        return policy;
    }
}
