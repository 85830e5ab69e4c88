package io.tunnelops.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.tunnelops.testing.CrdAdmission;

/**
 * Every TunnelSession and TunnelPolicy in examples/ (every document of every file, in every folder) is one the API
 * server accepts, as the README promises; the other documents are whole Kubernetes objects. The GitHub Actions
 * workflow is no Kubernetes object: CiExamplesTest checks it.
 */
class ExamplesAdmissionTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Path WORKFLOWS = Path.of("examples/github-actions");
    private static final Map<String, String> CRDS = Map.of("TunnelSession", "tunnelsessions.tunnelops.io-v1.yml",
            "TunnelPolicy", "tunnelpolicies.tunnelops.io-v1.yml");

    static List<Path> examples() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("examples"))) {
            return files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                    .filter(f -> !f.startsWith(WORKFLOWS)).sorted().toList();
        }
    }

    @ParameterizedTest
    @MethodSource("examples")
    void theApiServerAcceptsEveryDocumentOfTheExample(Path example) throws IOException {
        String yaml = Files.readString(example);
        assertTrue(yaml.startsWith("#"), example + " starts with a comment saying what it shows and how to use it");
        List<String> documents = documents(yaml);
        assertFalse(documents.isEmpty(), example + " holds no document");
        for (String document : documents) {
            JsonNode object = YAML.readTree(document);
            String kind = object.path("kind").asText();
            String where = example + ", " + kind + " " + object.at("/metadata/name").asText();
            assertFalse(object.path("apiVersion").asText().isBlank(), where + ": apiVersion");
            assertFalse(kind.isBlank(), where + ": kind");
            assertFalse(object.at("/metadata/name").asText().isBlank(), where + ": metadata.name");
            if (CRDS.containsKey(kind)) {
                assertEquals("tunnelops.io/v1alpha1", object.path("apiVersion").asText(), where);
                CrdAdmission.AdmissionResult admitted = CrdAdmission.forCrdFile(CRDS.get(kind)).admit(document);
                assertEquals(List.of(), admitted.violations(), where);
                // the API server prunes a field its schema does not know, with a warning: a misspelled field
                // (ttl as tll) would leave the example admitted but without the setting it shows
                assertEquals(List.of(), admitted.warnings(), where + ": unknown fields are pruned");
            } else {
                // a built-in kind: every field one its Kubernetes model knows (the API server drops the others)
                assertEquals(List.of(), unknownFields(new KubernetesSerialization().unmarshal(document), kind),
                        where + ": fields Kubernetes does not know");
            }
        }
    }

    @Test
    void subfoldersAreCoveredAndTheHostSessionComesWithThePolicyThatAllowsIt() throws IOException {
        List<String> names = examples().stream().map(Path::toString).toList();
        assertTrue(names.contains("examples/external-host-tunnel.yaml"), names.toString());
        assertTrue(names.contains("examples/rbac/ci-role.yaml"), names.toString());
        assertTrue(documents(Files.readString(Path.of("examples/external-host-tunnel.yaml"))).stream()
                .map(d -> d.contains("\nkind: TunnelPolicy") ? "policy" : "session").toList()
                .equals(List.of("policy", "session")), "the host's session comes with the policy that allows it");
    }

    @Test
    void aMisspelledFieldOfABuiltInKindIsFound() {
        String role = """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: Role
                metadata: {name: r}
                rules:
                  - apiGroups: [tunnelops.io]
                    resources: [tunnelsessions]
                    verb: [get]
                """;
        assertEquals(List.of("Role.rules[0]: verb"), unknownFields(new KubernetesSerialization().unmarshal(role), "Role"));
    }

    /**
     * The fields of a Fabric8 model object, at any depth, that its class does not know (kept in its
     * additionalProperties), as "where: name".
     */
    private static List<String> unknownFields(Object value, String where) {
        List<String> found = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                found.addAll(unknownFields(list.get(i), where + "[" + i + "]"));
            }
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> found.addAll(unknownFields(item, where + "." + key)));
        } else if (value != null && value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
            for (Method getter : value.getClass().getMethods()) {
                if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get")
                        || getter.getDeclaringClass() == Object.class) {
                    continue;
                }
                Object field = invoke(getter, value);
                if (getter.getName().equals("getAdditionalProperties")) {
                    ((Map<?, ?>) field).keySet().forEach(name -> found.add(where + ": " + name));
                } else {
                    String name = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
                    found.addAll(unknownFields(field, where + "." + name));
                }
            }
        }
        return found;
    }

    private static Object invoke(Method getter, Object target) {
        try {
            return getter.invoke(target);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(getter.toString(), e);
        }
    }

    /** The documents of a YAML stream, without empty ones (a comment-only header before the first ---). */
    private static List<String> documents(String yaml) throws IOException {
        List<String> documents = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            JsonNode node = YAML.readTree(document);
            if (node != null && !node.isMissingNode() && !node.isNull()) {
                documents.add(document);
            }
        }
        return documents;
    }
}
