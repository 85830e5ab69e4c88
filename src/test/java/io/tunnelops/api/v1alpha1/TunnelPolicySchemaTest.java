package io.tunnelops.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.tunnelops.testing.SchemaCases.tunnelPolicy;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.tunnelops.testing.CrdAdmission;
import io.tunnelops.testing.SchemaCases.Accepted;
import io.tunnelops.testing.SchemaCases.Rejected;

/** What the API server accepts as a TunnelPolicy, asked of the committed CRD (tables: {@link io.tunnelops.testing.SchemaCases}). */
class TunnelPolicySchemaTest {

    private static final CrdAdmission ADMISSION = CrdAdmission.forCrdFile("tunnelpolicies.tunnelops.io-v1.yml");

    @Test
    void everyRuleCompiles() {
        assertEquals(List.of(), ADMISSION.celRules().stream().filter(r -> !r.compiles()).map(CrdAdmission.CelRule::rule).toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.tunnelops.testing.SchemaCases#policyAccepted")
    void admits(Accepted policy) {
        var result = ADMISSION.admit(tunnelPolicy(policy.spec()));
        assertEquals(List.of(), result.violations());
        assertEquals(List.of(), result.warnings(), "the case itself has a typo: unknown fields are pruned");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.tunnelops.testing.SchemaCases#policyRejected")
    void refuses(Rejected policy) {
        var result = ADMISSION.admit(tunnelPolicy(policy.spec()));
        assertFalse(result.allowed(), policy.name());
        assertTrue(result.violations().stream().anyMatch(v -> v.contains(policy.expected())), result.violations().toString());
        assertEquals(List.of(), result.warnings(), "the case itself has a typo: unknown fields are pruned");
    }
}
