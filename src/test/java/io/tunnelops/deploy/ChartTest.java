package io.tunnelops.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

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
    void helmTemplateRendersTheOperatorItsServiceAccountAndItsClusterRole() throws IOException {
        String rendered = template().call();
        for (String expected : new String[] { "kind: Deployment", "kind: ServiceAccount", "kind: ClusterRole",
                "kind: ClusterRoleBinding", "image: ghcr.io/tunnelops/tunnel-operator:", "runAsNonRoot: true",
                "TUNNEL_OPERATOR_SSHD_IMAGE" }) {
            assertTrue(rendered.contains(expected), expected + " not rendered:\n" + rendered);
        }
        assertEquals(List.of(), wildcards(documents(rendered)), "a wildcard in the rendered chart");
    }

    @Test
    void noWildcardInTheRolesOfAnyRendering() throws IOException {
        assertEquals(List.of(), wildcards(documents(template().call())));
        assertEquals(List.of(), wildcards(documents(template().withValuesFile(values(
                "app: {watchAllNamespaces: false, watchNamespaces: [team-a, team-b]}")).call())));
        assertEquals(List.of(), wildcards(documents(template().set("serviceMonitor.enabled", "true").call())));
    }

    /** The wildcard check reads the YAML, so it sees a star however it is written: quoted, bare, in a flow list, alone. */
    @Test
    void theWildcardCheckFindsAStarHoweverItIsSpelled() throws IOException {
        for (String spelling : List.of("verbs: ['*']", "verbs: [\"*\"]", "verbs:\n  - '*'", "verbs:\n  - \"*\"",
                "verbs: '*'", "verbs: [get, \"\\x2a\"]", "verbs: [get]\n  resources: [pods/*]", "verbs: [get]\n  apiGroups: ['*']")) {
            String role = "kind: ClusterRole\nmetadata: {name: r}\nrules:\n- " + spelling + "\n";
            assertEquals(1, wildcards(documents(role)).size(), role);
        }
        assertEquals(List.of(), wildcards(documents("kind: ClusterRole\nmetadata: {name: r}\nrules:\n- verbs: [get]\n")));
    }

    /** Every value containing '*' anywhere in the rules of a Role or ClusterRole, with where it is. */
    public static List<String> wildcards(List<JsonNode> docs) {
        List<String> found = new ArrayList<>();
        for (JsonNode doc : docs) {
            if (doc.path("kind").asText().matches("(Cluster)?Role")) {
                collectWildcards(doc.path("kind").asText() + " " + doc.path("metadata").path("name").asText() + " rules",
                        doc.path("rules"), found);
            }
        }
        return found;
    }

    private static void collectWildcards(String where, JsonNode node, List<String> found) {
        if (node.isValueNode() && node.asText().contains("*")) {
            found.add(where + ": " + node.asText());
        }
        node.fields().forEachRemaining(field -> collectWildcards(where + "." + field.getKey(), field.getValue(), found));
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                collectWildcards(where + "[" + i + "]", node.get(i), found);
            }
        }
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

    @Test
    void theProbesAndTheManagementPortAreTheManagementInterfaceAndJsonLogsAreOffByDefault() {
        List<HasMetadata> objects = render(template());
        Container container = operatorContainer(objects);
        assertEquals(List.of("http:8080", "management:9000"), container.getPorts().stream()
                .map(p -> p.getName() + ":" + p.getContainerPort()).sorted().toList());
        for (Probe probe : List.of(container.getLivenessProbe(), container.getReadinessProbe(), container.getStartupProbe())) {
            assertEquals(9000, probe.getHttpGet().getPort().getIntVal(), probe.toString());
            assertTrue(probe.getHttpGet().getPath().startsWith("/q/health/"), probe.toString());
        }
        assertEquals("false", env(container, "QUARKUS_LOG_CONSOLE_JSON_ENABLED"));
        assertEquals(List.of(), objects.stream().filter(o -> o.getKind().equals("ServiceMonitor")
                || o.getMetadata().getName().equals("tunnel-operator-metrics")).toList(), "no ServiceMonitor by default");
    }

    @Test
    void serviceMonitorEnabledAddsAServiceMonitorThatScrapesTheManagementPortThroughItsOwnService() {
        List<HasMetadata> objects = render(template().set("serviceMonitor.enabled", "true"));
        GenericKubernetesResource monitor = (GenericKubernetesResource) objects.stream()
                .filter(o -> o.getKind().equals("ServiceMonitor")).findFirst().orElseThrow();
        Service metrics = objects.stream().filter(Service.class::isInstance).map(Service.class::cast)
                .filter(s -> s.getMetadata().getName().equals("tunnel-operator-metrics")).findFirst().orElseThrow();
        @SuppressWarnings("unchecked")
        Map<String, String> selector = (Map<String, String>) monitor.get("spec", "selector", "matchLabels");
        assertTrue(metrics.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()),
                "the ServiceMonitor selects the metrics Service: " + selector);
        assertEquals("management", monitor.get("spec", "endpoints", 0, "port"));
        assertEquals("/q/metrics", monitor.get("spec", "endpoints", 0, "path"));
        assertEquals("management", metrics.getSpec().getPorts().get(0).getName());
        assertEquals("management", metrics.getSpec().getPorts().get(0).getTargetPort().getStrVal());
        Deployment deployment = objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .findFirst().orElseThrow();
        assertTrue(deployment.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                .containsAll(metrics.getSpec().getSelector().entrySet()), "the metrics Service selects the operator's pod");
    }

    @Test
    void theChartsJsonLogsValueSetsTheVariableThatSwitchesThemOn() {
        Container container = operatorContainer(render(template().set("logging.json", "true")));
        assertEquals("true", env(container, "QUARKUS_LOG_CONSOLE_JSON_ENABLED"));
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

    private static List<HasMetadata> render(TemplateCommand template) {
        String rendered = template.call();
        Object parsed = new KubernetesSerialization().unmarshal(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8)));
        @SuppressWarnings("unchecked")
        List<HasMetadata> objects = parsed instanceof List<?> list ? (List<HasMetadata>) list : List.of((HasMetadata) parsed);
        return objects;
    }

    private static Container operatorContainer(List<HasMetadata> objects) {
        return objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).findFirst().orElseThrow()
                .getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    private static String env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in " + container.getEnv()));
    }
}
