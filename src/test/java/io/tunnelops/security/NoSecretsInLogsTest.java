package io.tunnelops.security;

import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.resources.CredentialsSecret;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.tunnelops.testing.FakeKubelet;

/** Everything the operator logs through a whole session lifecycle, at DEBUG, holds no secret. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class NoSecretsInLogsTest {

    @Inject
    KubernetesClient client;

    /** Keeps every record, formatted as a handler would print it. */
    static final class Capture extends Handler {
        final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();

        @Override
        public void publish(LogRecord record) {
            String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
            if (logger.startsWith("io.fabric8.kubernetes.client.server.mock") || logger.startsWith("io.fabric8.mockwebserver")) {
                return; // the mock API server stands in for the cluster: its logs are not the operator's
            }
            String message;
            try {
                message = new java.util.logging.SimpleFormatter().formatMessage(record);
            } catch (RuntimeException e) {
                message = record.getMessage();
            }
            lines.add(record.getLoggerName() + " " + message + (record.getThrown() == null ? "" : " " + record.getThrown()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aWholeLifecycleLogsNoKeyAndNoLineOfTheCredentials() {
        Capture capture = new Capture();
        capture.setLevel(Level.ALL);
        Logger root = Logger.getLogger("");
        List<Logger> verbose = List.of(Logger.getLogger("io.tunnelops"), Logger.getLogger("io.javaoperatorsdk"),
                Logger.getLogger("io.fabric8"), Logger.getLogger("io.quarkiverse"));
        Map<Logger, Level> before = new java.util.HashMap<>();
        verbose.forEach(l -> before.put(l, l.getLevel()));
        root.addHandler(capture);
        verbose.forEach(l -> l.setLevel(Level.FINEST));
        List<Map<String, String>> secrets = new ArrayList<>();
        String ns = "logs-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
            client.resource(targetService(ns, "postgres", 5432)).create();
            String userKey = Ed25519KeyGenerator.generate("alice@laptop").publicKey();
            client.resource(session(ns, "generated").toService("postgres", 5432).build()).create();
            client.resource(session(ns, "own-key").toService("postgres", 5432).authorizedKeys(userKey).build()).create();
            client.resource(session(ns, "bad-key").toService("postgres", 5432)
                    .authorizedKeys("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== broken").build()).create();
            for (String name : List.of("generated", "own-key")) {
                ready(ns, name);
                secrets.add(CredentialsSecret.decode(Optional.of(client.secrets().inNamespace(ns).withName(name + "-ssh").get())));
            }
            await().atMost(10, TimeUnit.SECONDS).until(() -> phase(ns, "bad-key") == SessionPhase.Failed);
            for (String name : List.of("generated", "own-key", "bad-key")) {
                client.resources(TunnelSession.class).inNamespace(ns).withName(name).delete();
            }
            await().atMost(10, TimeUnit.SECONDS).until(() -> client.resources(TunnelSession.class).inNamespace(ns).list()
                    .getItems().isEmpty());
        } finally {
            root.removeHandler(capture);
            before.forEach(Logger::setLevel);
        }

        List<String> log = new ArrayList<>(capture.lines);
        assertTrue(log.stream().anyMatch(l -> l.contains("TunnelSession " + ns + "/generated: Ready")),
                "the capture works: the operator's INFO line is in it");
        assertTrue(log.stream().anyMatch(l -> l.contains("TunnelSession " + ns + "/bad-key: Failed")), "and its failures");
        List<String> secretLines = new ArrayList<>(List.of("PRIVATE KEY"));
        for (Map<String, String> items : secrets) {
            items.values().forEach(value -> value.lines().map(String::strip)
                    .filter(l -> l.length() >= 12 && !l.startsWith("#")).forEach(secretLines::add));
            // the key material alone, without its type or comment
            items.values().stream().flatMap(String::lines).filter(l -> l.startsWith("ssh-ed25519 "))
                    .map(l -> l.split(" ")[1]).forEach(secretLines::add);
        }
        List<String> leaks = new ArrayList<>();
        for (String line : log) {
            secretLines.stream().filter(line::contains).findFirst().ifPresent(s -> leaks.add(s + "  <-  " + line));
        }
        System.out.printf("checked %d log lines against %d secret lines%n", log.size(), secretLines.size());
        assertEquals(List.of(), leaks);
    }

    private void ready(String ns, String name) {
        FakeKubelet.sshdAvailable(client, ns, name, "10.96.7." + (name.length() + 10));
        await().atMost(10, TimeUnit.SECONDS).until(() -> phase(ns, name) == SessionPhase.Ready);
    }

    private SessionPhase phase(String ns, String name) {
        TunnelSession s = client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
        return s == null || s.getStatus() == null ? null : s.getStatus().getPhase();
    }
}
