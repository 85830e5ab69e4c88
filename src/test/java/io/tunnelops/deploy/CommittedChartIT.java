package io.tunnelops.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * deploy/helm is the chart the build generates (target/helm), committed: a chart that drifts from the operator's code
 * (its RBAC, its CRDs) fails here. YAML and JSON files are compared as parsed documents: mappings in any key order
 * (the generator does not keep label order), lists in their order except where Kubernetes ignores it (the rules of a
 * Role and a rule's apiGroups, resources, verbs and resourceNames; a container's ports). A template's Helm directives stay in place between
 * the documents they enclose, so a rule moved into another branch, or a verb moved to another rule, is a difference.
 */
class CommittedChartIT {

    static final Path GENERATED = Path.of("target/helm/kubernetes/tunnel-operator");
    static final Path COMMITTED = Path.of("deploy/helm/tunnel-operator");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A Helm action, which may span lines ({{- /* a comment *\/}}). */
    private static final Pattern ACTION = Pattern.compile("\\{\\{.*?\\}\\}", Pattern.DOTALL);

    @Test
    void theCommittedChartIsTheGeneratedOne() throws IOException {
        assertTrue(Files.isDirectory(GENERATED), GENERATED + " is missing: run ./mvnw package");
        Map<String, Object> generated = chart(GENERATED);
        Map<String, Object> committed = chart(COMMITTED);
        assertEquals(generated.keySet(), committed.keySet(),
                "files differ: run ./mvnw package and copy " + GENERATED + " to deploy/helm/");
        generated.forEach((file, content) -> assertEquals(content, committed.get(file),
                file + " differs: run ./mvnw package and copy " + GENERATED + " to deploy/helm/"));
    }

    /** What the comparison ignores and what it does not, on a Role as the generator writes it. */
    @Test
    void keyOrderAndRuleOrderAreIgnoredAVerbMovedBetweenRulesIsNot() throws IOException {
        String role = """
                {{- if .Values.app.watchAllNamespaces }}
                kind: ClusterRole
                metadata:
                  labels: {a: "1", b: "2"}
                  name: {{ .Release.Name }}
                rules:
                  - apiGroups: [""]
                    resources: [secrets]
                    verbs:
                      - get
                      - list
                  - apiGroups: [apps]
                    resources: [deployments]
                    verbs:
                      - watch
                {{- end }}
                """;
        String reordered = role.replace("labels: {a: \"1\", b: \"2\"}", "labels: {b: \"2\", a: \"1\"}")
                .replace("- get\n      - list", "- list\n      - get");
        String rulesSwapped = """
                {{- if .Values.app.watchAllNamespaces }}
                kind: ClusterRole
                metadata:
                  labels: {a: "1", b: "2"}
                  name: {{ .Release.Name }}
                rules:
                  - apiGroups: [apps]
                    resources: [deployments]
                    verbs:
                      - watch
                  - apiGroups: [""]
                    resources: [secrets]
                    verbs:
                      - get
                      - list
                {{- end }}
                """;
        // list moves from the secrets rule to the deployments rule: the same lines, sorted
        String verbMoved = role.replace("- get\n      - list\n", "- get\n").replace("- watch\n", "- watch\n      - list\n");
        assertEquals(role.lines().sorted().toList(), verbMoved.lines().sorted().toList());
        String outsideTheBranch = role.replace("{{- end }}\n", "").replace("kind: ClusterRole", "{{- end }}\nkind: ClusterRole");

        assertEquals(content("role.yaml", role), content("role.yaml", reordered));
        assertEquals(content("role.yaml", role), content("role.yaml", rulesSwapped));
        assertNotEquals(content("role.yaml", role), content("role.yaml", verbMoved));
        assertNotEquals(content("role.yaml", role), content("role.yaml", outsideTheBranch));
    }

    private static Map<String, Object> chart(Path root) throws IOException {
        Map<String, Object> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path file : paths.filter(Files::isRegularFile).toList()) {
                String name = root.relativize(file).toString();
                files.put(name, content(name, Files.readString(file)));
            }
        }
        return files;
    }

    /** A YAML file as its directives and parsed documents in order; JSON parsed; anything else as text. */
    private static Object content(String name, String text) throws IOException {
        if (name.endsWith(".json")) {
            return JSON.readTree(text);
        }
        if (!name.endsWith(".yaml") && !name.endsWith(".yml")) {
            return text;
        }
        List<Object> parts = new ArrayList<>();
        StringBuilder yaml = new StringBuilder();
        Matcher action = ACTION.matcher(text);
        int last = 0;
        while (action.find()) {
            int lineStart = text.lastIndexOf('\n', action.start() - 1) + 1;
            int lineEnd = text.indexOf('\n', action.end());
            lineEnd = lineEnd < 0 ? text.length() : lineEnd;
            boolean ownLine = text.substring(lineStart, action.start()).isBlank()
                    && text.substring(action.end(), lineEnd).isBlank();
            if (ownLine) {
                // a directive (if, range, end, a comment): the YAML before it is one part, the directive the next
                yaml.append(text, last, lineStart);
                parts.add(documents(yaml.toString()));
                yaml.setLength(0);
                parts.add(action.group().replaceAll("\\s+", " "));
                last = lineEnd;
            } else {
                // a value ({{ .Values.x }}): kept as a string, so the line still parses
                yaml.append(text, last, action.start()).append('\'').append(action.group().replace("'", "''")).append('\'');
                last = action.end();
            }
        }
        yaml.append(text.substring(last));
        parts.add(documents(yaml.toString()));
        return parts;
    }

    private static List<JsonNode> documents(String yaml) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (var values = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (values.hasNext()) {
                JsonNode doc = (JsonNode) values.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(withContainerPortsInOneOrder(withRulesInOneOrder(doc)));
                }
            }
        }
        return docs;
    }

    /**
     * Each container's ports sorted: Kubernetes keys them by port and protocol, and the generator writes the http and
     * management ports in either order from one build to the next.
     */
    private static JsonNode withContainerPortsInOneOrder(JsonNode doc) {
        JsonNode copy = doc.deepCopy();
        for (JsonNode containers : copy.findValues("containers")) {
            for (JsonNode container : containers) {
                if (container.path("ports").isArray() && container instanceof ObjectNode editable) {
                    ArrayNode ports = JSON.createArrayNode();
                    List.of(toArray(container.path("ports"))).stream()
                            .sorted(Comparator.comparing(JsonNode::toString)).forEach(ports::add);
                    editable.set("ports", ports);
                }
            }
        }
        return copy;
    }

    /** A Role's rules, and the lists inside each, sorted: their order means nothing to Kubernetes. */
    private static JsonNode withRulesInOneOrder(JsonNode doc) {
        if (!doc.path("kind").asText().matches("(Cluster)?Role") || !doc.path("rules").isArray()) {
            return doc;
        }
        List<JsonNode> rules = new ArrayList<>();
        for (JsonNode rule : doc.path("rules")) {
            ObjectNode sorted = rule.deepCopy();
            for (String field : List.of("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")) {
                if (rule.path(field).isArray()) {
                    ArrayNode values = JSON.createArrayNode();
                    new ArrayList<JsonNode>(List.of(toArray(rule.path(field)))).stream()
                            .sorted(Comparator.comparing(JsonNode::toString)).forEach(values::add);
                    sorted.set(field, values);
                }
            }
            rules.add(sorted);
        }
        ObjectNode result = doc.deepCopy();
        ArrayNode ordered = result.putArray("rules");
        rules.stream().sorted(Comparator.comparing(JsonNode::toString)).forEach(ordered::add);
        return result;
    }

    private static JsonNode[] toArray(JsonNode array) {
        JsonNode[] values = new JsonNode[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i);
        }
        return values;
    }
}
