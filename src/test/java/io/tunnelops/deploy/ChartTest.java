package io.tunnelops.deploy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;

/** The committed chart passes `helm lint` and renders the operator with its own, least-privilege RBAC. */
class ChartTest {

    static final Path CHART = Path.of("deploy/helm/tunnel-operator");

    @Test
    void helmLintFindsNoFailure() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
    }

    @Test
    void helmTemplateRendersTheOperatorItsServiceAccountAndItsClusterRole() {
        String rendered = new Helm(CHART).template().withName("tunnel-operator").withNamespace("tunnel-operator").call();
        for (String expected : new String[] { "kind: Deployment", "kind: ServiceAccount", "kind: ClusterRole",
                "kind: ClusterRoleBinding", "image: ghcr.io/tunnelops/tunnel-operator:", "runAsNonRoot: true",
                "TUNNEL_OPERATOR_SSHD_IMAGE" }) {
            assertTrue(rendered.contains(expected), expected + " not rendered:\n" + rendered);
        }
        assertFalse(rendered.contains("\"*\""), "a wildcard in the rendered chart");
    }
}
