package io.tunnelops.session;

import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.testing.FakeKubelet;
import io.tunnelops.testing.MockNamespace;
import io.tunnelops.testing.TestClock;

/**
 * The operator's /q/metrics on the management interface, scraped as Prometheus scrapes it, after real lifecycles
 * against the mock API server: a session to Ready and then Expired, one deleted while Ready, one denied. Values are
 * compared with a scrape taken before (other tests share the operator), and the clock is moved by hand, so the
 * durations are exact.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class MetricsEndpointTest {

    @Inject
    KubernetesClient client;

    @Inject
    TunnelSessionReconciler reconciler;

    @KubernetesTestServer
    KubernetesServer server;

    @TestHTTPResource("/q/metrics")
    URL metricsOnApplicationPort;

    /** The management interface, where Prometheus and the kubelet's probes go (its test port is picked at start). */
    URI metrics;
    URI ready;

    TestClock clock;
    String ns;

    @BeforeEach
    void setUp() {
        int managementPort = ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
        metrics = URI.create("http://localhost:" + managementPort + "/q/metrics");
        ready = URI.create("http://localhost:" + managementPort + "/q/health/ready");
        clock = new TestClock(Instant.now());
        QuarkusMock.installMockForType(clock, java.time.Clock.class);
        ns = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        client.resource(targetService(ns, "postgres", 5432)).create();
    }

    @Test
    void aScrapeAfterALifecycleCountsEachTransitionOnceWithItsDurations() throws Exception {
        Map<String, Double> before = scrape();
        InfoLines lines = InfoLines.capture();
        try {
            // ready 4 s after its creation, by the operator's clock
            client.resource(session(ns, "pg").toService("postgres", 5432).ttl("2m").build()).create();
            Instant created = Instant.parse(get("pg").getMetadata().getCreationTimestamp());
            clock.set(created.plusSeconds(4));
            FakeKubelet.sshdAvailable(client, ns, "pg", "10.96.40.2");
            TunnelSession readySession = awaitPhase("pg", SessionPhase.Ready);

            // a pass with nothing changed records nothing
            long passes = reconciler.reconciliationCount();
            MockNamespace.nudge(client, ns, "pg");
            await().atMost(10, TimeUnit.SECONDS).until(() -> reconciler.reconciliationCount() > passes);
            Map<String, Double> afterReady = scrape();
            assertEquals(1.0, delta(before, afterReady, "tunnel_operator_session_time_to_ready_seconds_count"));
            assertEquals(4.0, delta(before, afterReady, "tunnel_operator_session_time_to_ready_seconds_sum"), 1e-9);
            assertEquals(1.0, delta(before, afterReady, "tunnel_operator_session_time_to_ready_seconds_bucket",
                    "le", "5.0") - delta(before, afterReady, "tunnel_operator_session_time_to_ready_seconds_bucket",
                            "le", "2.0"), "in the (2 s, 5 s] bucket");

            // ended 1.5 s late
            clock.set(Instant.parse(readySession.getStatus().getExpiresAt()).plusMillis(1500));
            MockNamespace.nudge(client, ns, "pg");
            awaitPhase("pg", SessionPhase.Expired);

            // another deleted while Ready, a third denied (a host needs a TunnelPolicy)
            client.resource(session(ns, "gone").toService("postgres", 5432).build()).create();
            FakeKubelet.sshdAvailable(client, ns, "gone", "10.96.40.3");
            awaitPhase("gone", SessionPhase.Ready);
            client.resources(TunnelSession.class).inNamespace(ns).withName("gone").delete();
            await().atMost(10, TimeUnit.SECONDS).until(() -> get("gone") == null);
            client.resource(session(ns, "far").toHost("db.example.com", 5432).build()).create();
            awaitPhase("far", SessionPhase.Denied);
        } finally {
            lines.release();
        }

        Map<String, Double> after = await().atMost(10, TimeUnit.SECONDS).until(this::scrape,
                s -> delta(before, s, "tunnel_operator_sessions_ended_total", "reason", "Deleted") >= 1);
        assertEquals(2.0, delta(before, after, "tunnel_operator_session_time_to_ready_seconds_count"), "pg and gone");
        assertEquals(1.0, delta(before, after, "tunnel_operator_session_expiry_lateness_seconds_count"));
        assertEquals(1.5, delta(before, after, "tunnel_operator_session_expiry_lateness_seconds_sum"), 1e-9);
        assertEquals(1.0, delta(before, after, "tunnel_operator_sessions_ended_total", "reason", "Expired"));
        assertEquals(1.0, delta(before, after, "tunnel_operator_sessions_ended_total", "reason", "Deleted"));
        assertEquals(1.0, delta(before, after, "tunnel_operator_sessions_ended_total", "reason", "Denied"));
        assertEquals(0.0, delta(before, after, "tunnel_operator_sessions_ended_total", "reason", "Idle"));
        assertEquals(1.0, delta(before, after, "tunnel_operator_session_denials_total", "reason", "Target"));
        assertEquals(0.0, delta(before, after, "tunnel_operator_reconcile_errors_total"));
        // the expired and the denied session stay for their retention; the deleted one is gone
        assertEquals(1.0, delta(before, after, "tunnel_operator_sessions", "phase", "Expired", "mode", "Tunnel"));
        assertEquals(1.0, delta(before, after, "tunnel_operator_sessions", "phase", "Denied", "mode", "Tunnel"));
        assertEquals(0.0, delta(before, after, "tunnel_operator_sessions", "phase", "Ready", "mode", "Tunnel"));
        // the operator SDK's own metrics, per kind of resource: no series per session (OperatorSdkMetrics)
        List<String> sdk = after.keySet().stream().filter(k -> k.startsWith("operator_sdk_")).toList();
        assertTrue(sdk.stream().anyMatch(k -> k.startsWith("operator_sdk_reconciliations_started_total{")
                && k.contains("kind=TunnelSession")), "JOSDK's metrics: " + sdk);
        assertEquals(List.of(), sdk.stream().filter(k -> k.contains("name=pg") || k.contains("namespace=" + ns)).toList(),
                "JOSDK's series per session");
        System.out.printf("scraped %d series; JOSDK's: %s%n", after.size(),
                after.keySet().stream().filter(k -> k.startsWith("operator_sdk_")).map(k -> k.replaceFirst("\\{.*", ""))
                        .distinct().toList());

        // one INFO line a transition, from SessionTransitions alone
        assertEquals(List.of("Provisioning", "Ready", "Expired"), lines.phasesOf(ns, "pg"), lines.all.toString());
        assertEquals(List.of("Provisioning", "Ready", "Ended"), lines.phasesOf(ns, "gone"), lines.all.toString());
        assertEquals(List.of("Denied"), lines.phasesOf(ns, "far"), lines.all.toString());
    }

    @Test
    void aFailedPassCountsAsAReconcileErrorAndItsRetryMakesTheSessionReady() throws Exception {
        Map<String, Double> before = scrape();
        // the API server refuses the sshd's Service once (403 is not retried by the client itself)
        server.expect().post().withPath("/api/v1/namespaces/" + ns + "/services")
                .andReturn(403, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                        + "\"reason\":\"Forbidden\",\"code\":403,\"message\":\"refused once by the test\"}")
                .once();
        client.resource(session(ns, "retried").toService("postgres", 5432).build()).create();
        FakeKubelet.sshdAvailable(client, ns, "retried", "10.96.40.9");
        awaitPhase("retried", SessionPhase.Ready);
        Map<String, Double> after = scrape();
        assertEquals(1.0, delta(before, after, "tunnel_operator_reconcile_errors_total"));
        assertEquals(1.0, delta(before, after, "tunnel_operator_session_time_to_ready_seconds_count"));
    }

    @Test
    void healthAndMetricsAreOnTheManagementPortOnly() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(ready).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(metrics.getPort() != metricsOnApplicationPort.getPort(), metrics + " " + metricsOnApplicationPort);
        HttpResponse<String> elsewhere = http.send(HttpRequest.newBuilder(metricsOnApplicationPort.toURI()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, elsewhere.statusCode(), "no metrics on the application port");
    }

    // ---- helpers

    /** The INFO lines logged while a test runs, with the MDC fields of each. */
    static final class InfoLines extends Handler {
        final List<String> all = new CopyOnWriteArrayList<>();
        final List<Map<String, String>> fields = new CopyOnWriteArrayList<>();

        static InfoLines capture() {
            InfoLines lines = new InfoLines();
            Logger.getLogger("io.tunnelops").addHandler(lines);
            return lines;
        }

        void release() {
            Logger.getLogger("io.tunnelops").removeHandler(this);
        }

        /** The phases of the lines about one session that name it in their message. */
        List<String> phasesOf(String namespace, String name) {
            List<String> phases = new java.util.ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).contains(namespace + "/" + name + " ") || all.get(i).contains(namespace + "/" + name + ":")) {
                    assertEquals(name, fields.get(i).get("name"), all.get(i));
                    assertEquals(namespace, fields.get(i).get("namespace"), all.get(i));
                    phases.add(fields.get(i).get("phase"));
                }
            }
            return phases;
        }

        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() == Level.INFO.intValue() && record instanceof ExtLogRecord ext) {
                all.add(ext.getLoggerName() + " " + ext.getFormattedMessage());
                fields.add(Map.copyOf(ext.getMdcCopy()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** The scrape as series (name and sorted labels) to values. */
    Map<String, Double> scrape() throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        Map<String, Double> series = new TreeMap<>();
        for (String line : response.body().lines().toList()) {
            Matcher sample = SAMPLE.matcher(line);
            if (line.startsWith("#") || !sample.matches()) {
                continue;
            }
            Map<String, String> labels = new TreeMap<>();
            if (sample.group(3) != null) {
                Matcher label = LABEL.matcher(sample.group(3));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            series.put(key(sample.group(1), labels), Double.parseDouble(sample.group(4)));
        }
        return series;
    }

    private static String key(String name, Map<String, String> labels) {
        return name + labels;
    }

    /** The change of one series between two scrapes (absent counts as 0). */
    private static double delta(Map<String, Double> before, Map<String, Double> after, String name, String... labels) {
        Map<String, String> wanted = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        String key = key(name, wanted);
        assertTrue(after.containsKey(key), key + " not scraped; series of that name: "
                + after.keySet().stream().filter(k -> k.startsWith(name)).toList());
        return after.get(key) - before.getOrDefault(key, 0.0);
    }

    private TunnelSession get(String name) {
        return client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
    }

    private TunnelSession awaitPhase(String name, SessionPhase phase) {
        return await().atMost(10, TimeUnit.SECONDS).until(() -> get(name),
                s -> s != null && s.getStatus() != null && s.getStatus().getPhase() == phase);
    }

}
