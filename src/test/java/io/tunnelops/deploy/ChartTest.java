package io.tunnelops.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

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

    private static TemplateCommand template() {
        return new Helm(CHART).template().withName("tunnel-operator").withNamespace("tunnel-operator");
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
