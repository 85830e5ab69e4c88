package io.tunnelops.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.ShellApps;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelPolicySpec;

/**
 * Default deny and what policies allow, decided without a cluster: each rule at its exact edge (a ttl equal to the
 * maximum, a host equal to a suffix), and the exact sentence a denied user reads.
 */
class PolicyEvaluatorTest {

    private static final Duration OPERATOR_MAX = Duration.ofHours(8);
    private static final Duration HOUR = Duration.ofHours(1);
    private static final String NO_POLICY = "namespace team-a has no TunnelPolicy, so only its own Services, exposed as "
            + "ClusterIP, are allowed: ";

    // --- without a policy

    @Test
    void withoutAPolicyAServiceAsClusterIpUpToTheOperatorsMaximumIsAllowed() {
        PolicyDecision allowed = evaluate(List.of(), service("postgres", 5432).ttl(OPERATOR_MAX).build());
        assertTrue(allowed.allowed());
        assertEquals("default", allowed.policy());
        assertEquals("allowed by default", allowed.message());
        assertNull(allowed.allowedBy());
        assertNull(allowed.denialReason());
    }

    @Test
    void withoutAPolicyEverythingElseIsDeniedAndEachMissingPieceIsNamed() {
        assertDenied(DenialReason.Ttl, NO_POLICY + "ttl 28801s exceeds the operator's maximum 8h (a TunnelPolicy's "
                + "spec.maxTtl can allow up to 24h)",
                evaluate(List.of(), service("postgres", 5432).ttl(OPERATOR_MAX.plusSeconds(1)).build()));
        assertDenied(DenialReason.Expose, NO_POLICY + "expose NodePort needs a TunnelPolicy listing it in spec.allowedExpose",
                evaluate(List.of(), service("postgres", 5432).expose(Expose.NodePort, "203.0.113.0/24").build()));
        assertDenied(DenialReason.Mode, NO_POLICY + "mode Shell needs a TunnelPolicy listing it in spec.modes",
                evaluate(List.of(), toolbox()));
        assertDenied(DenialReason.Mode, NO_POLICY + "mode Shell needs a TunnelPolicy listing it in spec.modes and "
                + "Deployment app01 in spec.shellApps", evaluate(List.of(), shellIn("app01", Map.of())));
        // all of them at once: the first is the reason, every one is in the message
        assertDenied(DenialReason.Target, NO_POLICY + "host db.example needs a TunnelPolicy in namespace team-a listing it "
                + "in spec.targets[].hosts (or a range holding it in spec.targets[].cidrs) with ports 5432,5433; expose "
                + "LoadBalancer needs a TunnelPolicy listing it in spec.allowedExpose; ttl 9h exceeds the operator's "
                + "maximum 8h (a TunnelPolicy's spec.maxTtl can allow up to 24h)",
                evaluate(List.of(), host("db.example", 5432, 5433).expose(Expose.LoadBalancer).ttl(Duration.ofHours(9))
                        .build()));
    }

    // --- which policy decides

    @Test
    void theFirstAllowingPolicyByNameAllowsAndIsNamed() {
        TunnelPolicySpec first = allowService("postgres", 5432);
        TunnelPolicy b = policy("b-databases", allowService("postgres", 5432));
        TunnelPolicy a = policy("a-databases", first);
        PolicyDecision allowed = evaluate(List.of(b, a), service("postgres", 5432).build());
        assertTrue(allowed.allowed());
        assertEquals("TunnelPolicy a-databases", allowed.policy());
        assertEquals("allowed by TunnelPolicy a-databases", allowed.message());
        assertSame(first, allowed.allowedBy());
    }

    @Test
    void oneAllowingPolicyIsEnoughWhateverTheOthersSay() {
        PolicyDecision allowed = evaluate(List.of(policy("a", allowService("redis", 6379)),
                policy("b", allowService("postgres", 5432))), service("postgres", 5432).build());
        assertEquals("allowed by TunnelPolicy b", allowed.message());
    }

    @Test
    void whenNonePolicyAllowsTheClosestOneSaysWhatIsMissing() {
        TunnelPolicySpec farther = allowService("redis", 6379);
        farther.setMaxTtl("30m");
        TunnelPolicySpec closer = allowService("postgres", 5432);
        PolicyDecision denied = evaluate(List.of(policy("a-far", farther), policy("b-close", closer)),
                service("postgres", 6543).build());
        assertDenied(DenialReason.Port, "no TunnelPolicy in namespace team-a allows this session; the closest, b-close, "
                + "says: port 6543 of Service postgres is not allowed; add to spec.targets[].ports of the rule that lists it",
                denied);
        // with a tie, the first by name
        assertEquals("no TunnelPolicy in namespace team-a allows this session; the closest, a, says: Service postgres is "
                + "not an allowed target; add it to spec.targets[].services (or serviceLabels) with ports 5432",
                evaluate(List.of(policy("b", allowService("redis", 6379)), policy("a", allowService("mysql", 3306))),
                        service("postgres", 5432).build()).message());
    }

    @Test
    void aDenialByTheOnlyPolicyNamesItAndListsEveryBrokenRule() {
        TunnelPolicySpec spec = allowService("redis", 6379);
        spec.setMaxTtl("30m");
        spec.setMaxIdleTimeout("10m");
        assertDenied(DenialReason.Target, "denied by TunnelPolicy cache: Service postgres is not an allowed target; add "
                + "it to spec.targets[].services (or serviceLabels) with ports 5432; ttl 1h exceeds spec.maxTtl 30m; "
                + "spec.idleTimeout is required, at most 10m (spec.maxIdleTimeout); expose NodePort is not allowed; add it "
                + "to spec.allowedExpose; a session exposed as NodePort must list spec.access.sourceRanges "
                + "(spec.requireSourceRanges)",
                evaluate(List.of(policy("cache", spec)), service("postgres", 5432).expose(Expose.NodePort).build()));
    }

    @Test
    void aPolicyWithoutSpecOrWithARefusedEntryAllowsNothing() {
        TunnelPolicy empty = policy("empty", null);
        assertDenied(DenialReason.InvalidPolicy, "denied by TunnelPolicy empty: the policy has no spec",
                evaluate(List.of(empty), service("postgres", 5432).build()));

        TunnelPolicySpec typo = allowService("postgres", 5432);
        typo.getTargets().get(0).setHosts(List.of("0177.0.0.1"));
        assertDenied(DenialReason.InvalidPolicy, "denied by TunnelPolicy typo: the policy is refused and allows nothing "
                + "until fixed: spec.targets[0].hosts[0] 0177.0.0.1 is 127.0.0.1 written in octal; resolvers read it as "
                + "that address. Write an address in dotted decimal (127.0.0.1) or use a DNS name",
                evaluate(List.of(policy("typo", typo)), service("postgres", 5432).build()));
    }

    // --- modes and shells

    @Test
    void aPolicyWithoutModesAllowsTunnelsOnly() {
        TunnelPolicySpec spec = allowService("postgres", 5432);
        spec.setModes(null);
        assertTrue(evaluate(List.of(policy("p", spec)), service("postgres", 5432).build()).allowed());
        assertDenied(DenialReason.Mode, "denied by TunnelPolicy p: mode Shell is not allowed; add it to spec.modes",
                evaluate(List.of(policy("p", spec)), toolbox()));
        spec.setModes(List.of());
        assertDenied(DenialReason.Mode, "denied by TunnelPolicy p: mode Shell is not allowed; add it to spec.modes",
                evaluate(List.of(policy("p", spec)), toolbox()));
        spec.setModes(List.of(SessionMode.Shell));
        assertDenied(DenialReason.Mode, "denied by TunnelPolicy p: mode Tunnel is not allowed; add it to spec.modes",
                evaluate(List.of(policy("p", spec)), service("postgres", 5432).build()));
    }

    @Test
    void aShellInAnAppNeedsTheAppByNameOrByAllItsLabels() {
        TunnelPolicySpec spec = shells();
        spec.getShellApps().setDeployments(List.of("app01"));
        spec.getShellApps().setDeploymentLabels(Map.of("team", "a", "tier", "web"));
        TunnelPolicy policy = policy("shells", spec);

        assertTrue(evaluate(List.of(policy), toolbox()).allowed(), "the toolbox copies no app");
        assertTrue(evaluate(List.of(policy), shellIn("app01", Map.of())).allowed());
        assertTrue(evaluate(List.of(policy), shellIn("app02", Map.of("team", "a", "tier", "web", "x", "y"))).allowed());
        String notAllowed = "denied by TunnelPolicy shells: a shell in Deployment app02 is not allowed; add it to "
                + "spec.shellApps.deployments (or match its labels with spec.shellApps.deploymentLabels)";
        assertDenied(DenialReason.ShellApp, notAllowed, evaluate(List.of(policy), shellIn("app02", Map.of("team", "a"))));
        assertDenied(DenialReason.ShellApp, notAllowed, evaluate(List.of(policy), shellIn("app02", null)));
    }

    @Test
    void noShellAppsOrEmptyLabelsAllowNoApp() {
        TunnelPolicySpec spec = shells();
        spec.setShellApps(null);
        assertTrue(evaluate(List.of(policy("p", spec)), toolbox()).allowed());
        assertEquals(DenialReason.ShellApp, evaluate(List.of(policy("p", spec)), shellIn("app01", Map.of())).denialReason());

        ShellApps noLists = new ShellApps();
        noLists.setDeployments(null);
        noLists.setDeploymentLabels(null);
        spec.setShellApps(noLists);
        assertEquals(DenialReason.ShellApp, evaluate(List.of(policy("p", spec)), shellIn("app01", Map.of())).denialReason());

        // an empty selector would select every app: it selects none
        ShellApps emptyLabels = new ShellApps();
        emptyLabels.setDeploymentLabels(Map.of());
        spec.setShellApps(emptyLabels);
        assertEquals(DenialReason.ShellApp,
                evaluate(List.of(policy("p", spec)), shellIn("app01", Map.of("team", "a"))).denialReason());
    }

    @Test
    void anyAllowsTellsWhetherSomeValidPolicyListsTheMode() {
        TunnelPolicySpec shellSpec = shells();
        assertTrue(PolicyEvaluator.anyAllows(List.of(policy("s", shellSpec)), SessionMode.Shell));
        assertFalse(PolicyEvaluator.anyAllows(List.of(policy("t", allowService("postgres", 5432))), SessionMode.Shell));
        assertFalse(PolicyEvaluator.anyAllows(List.of(policy("n", null)), SessionMode.Shell));
        TunnelPolicySpec noModes = shells();
        noModes.setModes(null);
        assertFalse(PolicyEvaluator.anyAllows(List.of(policy("m", noModes)), SessionMode.Shell));
        TunnelPolicySpec refused = shells();
        PolicyTarget bad = new PolicyTarget();
        bad.setCidrs(List.of("10.0.0.0/33"));
        refused.setTargets(List.of(bad));
        assertFalse(PolicyEvaluator.anyAllows(List.of(policy("r", refused)), SessionMode.Shell), "a refused policy allows nothing");
        assertTrue(PolicyEvaluator.anyAllows(List.of(policy("r", refused), policy("s", shellSpec)), SessionMode.Shell));
        assertFalse(PolicyEvaluator.anyAllows(List.of(), SessionMode.Tunnel));
    }

    // --- targets and ports

    @Test
    void aServiceIsAllowedByNameOrByAllItsLabels() {
        PolicyTarget byLabels = new PolicyTarget();
        byLabels.setServiceLabels(Map.of("team", "a", "kind", "db"));
        byLabels.setPorts(List.of(5432));
        TunnelPolicy policy = policy("p", spec(byLabels));
        assertTrue(evaluate(List.of(policy), service("postgres", 5432).labels(Map.of("team", "a", "kind", "db", "x", "y"))
                .build()).allowed());
        assertEquals(DenialReason.Target, evaluate(List.of(policy), service("postgres", 5432).labels(Map.of("team", "a"))
                .build()).denialReason());
        assertEquals(DenialReason.Target, evaluate(List.of(policy), service("postgres", 5432).labels(null).build())
                .denialReason());

        byLabels.setServiceLabels(Map.of());
        assertEquals(DenialReason.Target, evaluate(List.of(policy), service("postgres", 5432).labels(Map.of("team", "a"))
                .build()).denialReason(), "an empty selector selects no Service");
        byLabels.setServiceLabels(null);
        byLabels.setServices(null);
        assertEquals(DenialReason.Target, evaluate(List.of(policy), service("postgres", 5432).build()).denialReason());
    }

    @Test
    void aHostIsAllowedExactlyOrByASuffixThatIsNotTheWholeHost() {
        PolicyTarget rule = new PolicyTarget();
        rule.setHosts(List.of("*.Corp.example", "db.other.example"));
        rule.setPorts(List.of(5432));
        TunnelPolicy policy = policy("p", spec(rule));
        assertTrue(evaluate(List.of(policy), host("pg.corp.example", 5432).build()).allowed());
        assertTrue(evaluate(List.of(policy), host("PG.CORP.EXAMPLE", 5432).build()).allowed());
        assertTrue(evaluate(List.of(policy), host("DB.other.example", 5432).build()).allowed());
        assertDenied(DenialReason.Target, "denied by TunnelPolicy p: host corp.example is not an allowed target; add it to "
                + "spec.targets[].hosts (or cidrs) with ports 5432", evaluate(List.of(policy), host("corp.example", 5432).build()));
        assertEquals(DenialReason.Target, evaluate(List.of(policy), host(".corp.example", 5432).build()).denialReason(),
                "the suffix alone is not a host under it");
        assertEquals(DenialReason.Target, evaluate(List.of(policy), host("pgcorp.example", 5432).build()).denialReason());
        assertEquals(DenialReason.Target, evaluate(List.of(policy), host("x.db.other.example", 5432).build()).denialReason());
        rule.setHosts(null);
        assertEquals(DenialReason.Target, evaluate(List.of(policy), host("pg.corp.example", 5432).build()).denialReason());
    }

    @Test
    void anAddressIsAllowedByARangeHoldingIt() {
        PolicyTarget rule = new PolicyTarget();
        rule.setCidrs(List.of("10.20.0.0/16"));
        rule.setPorts(List.of(5432));
        TunnelPolicy policy = policy("p", spec(rule));
        assertTrue(evaluate(List.of(policy), host("10.20.255.255", 5432).build()).allowed());
        assertEquals(DenialReason.Target, evaluate(List.of(policy), host("10.21.0.0", 5432).build()).denialReason());
        assertEquals(DenialReason.Target, evaluate(List.of(policy), host("db.example", 5432).build()).denialReason());
        rule.setCidrs(null);
        assertEquals(DenialReason.Target, evaluate(List.of(policy), host("10.20.0.1", 5432).build()).denialReason());
    }

    @Test
    void everyPortMustBeInOneRuleThatListsTheTarget() {
        PolicyTarget first = rule("postgres", 5432);
        PolicyTarget second = rule("postgres", 5433);
        TunnelPolicy split = policy("p", spec(first, second));
        assertTrue(evaluate(List.of(split), service("postgres", 5433).build()).allowed());
        // each port is in some rule, but no rule has both
        assertDenied(DenialReason.Port, "denied by TunnelPolicy p: ports 5432,5433 of Service postgres are not allowed; "
                + "add to spec.targets[].ports of the rule that lists it",
                evaluate(List.of(split), service("postgres", 5432, 5433).build()));
        assertDenied(DenialReason.Port, "denied by TunnelPolicy p: ports 6000,6001 of Service postgres are not allowed; "
                + "add to spec.targets[].ports of the rule that lists it",
                evaluate(List.of(split), service("postgres", 5432, 6000, 6001).build()));
        assertDenied(DenialReason.Port, "denied by TunnelPolicy p: port 6000 of Service postgres is not allowed; "
                + "add to spec.targets[].ports of the rule that lists it",
                evaluate(List.of(split), service("postgres", 5432, 6000).build()));

        PolicyTarget noPorts = rule("postgres");
        noPorts.setPorts(null);
        assertDenied(DenialReason.Port, "denied by TunnelPolicy p: port 5432 of Service postgres is not allowed; "
                + "add to spec.targets[].ports of the rule that lists it",
                evaluate(List.of(policy("p", spec(noPorts))), service("postgres", 5432).build()));
        TunnelPolicySpec noTargets = spec();
        noTargets.setTargets(null);
        assertEquals(DenialReason.Target, evaluate(List.of(policy("p", noTargets)), service("postgres", 5432).build())
                .denialReason());
    }

    // --- time and exposure

    @Test
    void theTtlMayEqualThePolicysMaximumWhichMayExceedTheOperators() {
        TunnelPolicySpec spec = allowService("postgres", 5432);
        spec.setMaxTtl("12h");
        TunnelPolicy policy = policy("p", spec);
        assertTrue(evaluate(List.of(policy), service("postgres", 5432).ttl(Duration.ofHours(12)).build()).allowed());
        assertDenied(DenialReason.Ttl, "denied by TunnelPolicy p: ttl 43201s exceeds spec.maxTtl 12h",
                evaluate(List.of(policy), service("postgres", 5432).ttl(Duration.ofHours(12).plusSeconds(1)).build()));

        spec.setMaxTtl(null);
        assertTrue(evaluate(List.of(policy), service("postgres", 5432).ttl(OPERATOR_MAX).build()).allowed());
        assertDenied(DenialReason.Ttl, "denied by TunnelPolicy p: ttl 8h1m exceeds spec.maxTtl 8h",
                evaluate(List.of(policy), service("postgres", 5432).ttl(OPERATOR_MAX.plusMinutes(1)).build()));

        spec.setMaxTtl("forever");
        assertDenied(DenialReason.Ttl, "denied by TunnelPolicy p: ttl 1m exceeds spec.maxTtl 0h",
                evaluate(List.of(policy), service("postgres", 5432).ttl(Duration.ofMinutes(1)).build()),
                "an unreadable limit allows nothing");
    }

    @Test
    void anIdleTimeoutIsRequiredUpToThePolicysMaximum() {
        TunnelPolicySpec spec = allowService("postgres", 5432);
        spec.setMaxIdleTimeout("15m");
        TunnelPolicy policy = policy("p", spec);
        assertTrue(evaluate(List.of(policy), service("postgres", 5432).idle(Duration.ofMinutes(15)).build()).allowed());
        assertDenied(DenialReason.IdleTimeout, "denied by TunnelPolicy p: idleTimeout 901s exceeds spec.maxIdleTimeout 15m",
                evaluate(List.of(policy), service("postgres", 5432).idle(Duration.ofSeconds(901)).build()));
        assertDenied(DenialReason.IdleTimeout, "denied by TunnelPolicy p: spec.idleTimeout is required, at most 15m "
                + "(spec.maxIdleTimeout)", evaluate(List.of(policy), service("postgres", 5432).build()));
        spec.setMaxIdleTimeout(null);
        assertTrue(evaluate(List.of(policy), service("postgres", 5432).build()).allowed());
        assertTrue(evaluate(List.of(policy), service("postgres", 5432).idle(Duration.ofHours(24)).build()).allowed());
    }

    @Test
    void anExposedSessionNeedsItsExposureAllowedAndSourceRangesUnlessThePolicyWaivesThem() {
        TunnelPolicySpec spec = allowService("postgres", 5432);
        spec.setAllowedExpose(List.of(Expose.NodePort, Expose.LoadBalancer));
        TunnelPolicy policy = policy("p", spec);
        assertTrue(evaluate(List.of(policy), service("postgres", 5432).expose(Expose.NodePort, "203.0.113.0/24").build())
                .allowed());
        assertDenied(DenialReason.SourceRanges, "denied by TunnelPolicy p: a session exposed as LoadBalancer must list "
                + "spec.access.sourceRanges (spec.requireSourceRanges)",
                evaluate(List.of(policy), service("postgres", 5432).expose(Expose.LoadBalancer).build()));
        assertDenied(DenialReason.Expose, "denied by TunnelPolicy p: expose ClusterIP is not allowed; add it to "
                + "spec.allowedExpose", evaluate(List.of(policy), service("postgres", 5432).build()),
                "a list without ClusterIP does not allow it");
        spec.setRequireSourceRanges(true);
        assertEquals(DenialReason.SourceRanges,
                evaluate(List.of(policy), service("postgres", 5432).expose(Expose.NodePort).build()).denialReason());
        spec.setRequireSourceRanges(false);
        assertTrue(evaluate(List.of(policy), service("postgres", 5432).expose(Expose.NodePort).build()).allowed());

        spec.setAllowedExpose(null);
        assertTrue(evaluate(List.of(policy), service("postgres", 5432).build()).allowed(), "ClusterIP by default");
        assertDenied(DenialReason.Expose, "denied by TunnelPolicy p: expose NodePort is not allowed; add it to "
                + "spec.allowedExpose", evaluate(List.of(policy), service("postgres", 5432).expose(Expose.NodePort).build()));
    }

    @Test
    void durationsAreWrittenAsTheCrdWritesThem() {
        assertEquals("0h", PolicyEvaluator.text(Duration.ZERO));
        assertEquals("2h", PolicyEvaluator.text(Duration.ofHours(2)));
        assertEquals("25h", PolicyEvaluator.text(Duration.ofHours(25)));
        assertEquals("30m", PolicyEvaluator.text(Duration.ofMinutes(30)));
        assertEquals("1h30m", PolicyEvaluator.text(Duration.ofMinutes(90)));
        assertEquals("59s", PolicyEvaluator.text(Duration.ofSeconds(59)));
        assertEquals("3601s", PolicyEvaluator.text(Duration.ofSeconds(3601)));
    }

    // --- helpers

    private static PolicyDecision evaluate(List<TunnelPolicy> policies, SessionRequest request) {
        return PolicyEvaluator.evaluate(policies, request, "team-a", OPERATOR_MAX);
    }

    private static void assertDenied(DenialReason reason, String message, PolicyDecision decision) {
        assertDenied(reason, message, decision, null);
    }

    private static void assertDenied(DenialReason reason, String message, PolicyDecision decision, String why) {
        assertFalse(decision.allowed(), why);
        assertEquals(message, decision.message(), why);
        assertEquals(reason, decision.denialReason(), why);
        assertNull(decision.policy());
        assertNull(decision.allowedBy());
    }

    private static TunnelPolicy policy(String name, TunnelPolicySpec spec) {
        TunnelPolicy policy = new TunnelPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withNamespace("team-a").withName(name).build());
        policy.setSpec(spec);
        return policy;
    }

    private static TunnelPolicySpec spec(PolicyTarget... rules) {
        TunnelPolicySpec spec = new TunnelPolicySpec();
        spec.setTargets(new ArrayList<>(List.of(rules)));
        return spec;
    }

    private static PolicyTarget rule(String service, Integer... ports) {
        PolicyTarget rule = new PolicyTarget();
        rule.setServices(List.of(service));
        rule.setPorts(List.of(ports));
        return rule;
    }

    private static TunnelPolicySpec allowService(String service, Integer... ports) {
        return spec(rule(service, ports));
    }

    private static TunnelPolicySpec shells() {
        TunnelPolicySpec spec = spec();
        spec.setModes(List.of(SessionMode.Shell));
        spec.setShellApps(new ShellApps());
        return spec;
    }

    private static SessionRequest toolbox() {
        return shellIn(null, Map.of());
    }

    private static SessionRequest shellIn(String app, Map<String, String> labels) {
        return new SessionRequest(SessionMode.Shell, null, Map.of(), null, List.of(), HOUR, null, Expose.ClusterIP,
                List.of(), app, labels);
    }

    private static Request service(String name, Integer... ports) {
        return new Request(name, null, List.of(ports));
    }

    private static Request host(String host, Integer... ports) {
        return new Request(null, host, List.of(ports));
    }

    /** A Tunnel session's request: a Service or a host, one hour, ClusterIP, unless changed. */
    private static final class Request {
        private final String service;
        private final String host;
        private final List<Integer> ports;
        private Map<String, String> labels = Map.of();
        private Duration ttl = HOUR;
        private Duration idle;
        private Expose expose = Expose.ClusterIP;
        private List<String> sourceRanges = List.of();

        Request(String service, String host, List<Integer> ports) {
            this.service = service;
            this.host = host;
            this.ports = ports;
        }

        Request labels(Map<String, String> labels) {
            this.labels = labels;
            return this;
        }

        Request ttl(Duration ttl) {
            this.ttl = ttl;
            return this;
        }

        Request idle(Duration idle) {
            this.idle = idle;
            return this;
        }

        Request expose(Expose expose, String... sourceRanges) {
            this.expose = expose;
            this.sourceRanges = List.of(sourceRanges);
            return this;
        }

        SessionRequest build() {
            return new SessionRequest(SessionMode.Tunnel, service, labels, host, ports, ttl, idle, expose, sourceRanges);
        }
    }
}
