package io.tunnelops.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.cluster.AuditLog.Request;
import io.tunnelops.e2e.SessionUser;
import io.tunnelops.testing.Kubectl;
import io.tunnelops.testing.OpenSshTools;

/**
 * The operator's RBAC as the API server saw it used. A whole session lifecycle runs on the real cluster as users would
 * drive it (a TunnelPolicy with its summary; sessions to a Service and to a host, with generated and own keys, as
 * ClusterIP and NodePort; a denied one; edits of live sessions; expiry; deletion; the retention delete), then the API
 * server's audit log is read: every request of the operator's ServiceAccount must be allowed by a rule of the chart's
 * ClusterRole (a 403 is a missing permission), and every verb the ClusterRole grants must have been used or be
 * explained in {@link #EXPLAINED} (the same reasons as SECURITY.md, "Operator privileges").
 */
class OperatorRbacAuditIT {

    static final String OPERATOR_USER = "system:serviceaccount:" + RealCluster.OPERATOR_NAMESPACE + ":"
            + RealCluster.OPERATOR_ACCOUNT;
    /** Short, so the operator's retention delete of ended sessions happens within the test. */
    static final Duration RETENTION = Duration.ofSeconds(15);
    static final String SSA = "unused while server-side apply is off (quarkus.operator-sdk.enable-ssa=false); kept so "
            + "that turning it on needs no RBAC change";

    /**
     * Granted, not requested during the lifecycle, and why each stays ("resource verb", resource as
     * group/resource[/subresource], the core group without a prefix). SECURITY.md, "Operator privileges", gives the
     * same reasons: change both together.
     */
    static final Map<String, String> EXPLAINED = new TreeMap<>(Map.of(
            "secrets patch", SSA,
            "services patch", SSA,
            "apps/deployments patch", SSA,
            "networking.k8s.io/networkpolicies patch", SSA));

    /**
     * Requests every authenticated user may make (the built-in system:basic-user): JOSDK asks whether it may use its
     * Lease with a SelfSubjectRulesReview before leader election starts.
     */
    static final Set<String> EVERY_USER = Set.of("create authorization.k8s.io/selfsubjectrulesreviews");

    static RealCluster cluster;
    static KubernetesClient admin;
    static Kubectl kubectl;
    static boolean settingsRestored;

    @BeforeAll
    static void up() {
        cluster = RealCluster.shared();
        admin = cluster.admin();
        kubectl = cluster.kubectl();
        // the same operator, but ended sessions are deleted after RETENTION instead of 1h
        cluster.restartOperator(Map.of("TUNNEL_OPERATOR_RETENTION", RETENTION.toSeconds() + "s"));
    }

    @AfterAll
    static void restoreTheDefaultOperator() {
        if (cluster != null && !settingsRestored) {
            cluster.restartOperator(Map.of());
        }
    }

    @Test
    void theOperatorUsesOnlyGrantedVerbsAndEveryGrantedVerbIsUsedOrExplained() throws Exception {
        long begin = System.nanoTime();
        String apiserverFlags = Files.readString(Path.of("/proc",
                Files.readString(Path.of(cluster.env().get("CLUSTER_DIR"), "run", "kube-apiserver.pid")).strip(),
                "cmdline"));
        assertTrue(apiserverFlags.contains("OwnerReferencesPermissionEnforcement"),
                "the API server must enforce owner-reference permissions, as hardened clusters do");
        runTheLifecycle();
        System.out.printf("lifecycle done in %.1f s%n", (System.nanoTime() - begin) / 1e9);

        // the default operator again; stopping this one ends its watches, which the audit log records only then
        cluster.restartOperator(Map.of());
        settingsRestored = true;
        String current = cluster.operatorUserAgent();
        List<Request> requests = await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500))
                .until(() -> readAudit(cluster.auditLog(), current), r -> r != null);
        checkTheAudit(requests);
        System.out.printf("OperatorRbacAuditIT: lifecycle and audit in %.1f s%n", (System.nanoTime() - begin) / 1e9);
    }

    // ---- the lifecycle, as users drive it

    void runTheLifecycle() throws Exception {
        String ns = cluster.namespace("rbac");
        String podIp = ClusterFixtures.echoTarget(ns, "postgres", 5432, 7000);
        Path home = Files.createTempDirectory("rbac-audit-");

        // a session that expires first: its clock runs while everything else happens
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: short}
                spec:
                  target: {service: postgres, ports: [5432]}
                  ttl: 1m
                """);

        // the platform admin's policy: the Service, one host, NodePort only with source ranges
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelPolicy
                metadata: {name: audit}
                spec:
                  targets:
                    - services: [postgres]
                      ports: [5432]
                    - hosts: ["%s"]
                      ports: [7000]
                  maxTtl: 2h
                  allowedExpose: [ClusterIP, NodePort]
                  requireSourceRanges: true
                """.formatted(podIp));
        TunnelPolicy policy = await().atMost(60, TimeUnit.SECONDS).until(
                () -> admin.resources(TunnelPolicy.class).inNamespace(ns).withName("audit").get(),
                p -> p.getStatus() != null && p.getStatus().getSummary() != null);
        assertEquals("svc/postgres:5432 " + podIp + ":7000 via ClusterIP,NodePort", policy.getStatus().getSummary());
        System.out.print(kubectl.succeed("get", "tunnelpolicies", "-n", ns));

        // a developer's session to the Service with a generated key; another's to the host with their own key, by NodePort
        Path alice = ownKey(home, "alice");
        Path bob = ownKey(home, "bob");
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: pg}
                spec:
                  target: {service: postgres, ports: [5432]}
                  ttl: 1h
                """);
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: host-own}
                spec:
                  target: {host: "%s", ports: [7000]}
                  ttl: 30m
                  access:
                    authorizedKeys: ["%s"]
                    expose: NodePort
                    sourceRanges: [100.64.0.0/10]
                """.formatted(podIp, publicKey(alice)));
        // NodePort without source ranges: the policy denies it
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: denied}
                spec:
                  target: {host: "%s", ports: [7000]}
                  access: {expose: NodePort}
                """.formatted(podIp));

        String pgTarget = "postgres." + ns + ".svc.cluster.local:5432";
        TunnelSession pg = ready(ns, "pg", 1);
        assertEquals("ping", talk(new SessionUser(pg, ClusterFixtures.secretItems(ns, "pg-ssh"), home.resolve("pg"), null), pgTarget));

        TunnelSession hostOwn = ready(ns, "host-own", 1);
        assertTrue(hostOwn.getStatus().getEndpoint().getPort() != 2222, "a NodePort: " + hostOwn.getStatus().getEndpoint());
        assertTrue(!ClusterFixtures.secretItems(ns, "host-own-ssh").containsKey("id_ed25519"), "no client key generated for own keys");
        assertEquals("ping", talk(new SessionUser(hostOwn, ClusterFixtures.secretItems(ns, "host-own-ssh"), home.resolve("alice"), alice),
                podIp + ":7000"));

        TunnelSession denied = await().atMost(60, TimeUnit.SECONDS).until(() -> session(ns, "denied"),
                s -> s != null && s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Denied);
        System.out.println("denied: " + denied.getStatus().getConditions().get(0).getMessage());
        ClusterFixtures.assertNothingLeft(ns, "denied");

        // a shell in an app's environment: the operator reads the app's Deployment once (get), never writes it
        String shellNs = cluster.namespace("rbac-shell");
        apply(shellNs, """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: app01}
                spec:
                  replicas: 0
                  selector: {matchLabels: {app: app01}}
                  template:
                    metadata: {labels: {app: app01}}
                    spec:
                      containers: [{name: app, image: tunnelops.local/app01:1, env: [{name: APP_MODE, value: audit}]}]
                """);
        apply(shellNs, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelPolicy
                metadata: {name: shells}
                spec:
                  modes: [Shell]
                  shellApps: {deployments: [app01]}
                """);
        apply(shellNs, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: app-shell}
                spec:
                  mode: Shell
                  shell: {fromDeployment: app01}
                """);
        TunnelSession shell = await().atMost(60, TimeUnit.SECONDS).until(() -> session(shellNs, "app-shell"),
                s -> s != null && s.getStatus() != null && s.getStatus().getShell() != null);
        assertEquals("tunnelops.local/app01:1", shell.getStatus().getShell().getImage());
        assertEquals(1L, admin.apps().deployments().inNamespace(shellNs).withName("app01").get().getMetadata()
                .getGeneration(), "the app is never written");
        admin.resources(TunnelSession.class).inNamespace(shellNs).withName("app-shell").delete();
        await().atMost(60, TimeUnit.SECONDS).until(() -> session(shellNs, "app-shell") == null);

        // owner references as the operator sets them (blockOwnerDeletion decides what the admission plugin checks)
        List<OwnerReference> owners = admin.apps().deployments().inNamespace(ns).withName("pg-sshd").get().getMetadata()
                .getOwnerReferences();
        System.out.println("owner references of pg-sshd: " + owners);

        // edits of live sessions: bob's key added and the ranges changed; the Service session moved to a NodePort
        kubectl.succeed("patch", "-n", ns, "ts/host-own", "--type=merge", "-p", """
                {"spec":{"access":{"authorizedKeys":["%s","%s"],"sourceRanges":["100.64.0.0/10","192.0.2.0/24"]}}}
                """.formatted(publicKey(alice), publicKey(bob)).strip());
        kubectl.succeed("patch", "-n", ns, "ts/pg", "--type=merge", "-p",
                "{\"spec\":{\"access\":{\"expose\":\"NodePort\",\"sourceRanges\":[\"100.64.0.0/10\"]}}}");
        TunnelSession hostOwn2 = ready(ns, "host-own", 2);
        await().atMost(60, TimeUnit.SECONDS).ignoreExceptions().untilAsserted(() -> assertEquals("ping", talk(
                new SessionUser(hostOwn2, ClusterFixtures.secretItems(ns, "host-own-ssh"), home.resolve("bob"), bob), podIp + ":7000")));
        TunnelSession pg2 = await().atMost(60, TimeUnit.SECONDS).until(() -> ready(ns, "pg", 2),
                s -> s.getStatus().getEndpoint().getPort() != 2222);
        await().atMost(30, TimeUnit.SECONDS).ignoreExceptions().untilAsserted(() -> assertEquals("ping",
                talk(new SessionUser(pg2, ClusterFixtures.secretItems(ns, "pg-ssh"), home.resolve("pg2"), null), pgTarget)));

        // the users end their sessions
        for (String name : List.of("pg", "host-own")) {
            kubectl.succeed("delete", "-n", ns, "ts/" + name, "--wait=false");
            kubectl.succeed("wait", "-n", ns, "--for=delete", "ts/" + name, "--timeout=60s");
            ClusterFixtures.assertNothingLeft(ns, name);
        }

        // the denied session is deleted by the operator once its retention is over
        kubectl.succeed("wait", "-n", ns, "--for=delete", "ts/denied", "--timeout=60s");

        // the short session expires on time, its sshd goes at once, and retention removes the session itself
        TunnelSession expired = await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .until(() -> session(ns, "short"), s -> s == null || s.getStatus() != null
                        && s.getStatus().getPhase() == SessionPhase.Expired);
        assertNotNull(expired, "the expired session was deleted before its Expired phase was seen");
        assertEquals(EndReason.Expired, expired.getStatus().getEndReason());
        Instant created = Instant.parse(expired.getMetadata().getCreationTimestamp());
        assertTrue(!Instant.parse(expired.getStatus().getEndedAt()).isBefore(created.plusSeconds(60)),
                "expired before its ttl: created " + created + ", ended " + expired.getStatus().getEndedAt());
        ClusterFixtures.assertNothingLeft(ns, "short");
        kubectl.succeed("wait", "-n", ns, "--for=delete", "ts/short", "--timeout=60s");
        System.out.println("short: ended " + expired.getStatus().getEndedAt() + ", deleted by the operator at "
                + Instant.now() + " (retention " + RETENTION + ")");
    }

    // ---- the audit

    /**
     * Every ResponseComplete event, or null while a request of a stopped operator (an earlier User-Agent than
     * {@code current}) has started and not completed: watches are recorded complete only when they end.
     */
    static List<Request> readAudit(Path log, String current) throws IOException {
        List<Request> done = new ArrayList<>();
        return readAudit(log, current, done) ? null : done;
    }

    /** The requests completed so far, whatever is still open (the watches of the operators that run). */
    static List<Request> completedRequests(Path log) throws IOException {
        List<Request> done = new ArrayList<>();
        readAudit(log, "", done);
        return done;
    }

    private static boolean readAudit(Path log, String current, List<Request> complete) throws IOException {
        return AuditLog.read(log, new AuditLog.OpenRequests(RealCluster.OPERATOR_USER_AGENT, current), complete::add);
    }

    void checkTheAudit(List<Request> all) {
        List<String> problems = new ArrayList<>();
        List<Request> operator = all.stream().filter(r -> OPERATOR_USER.equals(r.user())).toList();
        assertTrue(operator.size() > 50, "too few requests of the operator in the audit log: " + operator.size());

        // the operator acts only as its ServiceAccount, and nobody else uses that account
        all.stream().filter(r -> r.userAgent().startsWith(RealCluster.OPERATOR_USER_AGENT))
                .filter(r -> !OPERATOR_USER.equals(r.user()) || r.impersonated() != null)
                .forEach(r -> problems.add("the operator acted as another user: " + r));
        operator.stream().filter(r -> !r.userAgent().startsWith(RealCluster.OPERATOR_USER_AGENT))
                .forEach(r -> problems.add("the operator's account used by another client: " + r));

        // a 403 is a permission the operator needs and lacks
        operator.stream().filter(r -> r.code() == 403).forEach(r -> problems.add("forbidden (missing permission): " + r));

        ClusterRole role = admin.rbac().clusterRoles().withName(RealCluster.OPERATOR_ACCOUNT).get();
        assertNotNull(role, "the chart's ClusterRole is not installed");
        Role leaseRole = admin.rbac().roles().inNamespace(RealCluster.OPERATOR_NAMESPACE)
                .withName(RealCluster.OPERATOR_ACCOUNT + "-leader-election").get();
        assertNotNull(leaseRole, "the chart's leader-election Role is not installed");
        Map<String, Set<String>> granted = new TreeMap<>();
        List<PolicyRule> rules = new ArrayList<>(role.getRules());
        rules.addAll(leaseRole.getRules()); // in the operator's namespace only: checked below
        for (PolicyRule rule : rules) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    granted.computeIfAbsent((group.isEmpty() ? "" : group + "/") + resource, k -> new TreeSet<>())
                            .addAll(rule.getVerbs());
                }
            }
        }

        // every request covered by a granted rule
        Map<String, Map<String, List<Request>>> used = new TreeMap<>();
        for (Request r : operator) {
            if (r.key() == null) {
                problems.add("a non-resource request, which the ClusterRole does not grant: " + r);
                continue;
            }
            if (EVERY_USER.contains(r.verb() + " " + r.key())) {
                continue;
            }
            if (!granted.getOrDefault(r.key(), Set.of()).contains(r.verb())) {
                problems.add("not granted by the ClusterRole: " + r.verb() + " " + r.key() + " (" + r + ")");
            }
            if (r.key().equals("coordination.k8s.io/leases") && !RealCluster.OPERATOR_NAMESPACE.equals(r.namespace())) {
                problems.add("a Lease outside the operator's namespace, where its Role grants nothing: " + r);
            }
            used.computeIfAbsent(r.key(), k -> new TreeMap<>()).computeIfAbsent(r.verb(), v -> new ArrayList<>()).add(r);
        }

        // every granted verb used or explained; the table
        StringBuilder table = new StringBuilder(String.format("%n%-42s %-7s %-26s %s%n", "RESOURCE", "VERB",
                "USED (responses)", "EXPLAINED"));
        Set<String> explainedSeen = new HashSet<>();
        Map<String, Set<String>> rows = new TreeMap<>(granted);
        used.forEach((resource, verbs) -> rows.computeIfAbsent(resource, k -> new TreeSet<>()).addAll(verbs.keySet()));
        rows.forEach((resource, verbs) -> {
            for (String verb : verbs) {
                List<Request> requests = used.getOrDefault(resource, Map.of()).getOrDefault(verb, List.of());
                String explanation = EXPLAINED.get(resource + " " + verb);
                if (explanation != null) {
                    explainedSeen.add(resource + " " + verb);
                }
                boolean isGranted = granted.getOrDefault(resource, Set.of()).contains(verb);
                if (isGranted && requests.isEmpty() && explanation == null) {
                    problems.add("granted, never used and not explained: " + verb + " " + resource
                            + " (remove it from application.properties, or say why in SECURITY.md and EXPLAINED)");
                }
                table.append(String.format("%-42s %-7s %-26s %s%n", resource, verb,
                        requests.isEmpty() ? "-" : requests.size() + " (" + codes(requests) + ")",
                        !isGranted ? "NOT GRANTED" : explanation == null ? "" : explanation));
            }
        });
        EXPLAINED.keySet().stream().filter(k -> !explainedSeen.contains(k)
                || !granted.getOrDefault(k.split(" ")[0], Set.of()).contains(k.split(" ")[1]))
                .forEach(k -> problems.add("EXPLAINED lists " + k + ", which the ClusterRole does not grant"));
        System.out.println("the operator's requests in the audit log (" + operator.size() + ", user " + OPERATOR_USER
                + "), against the ClusterRole " + role.getMetadata().getName() + ":" + table);
        assertEquals(List.of(), problems, "the operator's RBAC against its requests");
    }

    private static String codes(List<Request> requests) {
        Map<Integer, Long> byCode = requests.stream().collect(Collectors.groupingBy(Request::code, TreeMap::new,
                Collectors.counting()));
        return byCode.entrySet().stream().map(e -> e.getKey() + (e.getValue() == requests.size() ? "" : "×" + e.getValue()))
                .collect(Collectors.joining(", "));
    }

    // ---- helpers

    static void apply(String ns, String yaml) {
        Kubectl.Result applied = kubectl.runWithInput(yaml, "apply", "-n", ns, "-f", "-");
        assertEquals(0, applied.exitCode(), applied.stderr());
    }

    static TunnelSession session(String ns, String name) {
        return admin.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
    }

    /** The session once Ready for this generation of its spec. */
    static TunnelSession ready(String ns, String name, long generation) {
        return await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(250)).until(() -> session(ns, name),
                s -> s != null && s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Ready
                        && Long.valueOf(generation).equals(s.getStatus().getObservedGeneration()));
    }

    static String talk(SessionUser user, String target) throws Exception {
        return SessionUser.run(user.ssh("-p", user.port(), "-W", target, "tunnel@" + user.host()), "ping").output();
    }

    static Path ownKey(Path home, String name) {
        Path key = home.resolve(name + "_ed25519");
        OpenSshTools.succeed("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name + "@laptop", "-f", key.toString());
        return key;
    }

    static String publicKey(Path key) throws IOException {
        return Files.readString(Path.of(key + ".pub")).strip();
    }



}
