package io.tunnelops.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.tunnelops.deploy.ChartTest;

/**
 * The operator's RBAC, as generated (target/kubernetes/kubernetes.yml, written by `./mvnw package`) and as shipped in
 * the chart (deploy/helm): only the verbs and resources the operator's code calls, no wildcard, no built-in role.
 * A failsafe IT because the generated manifests exist only after the package phase.
 */
class OperatorRbacIT {

    static final String GENERATED = "target/kubernetes/kubernetes.yml";
    /** The chart as `helm install` renders it: watching every namespace (the default), and a namespace list. */
    static final String CHART = "chart";
    static final String CHART_NAMESPACED = "chart with watchNamespaces";

    /**
     * The most the operator may hold, "apiGroup/resource" → verbs, from what the code calls: the informers of the
     * reconcilers and dependents (list, watch), the dependents' CRUD, OrphanSweeper (list, delete in all namespaces),
     * SessionEvents (create), SessionEndpoints (get the node of a NodePort session's sshd pod), the retention delete (get, delete a session).
     */
    static final Map<String, Set<String>> ALLOWED = new TreeMap<>();
    /**
     * The least it needs: each of these was seen in the requests the operator sent to the API server during a whole
     * lifecycle (ready, denied, NodePort, edits, expiry, retention, deletion; OperatorRbacAuditIT reads them from the real
     * API server's audit log). Trimming one breaks the operator in a real cluster only: the mock server has no RBAC.
     */
    static final Map<String, Set<String>> REQUIRED = new TreeMap<>();
    static {
        Set<String> crud = Set.of("get", "list", "watch", "create", "update", "patch", "delete");
        // owned objects; patch is unused while server-side apply is off, kept so turning SSA on needs no RBAC change
        for (String owned : List.of("/secrets", "/services", "apps/deployments", "networking.k8s.io/networkpolicies")) {
            ALLOWED.put(owned, crud);
            REQUIRED.put(owned, Set.of("list", "watch", "create", "update", "delete"));
        }
        ALLOWED.put("/pods", Set.of("get", "list", "watch")); // termination messages of sshd pods
        REQUIRED.put("/pods", Set.of("list", "watch"));
        ALLOWED.put("/nodes", Set.of("get")); // the address of the node running a NodePort session's sshd
        REQUIRED.put("/nodes", Set.of("get"));
        // leader election (Leadership): the Lease tunnel-operator in the operator's namespace
        ALLOWED.put("coordination.k8s.io/leases", Set.of("get", "create", "update", "patch"));
        REQUIRED.put("coordination.k8s.io/leases", Set.of("get", "create", "update", "patch"));
        ALLOWED.put("/events", Set.of("create"));
        REQUIRED.put("/events", Set.of("create"));
        ALLOWED.put("tunnelops.io/tunnelsessions", Set.of("get", "list", "watch", "patch", "update", "delete"));
        REQUIRED.put("tunnelops.io/tunnelsessions", Set.of("get", "list", "watch", "patch", "delete"));
        ALLOWED.put("tunnelops.io/tunnelsessions/status", Set.of("patch", "update"));
        REQUIRED.put("tunnelops.io/tunnelsessions/status", Set.of("patch"));
        // OwnerReferencesPermissionEnforcement checks update on the owner's finalizers only for ownerReferences with
        // blockOwnerDeletion, which the operator's do not set: allowed, not required. The real cluster enforces it, so
        // OperatorRbacAuditIT would see a 403 if they ever did.
        ALLOWED.put("tunnelops.io/tunnelsessions/finalizers", Set.of("update"));
        // TunnelPolicy: the policy controller's informer (list, watch) and the status it writes (patch)
        ALLOWED.put("tunnelops.io/tunnelpolicies", Set.of("get", "list", "watch"));
        REQUIRED.put("tunnelops.io/tunnelpolicies", Set.of("list", "watch"));
        ALLOWED.put("tunnelops.io/tunnelpolicies/status", Set.of("patch", "update"));
        REQUIRED.put("tunnelops.io/tunnelpolicies/status", Set.of("patch"));
    }
    static final Set<String> BUILT_IN_ROLES = Set.of("view", "edit", "admin", "cluster-admin");

    @ParameterizedTest
    @ValueSource(strings = { GENERATED, CHART, CHART_NAMESPACED })
    void onlyTheRulesTheOperatorUsesAndNoWildcard(String manifest) throws IOException {
        Map<String, Set<String>> granted = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        List<JsonNode> docs = documents(manifest);
        // every value of every rule, read as YAML: a star however it is quoted, and a scalar where a list belongs
        ChartTest.wildcards(docs).forEach(w -> problems.add("wildcard: " + w));
        for (JsonNode doc : docs) {
            if (!List.of("Role", "ClusterRole").contains(doc.path("kind").asText())) {
                continue;
            }
            for (JsonNode rule : doc.path("rules")) {
                for (String field : List.of("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")) {
                    if (!rule.path(field).isMissingNode() && !rule.path(field).isArray()) {
                        problems.add(field + " is not a list: " + rule);
                    }
                }
                if (!rule.path("nonResourceURLs").isMissingNode()) {
                    problems.add("non-resource URLs: " + rule);
                }
                if (!rule.path("apiGroups").isArray() || rule.path("apiGroups").isEmpty() || rule.path("resources").isEmpty()
                        || rule.path("verbs").isEmpty()) {
                    problems.add("a rule without apiGroups, resources or verbs: " + rule);
                }
                for (JsonNode group : rule.path("apiGroups")) {
                    for (JsonNode resource : rule.path("resources")) {
                        Set<String> verbs = granted.computeIfAbsent(group.asText() + "/" + resource.asText(), k -> new TreeSet<>());
                        rule.path("verbs").forEach(v -> verbs.add(v.asText()));
                    }
                }
            }
        }
        System.out.println("RBAC rules in " + manifest + ":");
        granted.forEach((resource, verbs) -> System.out.println("  " + resource + " " + verbs));

        granted.forEach((resource, verbs) -> {
            Set<String> allowed = ALLOWED.get(resource);
            if (allowed == null) {
                problems.add("a rule for " + resource + ", which the operator does not use: " + verbs);
            } else {
                verbs.stream().filter(v -> !allowed.contains(v))
                        .forEach(v -> problems.add(resource + ": verb " + v + " is not one the operator uses"));
            }
        });
        REQUIRED.forEach((resource, verbs) -> verbs.stream()
                .filter(v -> !granted.getOrDefault(resource, Set.of()).contains(v))
                .forEach(v -> problems.add(resource + ": verb " + v + " is missing, the operator needs it")));
        assertEquals(List.of(), problems, "RBAC in " + manifest);
    }

    @ParameterizedTest
    @ValueSource(strings = { GENERATED, CHART, CHART_NAMESPACED })
    void bindingsGrantOnlyTheOperatorsOwnRoleToItsServiceAccount(String manifest) throws IOException {
        List<String> bindings = new ArrayList<>();
        for (JsonNode doc : documents(manifest)) {
            if (!doc.path("kind").asText().endsWith("RoleBinding")) {
                continue;
            }
            String binding = doc.path("kind").asText() + " " + doc.path("metadata").path("name").asText();
            String role = doc.path("roleRef").path("name").asText();
            bindings.add(binding + " -> " + doc.path("roleRef").path("kind").asText() + " " + role);
            assertFalse(BUILT_IN_ROLES.contains(role) || role.startsWith("system:"), binding + " binds the built-in role " + role);
            assertTrue(role.equals("tunnel-operator") || role.startsWith("tunnel-operator-"),
                    binding + " binds a role that is not the operator's: " + role);
            for (JsonNode subject : doc.path("subjects")) {
                assertEquals("ServiceAccount", subject.path("kind").asText(), binding + ": " + subject);
                assertEquals("tunnel-operator", subject.path("name").asText(), binding + ": " + subject);
            }
        }
        System.out.println("RBAC bindings in " + manifest + ": " + bindings);
        assertFalse(bindings.isEmpty(), "no binding in " + manifest);
    }

    /** Properties can only make the operator's pod non-root (pod level): that much, and no baseline violation. */
    @Test
    void theOperatorsOwnPodRunsAsNonRootWithinBaseline() throws IOException {
        JsonNode deployment = documents(GENERATED).stream().filter(d -> d.path("kind").asText().equals("Deployment"))
                .findFirst().orElseThrow(() -> new AssertionError("no Deployment in " + GENERATED));
        JsonNode template = deployment.path("spec").path("template");
        PodSpec pod = new ObjectMapper().convertValue(template.path("spec"), PodSpec.class);
        assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
        assertTrue(pod.getSecurityContext().getRunAsUser() != null && pod.getSecurityContext().getRunAsUser() > 0);
        assertEquals(List.of(), PodSecurityRestricted.baselineViolations(pod, Map.of()));
        System.out.println("the operator's pod, restricted controls not met: "
                + PodSecurityRestricted.violations(pod, Map.of()));
    }

    private static List<JsonNode> documents(String manifest) throws IOException {
        if (manifest.equals(CHART)) {
            return ChartTest.documents(ChartTest.template().call());
        }
        if (manifest.equals(CHART_NAMESPACED)) {
            return ChartTest.documents(ChartTest.template().withValuesFile(ChartTest.values(
                    "app: {watchAllNamespaces: false, watchNamespaces: [team-a, team-b]}")).call());
        }
        Path file = Path.of(manifest);
        assertTrue(Files.exists(file), file + " is missing: run ./mvnw package");
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<JsonNode> docs = new ArrayList<>();
        try (var values = yaml.readerFor(JsonNode.class).readValues(Files.readString(file))) {
            while (values.hasNext()) {
                JsonNode doc = (JsonNode) values.next();
                if (doc != null && !doc.isNull()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }
}
