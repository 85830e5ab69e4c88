package io.tunnelops.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.tunnelops.testing.CrdAdmission;

/** What the API server accepts as a TunnelPolicy, asked of the committed CRD. */
class TunnelPolicySchemaTest {

    private static final CrdAdmission ADMISSION = CrdAdmission.forCrdFile("tunnelpolicies.tunnelops.io-v1.yml");

    private static String policy(String spec) {
        return """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelPolicy
                metadata: {name: p, namespace: team-a}
                spec:
                """ + spec.indent(2);
    }

    @Test
    void everyRuleCompilesAndAFullPolicyIsAdmitted() {
        assertEquals(List.of(), ADMISSION.celRules().stream().filter(r -> !r.compiles()).map(CrdAdmission.CelRule::rule).toList());
        var result = ADMISSION.admit(policy("""
                targets:
                  - {services: [postgres], ports: [5432]}
                  - {serviceLabels: {tier: cache}, ports: [6379]}
                  - {hosts: ["*.db.corp.example", db.internal], cidrs: [10.20.0.0/16], ports: [5432, 3306]}
                modes: [Tunnel]
                maxTtl: 4h
                maxIdleTimeout: 30m
                allowedExpose: [ClusterIP, LoadBalancer]
                requireSourceRanges: true
                """));
        assertEquals(List.of(), result.violations());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "targets: [{services: [pg], ports: [0]}]                | should be greater than or equal to 1",
            "targets: [{services: [pg]}]                            | Required value",
            "targets: [{services: [Pg], ports: [1]}]                | should match",
            "targets: [{hosts: ['db internal'], ports: [1]}]        | should match",
            "targets: [{hosts: ['*'], ports: [1]}]                  | should match",
            "targets: [{hosts: ['0177.0.0.1'], ports: [1]}]         | each host must be an IPv4 address in dotted decimal",
            "targets: [{hosts: [db.internal, '0x7f.1'], ports: [1]}] | each host must be an IPv4 address in dotted decimal",
            "targets: [{hosts: ['*.0.0.1'], ports: [1]}]            | each host must be an IPv4 address in dotted decimal",
            "targets: [{cidrs: ['010.0.0.0/8'], ports: [1]}]        | should match",
            "targets: [{cidrs: ['10.0.0.0/33'], ports: [1]}]        | should match",
            "targets: [{cidrs: ['2001:db8::/32'], ports: [1]}]      | should match",
            "maxTtl: 25h                                            | maxTtl must be a duration between 1m and 24h",
            "maxTtl: 1d                                             | should match",
            "maxIdleTimeout: 1s                                     | maxIdleTimeout must be a duration between 5s and 24h",
            "allowedExpose: [Public]                                | Unsupported value",
            "modes: [Root]                                          | Unsupported value" })
    void refuses(String spec, String expected) {
        var result = ADMISSION.admit(policy(spec));
        assertFalse(result.allowed(), spec);
        assertTrue(result.violations().stream().anyMatch(v -> v.contains(expected)), result.violations().toString());
    }
}
