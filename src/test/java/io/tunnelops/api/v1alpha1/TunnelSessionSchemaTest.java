package io.tunnelops.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.tunnelops.testing.SchemaCases.TO_POSTGRES;
import static io.tunnelops.testing.SchemaCases.tunnelSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.tunnelops.testing.CrdAdmission;
import io.tunnelops.testing.CrdAdmission.AdmissionResult;
import io.tunnelops.testing.CrdAdmission.CelRule;
import io.tunnelops.testing.SchemaCases;
import io.tunnelops.testing.SchemaCases.Accepted;
import io.tunnelops.testing.SchemaCases.Rejected;

/**
 * What the API server accepts as a TunnelSession, asked of the CRD the build generates (the committed copy in
 * deploy/crds): the mock server the operator tests run against accepts anything, so this is where the schema's
 * patterns, enums, bounds and CEL rules are pinned down. The tables are {@link SchemaCases}, which RealAdmissionIT
 * also sends to a real API server.
 */
class TunnelSessionSchemaTest {

    private static final CrdAdmission ADMISSION = CrdAdmission.tunnelSessions();

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.tunnelops.testing.SchemaCases#sessionRejected")
    void refuses(Rejected session) {
        AdmissionResult result = ADMISSION.admit(tunnelSession(session.spec()));

        assertFalse(result.allowed(), session.name() + " was admitted");
        assertTrue(result.violations().stream().anyMatch(v -> v.contains(session.expected())),
                () -> session.name() + ": expected a violation containing \"" + session.expected() + "\", got:\n  "
                        + String.join("\n  ", result.violations()));
        assertEquals(List.of(), result.warnings(), "the case itself has a typo: unknown fields are pruned");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.tunnelops.testing.SchemaCases#sessionAccepted")
    void admits(Accepted session) {
        AdmissionResult result = ADMISSION.admit(tunnelSession(session.spec()));

        assertEquals(List.of(), result.violations(), session.name());
        assertEquals(List.of(), result.warnings(), "the case itself has a typo: unknown fields are pruned");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.tunnelops.testing.SchemaCases#sessionKnownSchemaGaps")
    void knownSchemaGapsAreStillAdmitted(Accepted session) {
        AdmissionResult result = ADMISSION.admit(tunnelSession(session.spec()));

        assertTrue(result.allowed(), () -> "the schema now refuses \"" + session.name()
                + "\": move it from SchemaCases.sessionKnownSchemaGaps() to sessionRejected(). Violations: " + result.violations());
    }

    @Test
    void everyCelRuleCompilesAgainstTheTypeOfItsNode() {
        List<CelRule> rules = ADMISSION.celRules();

        assertFalse(rules.isEmpty(), "the CRD has no x-kubernetes-validations rules");
        assertEquals(List.of(), rules.stream().filter(rule -> !rule.compiles())
                .map(rule -> rule.path() + ": " + rule.rule() + " -> " + rule.compileError().orElseThrow()).toList());
    }

    @Test
    void everyCelRuleRejectsAtLeastOneCaseOfTheTable() {
        List<String> allViolations = SchemaCases.sessionRejected().stream()
                .flatMap(session -> ADMISSION.admit(tunnelSession(session.spec())).violations().stream())
                .toList();

        List<String> neverFailing = ADMISSION.celRules().stream()
                .filter(rule -> allViolations.stream().noneMatch(v -> v.endsWith(": " + rule.message())))
                .map(rule -> rule.path() + ": " + rule.message())
                .toList();
        assertEquals(List.of(), neverFailing, "rules that no rejected case exercises");
    }

    @Test
    void aTypoInARuleFailsToCompileAsTheApiServerWouldRefuseTheCrd(@TempDir Path dir) throws IOException {
        Path crd = committedCrd();
        String typo = Files.readString(crd).replace("has(self.service) != has(self.host)", "has(self.servce) != has(self.host)");
        Path broken = Files.writeString(dir.resolve(crd.getFileName()), typo);

        List<CelRule> failing = CrdAdmission.forCrd(broken).celRules().stream().filter(rule -> !rule.compiles()).toList();

        assertEquals(1, failing.size(), () -> "expected exactly the typo to fail: " + failing);
        assertTrue(failing.get(0).compileError().orElseThrow().contains("undefined field 'servce'"),
                failing.get(0).compileError().orElseThrow());
    }

    /** Whole messages as kube-apiserver 1.34.12 gave them (RealAdmissionIT compares every case of the tables). */
    @Test
    void messagesAreWordedAsTheApiServerWordsThem() {
        assertEquals(List.of("<nil>: Invalid value: \"object\": spec is required"),
                ADMISSION.admit(tunnelSession(null)).violations(), "a rule on the root: its path prints as <nil>");
        assertEquals(List.of("spec.idleTimeout: Invalid value: \"integer\": spec.idleTimeout in body must be of type "
                + "string: \"integer\"", CrdAdmission.RULES_NOT_CHECKED),
                ADMISSION.admit(tunnelSession(TO_POSTGRES + "\nidleTimeout: 10")).violations(),
                "after a blocking schema error no rule runs");
        assertEquals(List.of("spec.ttl: Invalid value: \"1d\": spec.ttl in body should match "
                + "'^([0-9]{1,3}h)?([0-9]{1,4}m)?([0-9]{1,5}s)?$'", "spec.ttl: Invalid value: \"string\": type conversion "
                + "error from 'string' to 'google.protobuf.Duration' evaluating rule: ttl must be a duration between 1m and "
                + "24h, such as 30m or 2h"), ADMISSION.admit(tunnelSession(TO_POSTGRES + "\nttl: 1d")).violations(),
                "a pattern does not block the rules; a rule that fails to evaluate says so");
        assertEquals(List.of("spec.target.ports: Invalid value: 0: spec.target.ports in body should have at least 1 items"),
                ADMISSION.admit(tunnelSession("target: {service: pg, ports: []}")).violations(),
                "minItems gives the count as the value");
    }

    @Test
    void metadataNameMustBeADnsSubdomain() {
        String session = tunnelSession(TO_POSTGRES).replace("name: pg-debug", "name: PG_debug");

        assertTrue(ADMISSION.admit(session).violations().stream()
                .anyMatch(v -> v.startsWith("metadata.name: Invalid value: \"PG_debug\"")));
    }

    @Test
    void unknownFieldsArePrunedWithAWarning() {
        AdmissionResult result = ADMISSION.admit(tunnelSession(TO_POSTGRES + "\nttlSeconds: 60"));

        assertTrue(result.allowed(), () -> String.valueOf(result.violations()));
        assertEquals(List.of("unknown field \"spec.ttlSeconds\""), result.warnings());
    }

    @Test
    void statusIsIgnoredOnCreateBecauseOfTheStatusSubresource() {
        String withStatus = tunnelSession(TO_POSTGRES) + "status: {phase: NotAPhase}\n";

        assertTrue(ADMISSION.admit(withStatus).allowed());
    }

    private static Path committedCrd() {
        return Path.of("deploy", "crds", "tunnelsessions.tunnelops.io-v1.yml");
    }
}
