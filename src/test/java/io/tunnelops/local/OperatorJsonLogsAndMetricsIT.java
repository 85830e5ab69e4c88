package io.tunnelops.local;

import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.testing.FakeKubelet;

/**
 * The operator as a process, as the chart runs it with JSON logs switched on (QUARKUS_LOG_CONSOLE_JSON_ENABLED=true,
 * what the chart's value sets), against the embedded API: every line it writes is a JSON object, a session's
 * transitions are lines whose MDC carries namespace, name, phase and reason, and /q/metrics and health answer on the
 * management port only.
 */
class OperatorJsonLogsAndMetricsIT {

    private static final Path STATE = Path.of("target/operator-json-logs-it").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static EmbeddedApiServer api;
    private static OperatorProcess operator;
    private static KubernetesClient client;

    @BeforeAll
    static void start() throws IOException {
        Files.createDirectories(STATE);
        Path log = STATE.resolve("operator.log");
        Files.deleteIfExists(log);
        api = new EmbeddedApiServer().start(0);
        client = api.client();
        api.applyCrds(Path.of("deploy/crds").toAbsolutePath());
        Path kubeconfig = api.writeKubeconfig(STATE.resolve("kubeconfig"));
        Map<String, String> settings = new HashMap<>(api.operatorSettings());
        settings.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true");
        operator = OperatorProcess.start(Path.of("").toAbsolutePath(), kubeconfig, settings, log);
    }

    @AfterAll
    static void stop() {
        if (operator != null) {
            operator.close();
        }
        if (api != null) {
            api.close();
        }
    }

    @Test
    void withJsonOnEveryLineIsJsonAndEachTransitionCarriesNamespaceNamePhaseAndReason() throws Exception {
        String ns = "json-logs";
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(session(ns, "pg").toService("postgres", 5432).build()).create();
        FakeKubelet.sshdAvailable(client, ns, "pg", "10.96.50.2");
        await().atMost(30, TimeUnit.SECONDS).until(() -> phase(ns, "pg") == SessionPhase.Ready);
        client.resource(session(ns, "far").toHost("db.example.com", 5432).build()).create();
        await().atMost(30, TimeUnit.SECONDS).until(() -> phase(ns, "far") == SessionPhase.Denied);
        client.resources(TunnelSession.class).inNamespace(ns).withName("pg").delete();
        await().atMost(30, TimeUnit.SECONDS).until(() -> client.resources(TunnelSession.class).inNamespace(ns)
                .withName("pg").get() == null);

        List<JsonNode> transitions = await().atMost(10, TimeUnit.SECONDS).until(() -> transitions(ns),
                lines -> lines.size() >= 4);
        List<String> seen = transitions.stream().map(l -> l.path("mdc").path("name").asText() + " "
                + l.path("mdc").path("phase").asText() + " " + l.path("mdc").path("reason").asText()).toList();
        // Provisioning's reason is whatever the first pass found (most likely WaitingForEndpoint)
        assertEquals(List.of("pg Provisioning", "pg Ready SshdReady", "far Denied Denied", "pg Ended Deleted"),
                seen.stream().map(s -> s.startsWith("pg Provisioning ") ? "pg Provisioning" : s).toList(),
                "the transitions' JSON lines: " + seen);
        for (JsonNode line : transitions) {
            assertEquals("INFO", line.path("level").asText(), line.toString());
            assertEquals("io.tunnelops.session.SessionTransitions", line.path("loggerName").asText(), line.toString());
            assertTrue(line.path("message").asText().startsWith("TunnelSession " + ns + "/"), line.toString());
        }

        // the management port: health and metrics; the application port: neither
        HttpClient http = HttpClient.newHttpClient();
        String metrics = get(http, operator.managementPort(), "/q/metrics", 200);
        assertTrue(metrics.contains("tunnel_operator_session_denials_total{reason=\"Target\"} 1.0"), metrics);
        assertTrue(metrics.contains("tunnel_operator_sessions_ended_total{reason=\"Deleted\"} 1.0"), metrics);
        assertTrue(metrics.contains("tunnel_operator_session_time_to_ready_seconds_count 1"), metrics);
        assertTrue(metrics.contains("operator_sdk_reconciliations_started_total"), "JOSDK's metrics");
        assertTrue(metrics.contains("jvm_memory_used_bytes"), "the JVM's metrics");
        get(http, operator.managementPort(), "/q/health/live", 200);
        get(http, operator.httpPort(), "/q/metrics", 404);
        get(http, operator.httpPort(), "/q/health/ready", 404);
    }

    /** Every line of the operator's log parsed as JSON (a line that is not fails the test); those of transitions. */
    private List<JsonNode> transitions(String ns) throws IOException {
        List<JsonNode> found = new ArrayList<>();
        for (String line : Files.readAllLines(STATE.resolve("operator.log"))) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode json;
            try {
                json = JSON.readTree(line);
            } catch (IOException e) {
                throw new AssertionError("not a JSON line: " + line, e);
            }
            if (ns.equals(json.path("mdc").path("namespace").asText())
                    && json.path("loggerName").asText().endsWith("SessionTransitions")) {
                found.add(json);
            }
        }
        return found;
    }

    private static String get(HttpClient http, int port, String path, int expectedStatus) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expectedStatus, response.statusCode(), path + " on port " + port + ": " + response.body());
        return response.body();
    }

    private SessionPhase phase(String ns, String name) {
        TunnelSession s = client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
        return s == null || s.getStatus() == null ? null : s.getStatus().getPhase();
    }
}
