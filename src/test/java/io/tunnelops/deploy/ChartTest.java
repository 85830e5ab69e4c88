package io.tunnelops.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;

/** The committed chart passes `helm lint` and renders the operator with its own, least-privilege RBAC. */
public class ChartTest {

    static final Path CHART = Path.of("deploy/helm/tunnel-operator");
    static final String SESSIONS_NAMESPACES = "QUARKUS_OPERATOR_SDK_CONTROLLERS_TUNNELSESSION_NAMESPACES";
    static final String POLICIES_NAMESPACES = "QUARKUS_OPERATOR_SDK_CONTROLLERS_TUNNELPOLICY_NAMESPACES";

    @Test
    void helmLintFindsNoFailure() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
    }

    @Test
    void helmTemplateRendersTheOperatorItsServiceAccountAndItsClusterRole() {
        String rendered = template().call();
        for (String expected : new String[] { "kind: Deployment", "kind: ServiceAccount", "kind: ClusterRole",
                "kind: ClusterRoleBinding", "image: ghcr.io/tunnelops/tunnel-operator:", "runAsNonRoot: true",
                "TUNNEL_OPERATOR_SSHD_IMAGE" }) {
            assertTrue(rendered.contains(expected), expected + " not rendered:\n" + rendered);
        }
        assertFalse(rendered.contains("\"*\""), "a wildcard in the rendered chart");
    }

    @Test
    void byDefaultTwoReplicasWatchEveryNamespaceWithTheClusterRoleAndShareALease() throws IOException {
        List<JsonNode> docs = documents(template().call());
        assertEquals(2, one(docs, "Deployment", "tunnel-operator").path("spec").path("replicas").asInt());
        assertEquals(Map.of(SESSIONS_NAMESPACES, "JOSDK_ALL_NAMESPACES", POLICIES_NAMESPACES, "JOSDK_ALL_NAMESPACES"),
                namespaceSettings(docs));
        assertEquals(List.of("ClusterRole tunnel-operator", "ClusterRoleBinding tunnel-operator",
                "Role tunnel-operator/tunnel-operator-leader-election",
                "RoleBinding tunnel-operator/tunnel-operator-leader-election"), rbac(docs));
    }

    @Test
    void aNamespaceListGetsRolesThereAndNoClusterWideReachButReadingNodes() throws IOException {
        List<JsonNode> docs = documents(template().withValuesFile(values("""
                app:
                  watchAllNamespaces: false
                  watchNamespaces: [team-a, team-b]
                """)).call());
        assertEquals(Map.of(SESSIONS_NAMESPACES, "team-a,team-b", POLICIES_NAMESPACES, "team-a,team-b"),
                namespaceSettings(docs));
        assertEquals(List.of("ClusterRole tunnel-operator-nodes", "ClusterRoleBinding tunnel-operator-nodes",
                "Role team-a/tunnel-operator", "Role team-b/tunnel-operator",
                "Role tunnel-operator/tunnel-operator-leader-election", "RoleBinding team-a/tunnel-operator",
                "RoleBinding team-b/tunnel-operator", "RoleBinding tunnel-operator/tunnel-operator-leader-election"),
                rbac(docs));
        JsonNode nodes = one(docs, "ClusterRole", "tunnel-operator-nodes");
        assertEquals("[{\"apiGroups\":[\"\"],\"resources\":[\"nodes\"],\"verbs\":[\"get\"]}]", nodes.path("rules").toString());
        JsonNode binding = one(docs, "RoleBinding", "tunnel-operator");
        assertEquals("Role", binding.path("roleRef").path("kind").asText());
        assertEquals("tunnel-operator", binding.path("subjects").get(0).path("namespace").asText());
    }

    @Test
    void aNamespaceListWithoutTurningOffAllNamespacesOrTheReverseIsRefusedWithWhatToSet() throws IOException {
        Exception both = assertThrows(Exception.class,
                () -> template().withValuesFile(values("app: {watchNamespaces: [team-a]}")).call());
        assertTrue(both.getMessage().contains("set app.watchAllNamespaces=false to watch only those namespaces"),
                both.getMessage());
        Exception none = assertThrows(Exception.class, () -> template().set("app.watchAllNamespaces", false).call());
        assertTrue(none.getMessage().contains("list the namespaces to watch in app.watchNamespaces"), none.getMessage());
    }

    public static TemplateCommand template() {
        return new Helm(CHART).template().withName("tunnel-operator").withNamespace("tunnel-operator");
    }

    /** A values file, as a user passes it with -f. */
    public static Path values(String yaml) throws IOException {
        Path file = Files.createTempFile("values-", ".yaml");
        file.toFile().deleteOnExit();
        return Files.writeString(file, yaml);
    }

    public static List<JsonNode> documents(String rendered) throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<JsonNode> docs = new ArrayList<>();
        try (var values = yaml.readerFor(JsonNode.class).readValues(rendered)) {
            while (values.hasNext()) {
                JsonNode doc = (JsonNode) values.next();
                if (doc != null && !doc.isNull() && doc.has("kind")) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    private static JsonNode one(List<JsonNode> docs, String kind, String name) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind))
                .filter(d -> d.path("metadata").path("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private static List<String> rbac(List<JsonNode> docs) {
        return docs.stream().filter(d -> d.path("kind").asText().matches("(Cluster)?Role(Binding)?"))
                .map(d -> d.path("kind").asText() + " " + (d.path("metadata").has("namespace")
                        ? d.path("metadata").path("namespace").asText() + "/" : "") + d.path("metadata").path("name").asText())
                .sorted().toList();
    }

    private static Map<String, String> namespaceSettings(List<JsonNode> docs) {
        Map<String, String> settings = new TreeMap<>();
        one(docs, "Deployment", "tunnel-operator").path("spec").path("template").path("spec").path("containers").get(0)
                .path("env").forEach(env -> {
                    if (env.path("name").asText().endsWith("_NAMESPACES")) {
                        settings.put(env.path("name").asText(), env.path("value").asText());
                    }
                });
        return settings;
    }
}
