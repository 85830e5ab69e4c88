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

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The operator's RBAC, as generated (target/kubernetes) and as shipped in the chart (deploy/helm): only the verbs and
 * resources the operator's code calls, no wildcard, no built-in role.
 */
class OperatorRbacIT {

    /** What the code calls, resource by resource (see the reconcilers, the owned-resource classes, OrphanSweeper). */
    static final Map<String, Set<String>> EXPECTED = new TreeMap<>(Map.of(
            "tunnelops.io/tunnelsessions", Set.of("get", "list", "watch", "patch", "update", "delete"),
            "tunnelops.io/tunnelsessions/status", Set.of("patch", "update"),
            "tunnelops.io/tunnelsessions/finalizers", Set.of("patch", "update"),
            "tunnelops.io/tunnelpolicies", Set.of("get", "list", "watch"),
            "tunnelops.io/tunnelpolicies/status", Set.of("patch"),
            "/secrets", Set.of("get", "list", "watch", "create", "update", "patch", "delete"),
            "/services", Set.of("get", "list", "watch", "create", "update", "patch", "delete"),
            "apps/deployments", Set.of("get", "list", "watch", "create", "update", "patch", "delete"),
            "networking.k8s.io/networkpolicies", Set.of("get", "list", "watch", "create", "update", "patch", "delete"),
            "/pods", Set.of("get", "list", "watch")));
    static {
        EXPECTED.put("/nodes", Set.of("list"));
        EXPECTED.put("/events", Set.of("create"));
    }

    @ParameterizedTest
    @ValueSource(strings = { "target/kubernetes/kubernetes.yml", "deploy/helm/tunnel-operator/templates/clusterrole.yaml" })
    void onlyTheRulesTheOperatorUsesAndNoWildcard(String manifest) throws IOException {
        Map<String, Set<String>> granted = new TreeMap<>();
        for (JsonNode doc : documents(Path.of(manifest))) {
            if (!doc.path("kind").asText().endsWith("Role")) {
                continue;
            }
            for (JsonNode rule : doc.path("rules")) {
                for (JsonNode group : rule.path("apiGroups")) {
                    for (JsonNode resource : rule.path("resources")) {
                        Set<String> verbs = granted.computeIfAbsent(group.asText() + "/" + resource.asText(), k -> new TreeSet<>());
                        rule.path("verbs").forEach(v -> verbs.add(v.asText()));
                    }
                }
                assertFalse(rule.toString().contains("\"*\""), "wildcard in " + manifest + ": " + rule);
                assertTrue(rule.path("nonResourceURLs").isMissingNode(), "non-resource URLs in " + manifest);
                assertTrue(rule.path("resourceNames").isMissingNode() || rule.path("resourceNames").isEmpty());
            }
        }
        System.out.println("RBAC in " + manifest + ": " + granted);
        assertEquals(new TreeMap<>(EXPECTED), granted, "the operator's rules in " + manifest);
    }

    @ParameterizedTest
    @ValueSource(strings = { "target/kubernetes/kubernetes.yml", "deploy/helm/tunnel-operator/templates/clusterrolebinding.yaml",
            "deploy/helm/tunnel-operator/templates/rolebinding.yaml" })
    void bindingsGrantOnlyTheOperatorsOwnRoleToItsServiceAccount(String manifest) throws IOException {
        List<String> bindings = new ArrayList<>();
        for (JsonNode doc : documents(Path.of(manifest))) {
            if (!doc.path("kind").asText().endsWith("RoleBinding")) {
                continue;
            }
            bindings.add(doc.path("metadata").path("name").asText());
            assertEquals("tunnel-operator", doc.path("roleRef").path("name").asText(), "binding to a role not ours: " + doc);
            for (JsonNode subject : doc.path("subjects")) {
                assertEquals("ServiceAccount", subject.path("kind").asText());
                assertEquals("tunnel-operator", subject.path("name").asText());
            }
        }
        assertFalse(bindings.isEmpty(), "no binding in " + manifest);
    }

    private static List<JsonNode> documents(Path file) throws IOException {
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
