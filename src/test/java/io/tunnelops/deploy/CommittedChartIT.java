package io.tunnelops.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * deploy/helm is the chart the build generates (target/helm), committed: a chart that drifts from the operator's code
 * (its RBAC, its CRDs) fails here. Lines are compared as multisets, since the generator does not keep label order.
 */
class CommittedChartIT {

    static final Path GENERATED = Path.of("target/helm/kubernetes/tunnel-operator");
    static final Path COMMITTED = Path.of("deploy/helm/tunnel-operator");

    @Test
    void theCommittedChartIsTheGeneratedOne() throws IOException {
        assertTrue(Files.isDirectory(GENERATED), GENERATED + " is missing: run ./mvnw package");
        Map<String, List<String>> generated = chart(GENERATED);
        Map<String, List<String>> committed = chart(COMMITTED);
        assertEquals(generated.keySet(), committed.keySet(),
                "files differ: run ./mvnw package and copy " + GENERATED + " to deploy/helm/");
        generated.forEach((file, lines) -> assertEquals(lines, committed.get(file),
                file + " differs: run ./mvnw package and copy " + GENERATED + " to deploy/helm/"));
    }

    private static Map<String, List<String>> chart(Path root) throws IOException {
        Map<String, List<String>> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path file : paths.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(file).toString(), Files.readAllLines(file).stream().sorted().toList());
            }
        }
        return files;
    }
}
