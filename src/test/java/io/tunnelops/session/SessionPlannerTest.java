package io.tunnelops.session;

import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.ShellSpec;
import io.tunnelops.api.v1alpha1.Target;
import io.tunnelops.api.v1alpha1.TunnelPolicySpec;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.SessionPlan.PortRule;
import io.tunnelops.session.SessionPlan.TargetEgress;
import io.tunnelops.ssh.Ed25519KeyGenerator;

/**
 * What a session resolves to before anything is created: the sshd's PermitOpen, the NetworkPolicy's egress and the
 * keys, or the exact refusal. No cluster: the target Service is given, and DNS answers what the test says.
 */
class SessionPlannerTest {

    private static final String IMAGE = "tunnel-operator-sshd:test";
    private static final String KEY = Ed25519KeyGenerator.generate("alice@laptop").publicKey();
    private static final List<String> NEVER_REACHABLE = List.of("127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8");
    private static final ForbiddenTargets.Resolver PUBLIC_DNS = host -> {
        if (host.equals("db.example")) {
            return List.of(InetAddress.getByName("203.0.113.10"));
        }
        if (host.equals("evil.example")) {
            return List.of(InetAddress.getByName("203.0.113.11"), InetAddress.getByName("169.254.169.254"));
        }
        throw new UnknownHostException(host);
    };

    // --- a Service target

    @Test
    void aServiceTargetBecomesItsClusterNameAndItsPodsOnTheirTargetPorts() throws Exception {
        Service postgres = service("postgres", Map.of("app", "postgres"), port(5432, "TCP", new IntOrString("pg")),
                port(5433, null, null), port(9000, "UDP", 9000));
        TunnelSession session = session("team-a", "s").toService("postgres", 5432, 5433).build();
        SessionPlan plan = SessionPlanner.plan(session, Optional.of(postgres), IMAGE);

        assertEquals(SessionMode.Tunnel, plan.mode());
        assertEquals(List.of("postgres.team-a.svc.cluster.local:5432", "postgres.team-a.svc.cluster.local:5433"),
                plan.permitOpen());
        assertEquals("service/postgres:5432,5433", plan.targetDisplay());
        assertEquals(List.of(TargetEgress.toPods(Map.of("app", "postgres"), List.of(
                new PortRule(new IntOrString("pg"), "TCP"), new PortRule(new IntOrString(5433), "TCP")))), plan.egress());
        assertEquals(IMAGE, plan.sshdImage());
        assertEquals(Expose.ClusterIP, plan.expose());
        assertEquals(List.of(), plan.sourceRanges());
        assertEquals(List.of(), plan.userKeys());
        assertEquals(0, plan.idleTimeoutSeconds());
        assertFalse(plan.endOnDisconnect());
        assertEquals(null, plan.shell());
    }

    @Test
    void theFirstTcpEntryOfAPortDecidesItsTargetPort() throws Exception {
        Service twice = service("web", Map.of("app", "web"), port(80, "UDP", 53), port(80, "TCP", 8080), port(80, "TCP", 9090));
        SessionPlan plan = SessionPlanner.plan(session("team-a", "s").toService("web", 80).build(), Optional.of(twice), IMAGE);
        assertEquals(List.of(new PortRule(new IntOrString(8080), "TCP")), plan.egress().get(0).ports());
    }

    @Test
    void aServiceThatCannotBeReachedByItsPodsIsRefused() {
        TunnelSession session = session("team-a", "s").toService("postgres", 5432).build();
        assertRefused(SessionPlanner.TARGET_NOT_FOUND, "Service \"postgres\" does not exist in namespace team-a; create it "
                + "or fix spec.target.service", () -> SessionPlanner.plan(session, Optional.empty(), IMAGE));

        Service external = service("postgres", Map.of("app", "postgres"), port(5432, "TCP", 5432));
        external.getSpec().setType("ExternalName");
        assertRefused(SessionPlanner.UNSUPPORTED_TARGET, "Service \"postgres\" is of type ExternalName; use "
                + "spec.target.host with the external name instead", () -> SessionPlanner.plan(session, Optional.of(external), IMAGE));
        Service noSpec = service("postgres", Map.of("app", "postgres"));
        noSpec.setSpec(null);
        assertRefused(SessionPlanner.UNSUPPORTED_TARGET, "Service \"postgres\" is of type ExternalName; use "
                + "spec.target.host with the external name instead", () -> SessionPlanner.plan(session, Optional.of(noSpec), IMAGE));

        String noSelector = "Service \"postgres\" has no pod selector, so its pods cannot be allowed by a NetworkPolicy; "
                + "target a Service with a selector";
        Service withoutSelector = service("postgres", null, port(5432, "TCP", 5432));
        assertRefused(SessionPlanner.UNSUPPORTED_TARGET, noSelector,
                () -> SessionPlanner.plan(session, Optional.of(withoutSelector), IMAGE));
        Service emptySelector = service("postgres", Map.of(), port(5432, "TCP", 5432));
        assertRefused(SessionPlanner.UNSUPPORTED_TARGET, noSelector,
                () -> SessionPlanner.plan(session, Optional.of(emptySelector), IMAGE));
    }

    @Test
    void everyPortMustBeATcpPortOfTheService() {
        TunnelSession session = session("team-a", "s").toService("postgres", 5432, 6000).build();
        assertRefused(SessionPlanner.TARGET_PORT_NOT_EXPOSED, "Service \"postgres\" does not expose TCP port 6000; it "
                + "exposes [5432, 7000]. Fix spec.target.ports", () -> SessionPlanner.plan(session,
                        Optional.of(service("postgres", Map.of("app", "x"), port(5432, "TCP", 5432), port(6000, "UDP", 6000),
                                port(null, "TCP", 1), port(7000, "TCP", 7000))), IMAGE));
        assertRefused(SessionPlanner.TARGET_PORT_NOT_EXPOSED, "Service \"postgres\" does not expose TCP port 5432; it "
                + "exposes no TCP port. Fix spec.target.ports", () -> SessionPlanner.plan(session,
                        Optional.of(service("postgres", Map.of("app", "x"))), IMAGE));
        Service noPorts = service("postgres", Map.of("app", "x"));
        noPorts.getSpec().setPorts(null);
        assertRefused(SessionPlanner.TARGET_PORT_NOT_EXPOSED, "Service \"postgres\" does not expose TCP port 5432; it "
                + "exposes no TCP port. Fix spec.target.ports", () -> SessionPlanner.plan(session, Optional.of(noPorts), IMAGE));
    }

    // --- a host target

    @Test
    void anAddressIsReachedAtItselfOnly() throws Exception {
        SessionPlan plan = SessionPlanner.plan(session("team-a", "s").toHost("203.0.113.10", 5432).build(),
                Optional.empty(), IMAGE);
        assertEquals(List.of("203.0.113.10:5432"), plan.permitOpen());
        assertEquals("203.0.113.10:5432", plan.targetDisplay());
        assertEquals(List.of(TargetEgress.toAddresses("203.0.113.10/32", List.of(), tcp(5432))), plan.egress());
    }

    @Test
    void aNameIsReachedAnywhereButLocalAddressesAndWrittenInLowerCase() throws Exception {
        SessionPlan plan = SessionPlanner.plan(session("team-a", "s").toHost("DB.Example", 5432, 5433).build(),
                Optional.empty(), IMAGE, PUBLIC_DNS);
        assertEquals(List.of("db.example:5432", "db.example:5433"), plan.permitOpen());
        assertEquals("DB.Example:5432,5433", plan.targetDisplay());
        assertEquals(List.of(TargetEgress.toAddresses("0.0.0.0/0", NEVER_REACHABLE, tcp(5432, 5433))), plan.egress());
        assertEquals(List.of(TargetEgress.toAddresses("0.0.0.0/0", NEVER_REACHABLE, tcp(5432, 5433))),
                SessionPlanner.plan(session("team-a", "s").toHost("unknown.example", 5432, 5433).build(), Optional.empty(),
                        IMAGE, PUBLIC_DNS).egress(), "a name not resolvable now is still kept off local addresses");
    }

    @Test
    void aHostThatIsANumberOrALocalAddressIsRefused() {
        assertRefused(SessionPlanner.INVALID_SPEC, "spec.target.host 0177.0.0.1 is 127.0.0.1 written in octal; resolvers "
                + "read it as that address. Write an address in dotted decimal (127.0.0.1) or use a DNS name",
                () -> SessionPlanner.plan(session("team-a", "s").toHost("0177.0.0.1", 22).build(), Optional.empty(), IMAGE,
                        PUBLIC_DNS));
        assertRefused(SessionPlanner.TARGET_NOT_ALLOWED, "spec.target.host 127.0.0.1 is a loopback address; tunnels there "
                + "are never allowed", () -> SessionPlanner.plan(session("team-a", "s").toHost("127.0.0.1", 22).build(),
                        Optional.empty(), IMAGE, PUBLIC_DNS));
        assertRefused(SessionPlanner.TARGET_NOT_ALLOWED, "spec.target.host evil.example resolves to 169.254.169.254, a "
                + "link-local address (where cloud metadata services live); tunnels there are never allowed",
                () -> SessionPlanner.plan(session("team-a", "s").toHost("evil.example", 80).build(), Optional.empty(), IMAGE,
                        PUBLIC_DNS));
    }

    // --- the spec's limits

    @Test
    void theTargetNeedsOneToEightDistinctPortsInRange() throws Exception {
        String distinct = "spec.target.ports must list 1 to 8 distinct ports";
        String oneTarget = "spec.target with at least one port is required in Tunnel mode";
        assertEquals(8, planHost(1, 2, 3, 4, 5, 6, 7, 65535).permitOpen().size());
        assertRefused(SessionPlanner.INVALID_SPEC, distinct, () -> planHost(1, 2, 3, 4, 5, 6, 7, 8, 9));
        assertRefused(SessionPlanner.INVALID_SPEC, distinct, () -> planHost(5432, 5432));
        assertRefused(SessionPlanner.INVALID_SPEC, oneTarget, () -> planHost());
        assertRefused(SessionPlanner.INVALID_SPEC, "spec.target.ports: 0 is not a port (1..65535)", () -> planHost(0));
        assertRefused(SessionPlanner.INVALID_SPEC, "spec.target.ports: 65536 is not a port (1..65535)", () -> planHost(65536));
        TunnelSession nullPort = session("team-a", "s").toHost("db.example", 1).build();
        nullPort.getSpec().getTarget().setPorts(java.util.Arrays.asList(5432, null));
        assertRefused(SessionPlanner.INVALID_SPEC, "spec.target.ports: null is not a port (1..65535)",
                () -> SessionPlanner.plan(nullPort, Optional.empty(), IMAGE));

        TunnelSession noPorts = session("team-a", "s").toHost("db.example", 1).build();
        noPorts.getSpec().getTarget().setPorts(null);
        assertRefused(SessionPlanner.INVALID_SPEC, oneTarget, () -> SessionPlanner.plan(noPorts, Optional.empty(), IMAGE));
        TunnelSession noTarget = session("team-a", "s").build();
        assertRefused(SessionPlanner.INVALID_SPEC, oneTarget, () -> SessionPlanner.plan(noTarget, Optional.empty(), IMAGE));
    }

    @Test
    void theTargetIsExactlyOneOfAServiceByItsNameOrAHost() {
        String exactlyOne = "set exactly one of spec.target.service or spec.target.host";
        TunnelSession both = session("team-a", "s").toHost("db.example", 5432).build();
        both.getSpec().getTarget().setService("postgres");
        assertRefused(SessionPlanner.INVALID_SPEC, exactlyOne, () -> SessionPlanner.plan(both, Optional.empty(), IMAGE));
        TunnelSession neither = session("team-a", "s").toHost("db.example", 5432).build();
        neither.getSpec().getTarget().setHost(null);
        assertRefused(SessionPlanner.INVALID_SPEC, exactlyOne, () -> SessionPlanner.plan(neither, Optional.empty(), IMAGE));
        assertRefused(SessionPlanner.INVALID_SPEC, "spec.target.service must be a Service name (lower-case letters, "
                + "digits and '-', at most 63)", () -> SessionPlanner.plan(session("team-a", "s").toService("Postgres", 5432)
                        .build(), Optional.empty(), IMAGE));
    }

    @Test
    void aSessionWithoutSpecIsRefused() {
        TunnelSession session = session("team-a", "s").build();
        session.setSpec(null);
        assertRefused(SessionPlanner.INVALID_SPEC, "spec is missing", () -> SessionPlanner.plan(session, Optional.empty(), IMAGE));
    }

    @Test
    void accessTakesAtMost16KeysAnd16RangesEachValid() throws Exception {
        String tooMany = "spec.access takes at most 16 authorizedKeys and 16 sourceRanges";
        String[] sixteenKeys = Collections.nCopies(16, KEY).toArray(String[]::new);
        assertEquals(16, planWith(session("team-a", "s").toHost("db.example", 5432).authorizedKeys(sixteenKeys)).userKeys().size());
        String[] seventeenKeys = Collections.nCopies(17, KEY).toArray(String[]::new);
        assertRefused(SessionPlanner.INVALID_SPEC, tooMany,
                () -> planWith(session("team-a", "s").toHost("db.example", 5432).authorizedKeys(seventeenKeys)));

        List<String> ranges = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            ranges.add("203.0.113." + i + "/32");
        }
        SessionPlan sixteen = planWith(session("team-a", "s").toHost("db.example", 5432)
                .expose(Expose.LoadBalancer, ranges.toArray(String[]::new)));
        assertEquals(ranges, sixteen.sourceRanges());
        assertEquals(Expose.LoadBalancer, sixteen.expose());
        ranges.add("198.51.100.0/24");
        assertRefused(SessionPlanner.INVALID_SPEC, tooMany, () -> planWith(session("team-a", "s").toHost("db.example", 5432)
                .expose(Expose.LoadBalancer, ranges.toArray(String[]::new))));

        assertRefused(SessionPlanner.INVALID_SPEC, "spec.access.sourceRanges[1] \"10.0.0.0/33\" is not a CIDR such as "
                + "203.0.113.0/24 or 2001:db8::/32", () -> planWith(session("team-a", "s").toHost("db.example", 5432)
                        .expose(Expose.NodePort, "10.0.0.0/8", "10.0.0.0/33")));
        assertRefused(SessionPlanner.INVALID_KEY, "spec.access.authorizedKeys[1]: key type 'ssh-dss' is not allowed; use "
                + "one of ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, "
                + "sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com, ssh-rsa (3072 bits or more)",
                () -> planWith(session("team-a", "s").toHost("db.example", 5432).authorizedKeys(KEY, "ssh-dss AAAA")));
    }

    @Test
    void anAccessWithoutListsMeansAGeneratedKeyAndNoRanges() throws Exception {
        TunnelSession session = session("team-a", "s").toHost("db.example", 5432).expose(Expose.NodePort).build();
        session.getSpec().getAccess().setAuthorizedKeys(null);
        session.getSpec().getAccess().setSourceRanges(null);
        SessionPlan plan = SessionPlanner.plan(session, Optional.empty(), IMAGE, PUBLIC_DNS);
        assertEquals(List.of(), plan.userKeys());
        assertTrue(plan.generatesClientKey());
        assertEquals(List.of(), plan.sourceRanges());
        assertEquals(Expose.NodePort, plan.expose());
    }

    @Test
    void theIdleTimeoutIsFrom5SecondsTo24HoursAndEndOnDisconnectIsKept() throws Exception {
        TunnelSession session = session("team-a", "s").toHost("db.example", 5432).build();
        session.getSpec().setIdleTimeout("5s");
        session.getSpec().setEndOnDisconnect(true);
        SessionPlan plan = SessionPlanner.plan(session, Optional.empty(), IMAGE, PUBLIC_DNS);
        assertEquals(5, plan.idleTimeoutSeconds());
        assertTrue(plan.endOnDisconnect());
        session.getSpec().setIdleTimeout("24h");
        assertEquals(86400, SessionPlanner.plan(session, Optional.empty(), IMAGE, PUBLIC_DNS).idleTimeoutSeconds());
        session.getSpec().setIdleTimeout("4s");
        assertRefused(SessionPlanner.INVALID_SPEC, "spec.idleTimeout \"4s\" must be between 5s and 24h",
                () -> SessionPlanner.plan(session, Optional.empty(), IMAGE, PUBLIC_DNS));
    }

    // --- Shell mode

    @Test
    void aShellIsPlannedFromItsSourceWithoutTargetOrEgress() throws Exception {
        TunnelSession session = shellSession();
        ShellSource toolbox = ShellSource.toolbox("toolbox:1");
        SessionPlan plan = SessionPlanner.plan(session, Optional.empty(), IMAGE, toolbox);
        assertTrue(plan.isShell());
        assertEquals(List.of(), plan.permitOpen());
        assertEquals(List.of(), plan.egress());
        assertEquals("toolbox", plan.targetDisplay());
        assertSame(toolbox, plan.shell());
        assertEquals(List.of(), plan.userKeys());

        assertThrows(IllegalArgumentException.class, () -> SessionPlanner.plan(session, Optional.empty(), IMAGE));
        session.getSpec().setTarget(new Target());
        assertRefused(SessionPlanner.INVALID_SPEC, "a Shell session has no spec.target; use spec.shell",
                () -> SessionPlanner.plan(session, Optional.empty(), IMAGE, toolbox));
    }

    @Test
    void aTunnelHasNoShell() {
        TunnelSession session = session("team-a", "s").toHost("db.example", 5432).build();
        session.getSpec().setShell(new ShellSpec());
        assertRefused(SessionPlanner.INVALID_SPEC, "spec.shell is only for mode Shell",
                () -> SessionPlanner.plan(session, Optional.empty(), IMAGE, PUBLIC_DNS));
    }

    @Test
    void aShellMayReachWhatItsPolicyListsOnTheListedPorts() {
        PolicyTarget rule = new PolicyTarget();
        rule.setServices(List.of("postgres"));
        rule.setServiceLabels(Map.of("team", "a"));
        rule.setHosts(List.of("*.corp.example", "10.0.0.5", "0177.0.0.1"));
        rule.setCidrs(List.of("10.20.0.0/16"));
        rule.setPorts(List.of(5432, 6379));
        Service postgres = service("postgres", Map.of("app", "postgres"), port(5432, "TCP", 15432));
        Service redis = labelled(service("redis", Map.of("app", "redis"), port(6379, null, 6379), port(5432, "UDP", 5432)),
                Map.of("team", "a", "x", "y"));
        Service other = labelled(service("other", Map.of("app", "other"), port(5432, "TCP", 5432)), Map.of("team", "b"));
        Service unlabelled = service("unlabelled", Map.of("app", "u"), port(5432, "TCP", 5432));

        assertEquals(List.of(
                TargetEgress.toPods(Map.of("app", "postgres"), List.of(new PortRule(new IntOrString(15432), "TCP"))),
                TargetEgress.toPods(Map.of("app", "redis"), List.of(new PortRule(new IntOrString(6379), "TCP"))),
                TargetEgress.toAddresses("0.0.0.0/0", NEVER_REACHABLE, tcp(5432, 6379)),
                TargetEgress.toAddresses("10.0.0.5/32", List.of(), tcp(5432, 6379)),
                TargetEgress.toAddresses("10.20.0.0/16", List.of(), tcp(5432, 6379))),
                SessionPlanner.shellEgress(policy(rule, rule), List.of(postgres, redis, other, unlabelled)),
                "each destination once, even when two rules list it");
    }

    @Test
    void aShellReachesNoServiceWithoutPodsOrWithoutTheListedPorts() {
        PolicyTarget rule = new PolicyTarget();
        rule.setServices(List.of("a", "b", "c", "d", "e", "f"));
        rule.setPorts(List.of(5432));
        Service noSpec = service("a", Map.of("app", "a"));
        noSpec.setSpec(null);
        Service noSelector = service("b", null, port(5432, "TCP", 5432));
        Service emptySelector = service("c", Map.of(), port(5432, "TCP", 5432));
        Service noPorts = service("d", Map.of("app", "d"));
        noPorts.getSpec().setPorts(null);
        Service otherPort = service("e", Map.of("app", "e"), port(5433, "TCP", 5433), port(5432, "SCTP", 5432));
        Service external = service("f", Map.of("app", "f"), port(5432, "TCP", 5432));
        external.getSpec().setType("ExternalName");
        assertEquals(List.of(), SessionPlanner.shellEgress(policy(rule), List.of(noSpec, noSelector, emptySelector, noPorts,
                otherPort, external)));

        PolicyTarget emptyLabels = new PolicyTarget();
        emptyLabels.setServiceLabels(Map.of());
        emptyLabels.setServices(null);
        emptyLabels.setHosts(null);
        emptyLabels.setCidrs(null);
        emptyLabels.setPorts(null);
        assertEquals(List.of(), SessionPlanner.shellEgress(policy(emptyLabels),
                List.of(labelled(service("g", Map.of("app", "g"), port(5432, "TCP", 5432)), Map.of("team", "a")))),
                "an empty selector selects no Service");
        TunnelPolicySpec noTargets = new TunnelPolicySpec();
        noTargets.setTargets(null);
        assertEquals(List.of(), SessionPlanner.shellEgress(noTargets, List.of()));

        PolicyTarget portless = new PolicyTarget();
        portless.setCidrs(List.of("10.0.0.0/8"));
        portless.setPorts(null);
        assertEquals(List.of(TargetEgress.toAddresses("10.0.0.0/8", List.of(), List.of())),
                SessionPlanner.shellEgress(policy(portless), List.of()));
    }

    // --- helpers

    private static void assertRefused(String reason, String message, Executable plan) {
        InvalidSessionException refused = assertThrows(InvalidSessionException.class, plan);
        assertEquals(message, refused.getMessage());
        assertEquals(reason, refused.reason());
    }

    private static SessionPlan planHost(Integer... ports) throws InvalidSessionException {
        return planWith(session("team-a", "s").toHost("db.example", ports));
    }

    private static SessionPlan planWith(io.tunnelops.testing.SessionFixtures session) throws InvalidSessionException {
        return SessionPlanner.plan(session.build(), Optional.empty(), IMAGE, PUBLIC_DNS);
    }

    private static TunnelSession shellSession() {
        TunnelSession session = session("team-a", "s").build();
        session.getSpec().setMode(SessionMode.Shell);
        session.getSpec().setShell(new ShellSpec());
        return session;
    }

    private static List<PortRule> tcp(Integer... ports) {
        return java.util.Arrays.stream(ports).map(p -> new PortRule(new IntOrString(p), "TCP")).toList();
    }

    private static TunnelPolicySpec policy(PolicyTarget... rules) {
        TunnelPolicySpec spec = new TunnelPolicySpec();
        spec.setTargets(List.of(rules));
        return spec;
    }

    private static Service labelled(Service service, Map<String, String> labels) {
        service.getMetadata().setLabels(labels);
        return service;
    }

    /** A Service of namespace team-a with this selector (null for none) and these ports. */
    private static Service service(String name, Map<String, String> selector, io.fabric8.kubernetes.api.model.ServicePort... ports) {
        return new ServiceBuilder().withNewMetadata().withNamespace("team-a").withName(name).endMetadata()
                .withNewSpec().withSelector(selector).withPorts(ports).endSpec().build();
    }

    private static io.fabric8.kubernetes.api.model.ServicePort port(Integer port, String protocol, Object targetPort) {
        IntOrString target = targetPort == null ? null : targetPort instanceof IntOrString t ? t
                : new IntOrString((Integer) targetPort);
        return new io.fabric8.kubernetes.api.model.ServicePortBuilder().withPort(port).withProtocol(protocol)
                .withTargetPort(target).build();
    }
}
