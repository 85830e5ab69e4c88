package io.tunnelops.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.ShellApps;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelPolicySpec;
import io.tunnelops.testing.TestClock;

/**
 * What a policy's status says (`kubectl get tp`): the entries it refuses, with their exact place, and a summary of
 * what it allows. The reconciler reads no API, so it runs here without one.
 */
class PolicyStatusTest {

    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00.400Z");

    // --- PolicyProblems

    @Test
    void eachRefusedEntryIsNamedByItsPlaceAndWhy() {
        PolicyTarget first = rule(List.of("db.example", "0177.0.0.1"), List.of("10.0.0.0/8", "010.0.0.0/8"));
        PolicyTarget second = rule(List.of("*.0.0.1"), List.of("2001:db8::/32", "10.0.0.0/33"));
        assertEquals(List.of(
                "spec.targets[0].hosts[1] 0177.0.0.1 is 127.0.0.1 written in octal; resolvers read it as that address. "
                        + "Write an address in dotted decimal (127.0.0.1) or use a DNS name",
                "spec.targets[0].cidrs[1] 010.0.0.0/8 has 010.0.0.0, which is 8.0.0.0 written in octal; write the address "
                        + "in dotted decimal (an IPv4 range such as 10.20.0.0/16)",
                "spec.targets[1].hosts[0] *.0.0.1 ends in a number, so it could only match addresses; list the address "
                        + "itself or a range in cidrs",
                "spec.targets[1].cidrs[0] 2001:db8::/32 is not an IPv4 range (an IPv4 range such as 10.20.0.0/16)",
                "spec.targets[1].cidrs[1] 10.0.0.0/33 is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32 (an IPv4 "
                        + "range such as 10.20.0.0/16)"),
                PolicyProblems.of(spec(first, second)));
    }

    @Test
    void aPolicyWithoutEntriesHasNoProblems() {
        assertEquals(List.of(), PolicyProblems.of(null));
        TunnelPolicySpec noTargets = new TunnelPolicySpec();
        noTargets.setTargets(null);
        assertEquals(List.of(), PolicyProblems.of(noTargets));
        PolicyTarget nulls = rule(null, null);
        assertEquals(List.of(), PolicyProblems.of(spec(nulls)));
        assertEquals(List.of(), PolicyProblems.of(spec(rule(List.of("*.corp.example", "10.0.0.5"), List.of("0.0.0.0/0")))));
    }

    // --- the summary

    @Test
    void theSummaryListsEachRuleItsPortsTheExposuresAndTheShells() {
        PolicyTarget services = rule(List.of("*.corp.example"), List.of("10.0.0.0/8"));
        services.setServices(List.of("postgres", "mysql"));
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("team", "a");
        labels.put("kind", "db");
        services.setServiceLabels(labels);
        services.setPorts(List.of(5432, 3306));
        PolicyTarget noPorts = rule(List.of("cache.example"), null);
        noPorts.setPorts(null);
        TunnelPolicySpec spec = spec(services, noPorts);
        spec.setAllowedExpose(List.of(Expose.NodePort, Expose.LoadBalancer));
        assertEquals("svc/postgres,svc/mysql,svc{team=a,kind=db},*.corp.example,10.0.0.0/8:5432,3306 cache.example: "
                + "via NodePort,LoadBalancer", TunnelPolicyReconciler.summary(policy(spec)));

        spec.setModes(List.of(SessionMode.Tunnel, SessionMode.Shell));
        ShellApps apps = new ShellApps();
        apps.setDeployments(List.of("app01", "app02"));
        apps.setDeploymentLabels(labels);
        spec.setShellApps(apps);
        spec.setAllowedExpose(null);
        assertEquals("svc/postgres,svc/mysql,svc{team=a,kind=db},*.corp.example,10.0.0.0/8:5432,3306 cache.example: "
                + "via ClusterIP; shells in toolbox,deploy/app01,deploy/app02,deploy{team=a,kind=db}",
                TunnelPolicyReconciler.summary(policy(spec)));
    }

    @Test
    void aPolicyThatAllowsNoTargetSaysNothingOrOnlyItsShells() {
        assertEquals("nothing", TunnelPolicyReconciler.summary(policy(null)));
        TunnelPolicySpec spec = new TunnelPolicySpec();
        assertEquals("nothing", TunnelPolicyReconciler.summary(policy(spec)));
        spec.setTargets(null);
        spec.setModes(List.of(SessionMode.Tunnel));
        assertEquals("nothing", TunnelPolicyReconciler.summary(policy(spec)));
        spec.setModes(List.of(SessionMode.Shell));
        assertEquals("shells in toolbox", TunnelPolicyReconciler.summary(policy(spec)));
        ShellApps empty = new ShellApps();
        empty.setDeployments(null);
        empty.setDeploymentLabels(Map.of());
        spec.setShellApps(empty);
        assertEquals("shells in toolbox", TunnelPolicyReconciler.summary(policy(spec)));
        spec.setAllowedExpose(List.of());
        spec.setTargets(List.of(rule(List.of("db.example"), null)));
        spec.getTargets().get(0).setServiceLabels(Map.of());
        spec.getTargets().get(0).setServices(null);
        spec.getTargets().get(0).setPorts(List.of(5432));
        assertEquals("db.example:5432 via ClusterIP; shells in toolbox", TunnelPolicyReconciler.summary(policy(spec)));
    }

    @Test
    void theSummaryIsCutAt200Characters() {
        // "svc/" + name + ":1 via ClusterIP" is the name's length + 20
        assertEquals("svc/" + "a".repeat(180) + ":1 via ClusterIP", TunnelPolicyReconciler.summary(policy(spec(service("a".repeat(180))))));
        assertEquals("svc/" + "a".repeat(181) + ":1 via Clust...", TunnelPolicyReconciler.summary(policy(spec(service("a".repeat(181))))));
    }

    // --- the reconciler

    @Test
    void aValidPolicyIsAcceptedAndSummarizedOnceThenLeftAlone() {
        TunnelPolicyReconciler reconciler = reconciler();
        TunnelPolicy policy = policy(spec(service("postgres")));

        UpdateControl<TunnelPolicy> first = reconciler.reconcile(policy, null);
        assertTrue(first.isPatchStatus());
        assertSame(policy, first.getResource().orElseThrow());
        assertEquals("svc/postgres:1 via ClusterIP", policy.getStatus().getSummary());
        assertEquals(3L, policy.getStatus().getObservedGeneration());
        Condition accepted = policy.getStatus().getConditions().get(0);
        assertEquals(List.of("Accepted", "True", "Valid", "every host and range is valid", 3L, "2026-03-01T10:00:00Z"),
                List.of(accepted.getType(), accepted.getStatus(), accepted.getReason(), accepted.getMessage(),
                        accepted.getObservedGeneration(), accepted.getLastTransitionTime()));
        assertEquals(1, policy.getStatus().getConditions().size());

        assertTrue(reconciler.reconcile(policy, null).isNoUpdate(), "no change, no write");
    }

    @Test
    void aRefusedPolicySaysSoInItsSummaryAndCondition() {
        PolicyTarget typo = rule(List.of("0x7f.1"), List.of());
        TunnelPolicy policy = policy(spec(typo));
        String problem = "spec.targets[0].hosts[0] 0x7f.1 is 127.0.0.1 written in hexadecimal and in shorthand (2 parts "
                + "instead of 4); resolvers read it as that address. Write an address in dotted decimal (127.0.0.1) or use "
                + "a DNS name";

        assertTrue(reconciler().reconcile(policy, null).isPatchStatus());
        assertEquals(("refused: " + problem).substring(0, 197) + "...", policy.getStatus().getSummary());
        Condition accepted = policy.getStatus().getConditions().get(0);
        assertEquals(List.of("Accepted", "False", "InvalidEntries", "this policy allows nothing until fixed: " + problem),
                List.of(accepted.getType(), accepted.getStatus(), accepted.getReason(), accepted.getMessage()));

        PolicyTarget shortTypo = rule(List.of("a.1"), List.of());
        TunnelPolicy shortOne = policy(spec(shortTypo));
        reconciler().reconcile(shortOne, null);
        assertEquals("refused: spec.targets[0].hosts[0] a.1 ends in a number (1), so resolvers may read it as an address; "
                + "a host must be an IPv4 address in dotted decimal or a DNS name whose last label is not a number",
                shortOne.getStatus().getSummary());
    }

    @Test
    void aRefusalIsCutAt200CharactersToo() {
        String refusal = "refused: spec.targets[0].hosts[0] aaaaaa.1 ends in a number (1), so resolvers may read it as an "
                + "address; a host must be an IPv4 address in dotted decimal or a DNS name whose last label is not a number";
        assertEquals(200, refusal.length());
        TunnelPolicy fits = policy(spec(rule(List.of("aaaaaa.1"), List.of())));
        reconciler().reconcile(fits, null);
        assertEquals(refusal, fits.getStatus().getSummary());
        TunnelPolicy over = policy(spec(rule(List.of("aaaaaaa.1"), List.of())));
        reconciler().reconcile(over, null);
        assertEquals(refusal.replace("aaaaaa.1", "aaaaaaa.1").substring(0, 197) + "...", over.getStatus().getSummary());
    }

    private static TunnelPolicyReconciler reconciler() {
        TunnelPolicyReconciler reconciler = new TunnelPolicyReconciler();
        reconciler.clock = new TestClock(NOW);
        return reconciler;
    }

    private static TunnelPolicy policy(TunnelPolicySpec spec) {
        TunnelPolicy policy = new TunnelPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withNamespace("team-a").withName("p").withGeneration(3L).build());
        policy.setSpec(spec);
        return policy;
    }

    private static TunnelPolicySpec spec(PolicyTarget... rules) {
        TunnelPolicySpec spec = new TunnelPolicySpec();
        spec.setTargets(List.of(rules));
        return spec;
    }

    private static PolicyTarget rule(List<String> hosts, List<String> cidrs) {
        PolicyTarget rule = new PolicyTarget();
        rule.setHosts(hosts);
        rule.setCidrs(cidrs);
        return rule;
    }

    private static PolicyTarget service(String name) {
        PolicyTarget rule = new PolicyTarget();
        rule.setServices(List.of(name));
        rule.setPorts(List.of(1));
        return rule;
    }
}
