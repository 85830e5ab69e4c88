package io.tunnelops.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.tunnelops.testing.CrdAdmission;

/** Every TunnelSession and TunnelPolicy in examples/ is one the API server accepts, as the README promises. */
class ExamplesAdmissionTest {

    static List<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("examples"))) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    @ParameterizedTest
    @MethodSource("examples")
    void theApiServerAcceptsTheExample(Path example) throws IOException {
        String yaml = Files.readString(example);
        assertTrue(yaml.contains("kind: TunnelSession") || yaml.contains("kind: TunnelPolicy"), example + " is of another kind");
        // a file may hold several documents (shell-demo.yaml: the app it needs too); ours are admitted one by one
        for (String document : yaml.split("(?m)^---$")) {
            String crd = document.contains("\nkind: TunnelPolicy") ? "tunnelpolicies.tunnelops.io-v1.yml"
                    : document.contains("\nkind: TunnelSession") ? "tunnelsessions.tunnelops.io-v1.yml" : null;
            if (crd != null) {
                assertEquals(List.of(), CrdAdmission.forCrdFile(crd).admit(document).violations(), example.toString());
            }
        }
    }
}
