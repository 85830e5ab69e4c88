package io.tunnelops.policy;

import static io.tunnelops.testing.SessionFixtures.policyAllowing;
import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelPolicySpec;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.testing.ExpectedNetworkPolicy;

/** Default deny: what a namespace may do without a policy, and what policies add, take away and say. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class TunnelPolicyTest {

    @Inject
    KubernetesClient client;

    String ns;

    @BeforeEach
    void namespace() {
        ns = "pol-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        client.resource(targetService(ns, "postgres", 5432, 5433)).create();
    }

    @Test
    void withoutAPolicyOnlyOwnServicesAsClusterIpWithinTheOperatorsMaximumTtl() {
        client.resource(session(ns, "own").toService("postgres", 5432).build()).create();
        client.resource(session(ns, "host").toHost("db.corp.example", 5432).build()).create();
        client.resource(session(ns, "lb").toService("postgres", 5432).expose(Expose.LoadBalancer, "203.0.113.0/24").build())
                .create();
        client.resource(session(ns, "long").toService("postgres", 5432).ttl("12h").build()).create();

        assertEquals(SessionPhase.Provisioning, awaitPhase("own", SessionPhase.Provisioning).getStatus().getPhase());
        assertDenied("host", "namespace " + ns + " has no TunnelPolicy, so only its own Services, exposed as ClusterIP, "
                + "are allowed: host db.corp.example needs a TunnelPolicy in namespace " + ns + " listing it in "
                + "spec.targets[].hosts (or a range holding it in spec.targets[].cidrs) with ports 5432");
        assertDenied("lb", "namespace " + ns + " has no TunnelPolicy, so only its own Services, exposed as ClusterIP, "
                + "are allowed: expose LoadBalancer needs a TunnelPolicy listing it in spec.allowedExpose");
        assertDenied("long", "namespace " + ns + " has no TunnelPolicy, so only its own Services, exposed as ClusterIP, "
                + "are allowed: ttl 12h exceeds the operator's maximum 8h (a TunnelPolicy's spec.maxTtl can allow up to 24h)");
    }

    @Test
    void aPolicyAllowsHostsBySuffixAndRangesOnItsPortsOnly() {
        TunnelPolicy policy = policy("corp-db", rule(List.of(), List.of("*.corp.example"), List.of("10.20.0.0/16"), 5432));
        policy.getSpec().setMaxTtl("2h");
        client.resource(policy).create();

        client.resource(session(ns, "by-suffix").toHost("pg.corp.example", 5432).build()).create();
        client.resource(session(ns, "by-range").toHost("10.20.3.4", 5432).build()).create();
        client.resource(session(ns, "bare-suffix").toHost("corp.example", 5432).build()).create();
        client.resource(session(ns, "other-port").toHost("pg.corp.example", 5433).build()).create();
        client.resource(session(ns, "outside").toHost("10.21.0.1", 5432).build()).create();
        client.resource(session(ns, "too-long").toHost("pg.corp.example", 5432).ttl("3h").build()).create();
        client.resource(session(ns, "own-service").toService("postgres", 5432).build()).create();

        awaitPhase("by-suffix", SessionPhase.Provisioning);
        awaitPhase("by-range", SessionPhase.Provisioning);
        assertDenied("bare-suffix", "denied by TunnelPolicy corp-db: host corp.example is not an allowed target; add it "
                + "to spec.targets[].hosts (or cidrs) with ports 5432");
        assertDenied("other-port", "denied by TunnelPolicy corp-db: port 5433 of host pg.corp.example is not allowed; "
                + "add to spec.targets[].ports of the rule that lists it");
        assertDenied("outside", "denied by TunnelPolicy corp-db: host 10.21.0.1 is not an allowed target; add it to "
                + "spec.targets[].hosts (or cidrs) with ports 5432");
        assertDenied("too-long", "denied by TunnelPolicy corp-db: ttl 3h exceeds spec.maxTtl 2h");
        // with a policy, only policies decide: the default allowance of own Services is gone
        assertDenied("own-service", "denied by TunnelPolicy corp-db: Service postgres is not an allowed target; add it "
                + "to spec.targets[].services (or serviceLabels) with ports 5432");
    }

    @Test
    void policiesCombineAsAUnionAndExposureNeedsSourceRanges() {
        TunnelPolicy lb = policyAllowing(ns, "a-lb", "postgres", List.of(5432), Expose.LoadBalancer);
        lb.getSpec().setRequireSourceRanges(null); // the default: required
        client.resource(lb).create();
        client.resource(policy("b-hosts", rule(List.of(), List.of("db.internal"), List.of(), 5432))).create();

        client.resource(session(ns, "svc-lb").toService("postgres", 5432).expose(Expose.LoadBalancer, "198.51.100.0/24")
                .build()).create();
        client.resource(session(ns, "host").toHost("db.internal", 5432).build()).create();
        client.resource(session(ns, "open-lb").toService("postgres", 5432).expose(Expose.LoadBalancer).build()).create();

        awaitPhase("svc-lb", SessionPhase.Provisioning);
        awaitPhase("host", SessionPhase.Provisioning);
        assertDenied("open-lb", "no TunnelPolicy in namespace " + ns + " allows this session; the closest, a-lb, says: "
                + "a session exposed as LoadBalancer must list spec.access.sourceRanges (spec.requireSourceRanges)");
    }

    @Test
    void aPolicyCanSelectServicesByLabelAndRequireAnIdleTimeout() {
        client.resource(new io.fabric8.kubernetes.api.model.ServiceBuilder(targetService(ns, "cache", 6379))
                .editMetadata().withLabels(Map.of("tier", "cache")).endMetadata().build()).create();
        PolicyTarget byLabel = rule(List.of(), List.of(), List.of(), 6379);
        byLabel.setServiceLabels(Map.of("tier", "cache"));
        TunnelPolicy policy = policy("caches", byLabel);
        policy.getSpec().setMaxIdleTimeout("30m");
        client.resource(policy).create();

        var idle = session(ns, "with-idle").toService("cache", 6379).build();
        idle.getSpec().setIdleTimeout("10m");
        client.resource(idle).create();
        client.resource(session(ns, "no-idle").toService("cache", 6379).build()).create();

        awaitPhase("with-idle", SessionPhase.Provisioning);
        assertDenied("no-idle", "denied by TunnelPolicy caches: spec.idleTimeout is required, at most 30m "
                + "(spec.maxIdleTimeout)");
    }

    @Test
    void deletingThePolicyEndsTheSessionsItAllowedAtOnce() {
        client.resource(policy("hosts", rule(List.of(), List.of("db.internal"), List.of(), 5432))).create();
        client.resource(session(ns, "live").toHost("db.internal", 5432).build()).create();
        awaitPhase("live", SessionPhase.Provisioning);
        await().atMost(10, TimeUnit.SECONDS).until(() -> deployment("live") != null);

        client.resources(TunnelPolicy.class).inNamespace(ns).withName("hosts").delete();

        TunnelSession denied = awaitPhase("live", SessionPhase.Denied);
        assertEquals(EndReason.Denied, denied.getStatus().getEndReason());
        await().atMost(10, TimeUnit.SECONDS).until(() -> deployment("live") == null
                && client.secrets().inNamespace(ns).withName("live-ssh").get() == null
                && client.services().inNamespace(ns).withName("live-sshd").get() == null);
    }

    @Test
    void kubectlGetTunnelPoliciesShowsWhatEachAllows() {
        TunnelPolicy policy = policy("summary", rule(List.of("postgres"), List.of("*.corp.example"), List.of("10.0.0.0/8"),
                5432, 5433));
        policy.getSpec().setAllowedExpose(List.of(Expose.ClusterIP, Expose.LoadBalancer));
        client.resource(policy).create();

        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            TunnelPolicy p = client.resources(TunnelPolicy.class).inNamespace(ns).withName("summary").get();
            return p.getStatus() != null && p.getStatus().getSummary() != null;
        });
        assertEquals("svc/postgres,*.corp.example,10.0.0.0/8:5432,5433 via ClusterIP,LoadBalancer",
                client.resources(TunnelPolicy.class).inNamespace(ns).withName("summary").get().getStatus().getSummary());

        TunnelPolicy shells = policy("shells", rule(List.of("postgres"), List.of(), List.of(), 5432));
        shells.getSpec().setModes(List.of(io.tunnelops.api.v1alpha1.SessionMode.Tunnel,
                io.tunnelops.api.v1alpha1.SessionMode.Shell));
        var apps = new io.tunnelops.api.v1alpha1.ShellApps();
        apps.setDeployments(List.of("app01"));
        apps.setDeploymentLabels(java.util.Map.of("team", "a"));
        shells.getSpec().setShellApps(apps);
        client.resource(shells).create();
        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            TunnelPolicy p = client.resources(TunnelPolicy.class).inNamespace(ns).withName("shells").get();
            return p.getStatus() != null && p.getStatus().getSummary() != null;
        });
        assertEquals("svc/postgres:5432 via ClusterIP; shells in toolbox,deploy/app01,deploy{team=a}",
                client.resources(TunnelPolicy.class).inNamespace(ns).withName("shells").get().getStatus().getSummary());
    }

    @Test
    void aHostTargetsNetworkPolicyAllowsOnlyItsPortsAndNeverLocalOrMetadataRanges() {
        client.resource(policy("hosts", rule(List.of(), List.of("db.corp.example"), List.of("10.20.0.0/16"), 5432))).create();
        client.resource(session(ns, "by-name").toHost("db.corp.example", 5432).build()).create();
        client.resource(session(ns, "by-address").toHost("10.20.3.4", 5432).build()).create();
        await().atMost(10, TimeUnit.SECONDS).until(() -> networkPolicy("by-name") != null && networkPolicy("by-address") != null);

        // a name cannot be pinned to an address: its ports anywhere but loopback, link-local (metadata) and 0.0.0.0/8
        ExpectedNetworkPolicy.of("by-name").egressToBlock("0.0.0.0/0", List.of("127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8"),
                5432).assertIs(networkPolicy("by-name"));
        ExpectedNetworkPolicy.of("by-address").egressToBlock("10.20.3.4/32", List.of(), 5432)
                .assertIs(networkPolicy("by-address"));
    }

    @Test
    void aPolicyListingAHostOrRangeWrittenAsANumberIsRefusedAndAllowsNothing() {
        client.resource(policy("numeric", rule(List.of("postgres"), List.of("db.internal", "0177.0.0.1", "*.0.0.1"),
                List.of("010.0.0.0/8"), 7000, 5432))).create();
        client.resource(session(ns, "octal").toHost("0177.0.0.1", 7000).build()).create();
        client.resource(session(ns, "named").toHost("db.internal", 7000).build()).create();

        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            TunnelPolicy p = client.resources(TunnelPolicy.class).inNamespace(ns).withName("numeric").get();
            return p.getStatus() != null && !p.getStatus().getConditions().isEmpty();
        });
        TunnelPolicy refused = client.resources(TunnelPolicy.class).inNamespace(ns).withName("numeric").get();
        Condition accepted = refused.getStatus().getConditions().get(0);
        String problems = "spec.targets[0].hosts[1] 0177.0.0.1 is 127.0.0.1 written in octal; resolvers read it as that "
                + "address. Write an address in dotted decimal (127.0.0.1) or use a DNS name; spec.targets[0].hosts[2] "
                + "*.0.0.1 ends in a number, so it could only match addresses; list the address itself or a range in "
                + "cidrs; spec.targets[0].cidrs[0] 010.0.0.0/8 has 010.0.0.0, which is 8.0.0.0 written in octal; write "
                + "the address in dotted decimal (an IPv4 range such as 10.20.0.0/16)";
        assertEquals(List.of("Accepted", "False", "InvalidEntries", "this policy allows nothing until fixed: " + problems),
                List.of(accepted.getType(), accepted.getStatus(), accepted.getReason(), accepted.getMessage()));
        assertTrue(refused.getStatus().getSummary().startsWith("refused: spec.targets[0].hosts[1] 0177.0.0.1 is 127.0.0.1"));

        // the session names the address it meant; even a valid name is not allowed by a refused policy
        TunnelSession octal = awaitPhase("octal", SessionPhase.Failed);
        assertEquals(List.of("InvalidSpec", "spec.target.host 0177.0.0.1 is 127.0.0.1 written in octal; resolvers read it "
                + "as that address. Write an address in dotted decimal (127.0.0.1) or use a DNS name"),
                List.of(octal.getStatus().getConditions().get(0).getReason(), octal.getStatus().getConditions().get(0).getMessage()));
        assertNull(deployment("octal"));
        assertDenied("named", "denied by TunnelPolicy numeric: the policy is refused and allows nothing until fixed: " + problems);

        // fixed, the policy is accepted again
        client.resources(TunnelPolicy.class).inNamespace(ns).withName("numeric").edit(p -> {
            p.getSpec().getTargets().get(0).setHosts(List.of("db.internal"));
            p.getSpec().getTargets().get(0).setCidrs(List.of("10.0.0.0/8"));
            return p;
        });
        await().atMost(10, TimeUnit.SECONDS).until(() -> "True".equals(client.resources(TunnelPolicy.class).inNamespace(ns)
                .withName("numeric").get().getStatus().getConditions().get(0).getStatus()));
        assertEquals("svc/postgres,db.internal,10.0.0.0/8:7000,5432 via ClusterIP",
                client.resources(TunnelPolicy.class).inNamespace(ns).withName("numeric").get().getStatus().getSummary());
    }

    private io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy networkPolicy(String session) {
        return client.network().v1().networkPolicies().inNamespace(ns).withName(session + "-sshd").get();
    }

    // ---- helpers

    private static PolicyTarget rule(List<String> services, List<String> hosts, List<String> cidrs, Integer... ports) {
        PolicyTarget target = new PolicyTarget();
        target.setServices(services);
        target.setHosts(hosts);
        target.setCidrs(cidrs);
        target.setPorts(List.of(ports));
        return target;
    }

    private TunnelPolicy policy(String name, PolicyTarget... targets) {
        TunnelPolicySpec spec = new TunnelPolicySpec();
        spec.setTargets(List.of(targets));
        TunnelPolicy policy = new TunnelPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
        policy.setSpec(spec);
        return policy;
    }

    private void assertDenied(String name, String message) {
        TunnelSession denied = awaitPhase(name, SessionPhase.Denied);
        assertEquals(EndReason.Denied, denied.getStatus().getEndReason());
        Condition ready = denied.getStatus().getConditions().get(0);
        assertEquals("Denied", ready.getReason());
        assertEquals("False", ready.getStatus());
        assertEquals(message, ready.getMessage());
        assertNull(deployment(name), "nothing provisioned for " + name);
        assertNull(client.secrets().inNamespace(ns).withName(name + "-ssh").get());
    }

    private io.fabric8.kubernetes.api.model.apps.Deployment deployment(String session) {
        return client.apps().deployments().inNamespace(ns).withName(session + "-sshd").get();
    }

    private TunnelSession awaitPhase(String name, SessionPhase phase) {
        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            TunnelSession s = client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
            return s != null && s.getStatus() != null && s.getStatus().getPhase() == phase;
        });
        return client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
    }
}
