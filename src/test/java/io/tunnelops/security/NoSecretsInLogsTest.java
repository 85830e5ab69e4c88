package io.tunnelops.security;

import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import jakarta.inject.Inject;

import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.resources.CredentialsSecret;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.tunnelops.testing.FakeKubelet;

/**
 * Everything the operator logs through a whole session lifecycle, at DEBUG, holds no secret: no private key, no
 * line of any item of the credentials Secrets, not even base64-encoded as the API returns them. The Events it
 * records are checked the same way.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class NoSecretsInLogsTest {

    /** The categories turned up to DEBUG: the operator, JOSDK, its Quarkus extension, the Fabric8 client and its HTTP client. */
    private static final List<String> VERBOSE_CATEGORIES = List.of("io.tunnelops", "io.javaoperatorsdk",
            "io.quarkiverse.operatorsdk", "io.fabric8", "io.vertx");
    /** Shorter fragments could match unrelated text by chance; 8 base64 characters are 48 random bits. */
    private static final int MIN_KEY_FRAGMENT = 8;

    @Inject
    KubernetesClient client;

    /** Keeps every record as text: the formatted message, its raw parameters and the messages of its causes. */
    static final class Capture extends Handler {
        final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> debugFromJosdk = new ConcurrentLinkedQueue<>();

        @Override
        public void publish(LogRecord record) {
            String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
            if (logger.startsWith("io.fabric8.kubernetes.client.server.mock") || logger.startsWith("io.fabric8.mockwebserver")) {
                return; // the mock API server stands in for the cluster: its logs are not the operator's
            }
            StringBuilder text = new StringBuilder(logger).append(' ').append(formatted(record));
            if (record.getParameters() != null) {
                // a parameter a format string does not print is still passed to every handler
                text.append(" params=").append(Arrays.deepToString(record.getParameters()));
            }
            for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
                text.append(" cause=").append(t);
            }
            lines.add(text.toString());
            if (logger.startsWith("io.javaoperatorsdk") && record.getLevel().intValue() < Level.INFO.intValue()) {
                debugFromJosdk.add(text.toString());
            }
        }

        private static String formatted(LogRecord record) {
            try {
                // JBoss Logging's infof/debugf records carry a printf format: only the record itself can apply it
                return record instanceof ExtLogRecord ext ? ext.getFormattedMessage()
                        : new SimpleFormatter().formatMessage(record);
            } catch (RuntimeException e) {
                return record.getMessage();
            }
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
        Map<Logger, Level> levelsBefore = new HashMap<>();
        List<Logger> verbose = VERBOSE_CATEGORIES.stream().map(Logger::getLogger).toList();
        verbose.forEach(l -> levelsBefore.put(l, l.getLevel()));
        root.addHandler(capture);
        verbose.forEach(l -> l.setLevel(Level.FINE)); // FINE is JBoss' DEBUG
        List<Secret> secrets = new ArrayList<>();
        List<String> eventMessages = new ArrayList<>();
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
                secrets.add(client.secrets().inNamespace(ns).withName(name + "-ssh").get());
            }
            await().atMost(10, TimeUnit.SECONDS).until(() -> phase(ns, "bad-key") == SessionPhase.Failed);
            for (String name : List.of("generated", "own-key", "bad-key")) {
                client.resources(TunnelSession.class).inNamespace(ns).withName(name).delete();
            }
            await().atMost(10, TimeUnit.SECONDS).until(() -> client.resources(TunnelSession.class).inNamespace(ns).list()
                    .getItems().isEmpty());
            await().atMost(10, TimeUnit.SECONDS).until(() -> client.secrets().inNamespace(ns).list().getItems().isEmpty());
            // the three deletions' Ended events are recorded in the background
            await().atMost(10, TimeUnit.SECONDS).until(() -> client.v1().events().inNamespace(ns).list().getItems()
                    .stream().filter(e -> "Ended".equals(e.getReason())).count() == 3);
            client.v1().events().inNamespace(ns).list().getItems().forEach(e -> eventMessages.add(
                    "event " + e.getReason() + ": " + e.getMessage()));
        } finally {
            root.removeHandler(capture);
            levelsBefore.forEach(Logger::setLevel);
        }

        List<String> log = new ArrayList<>(capture.lines);
        // the capture works: the operator's INFO lines, its failures and JOSDK's DEBUG records are in it
        assertTrue(log.stream().anyMatch(l -> l.contains("TunnelSession " + ns + "/generated: Ready")),
                "the operator's INFO line was not captured");
        assertTrue(log.stream().anyMatch(l -> l.contains("TunnelSession " + ns + "/bad-key: Failed")), "nor its failures");
        assertTrue(!capture.debugFromJosdk.isEmpty(), "no DEBUG record of JOSDK was captured");
        assertTrue(eventMessages.size() >= 4, "events were recorded: " + eventMessages);
        assertEquals(2, secrets.size());

        Set<String> secretText = secretText(secrets);
        List<String> leaks = new ArrayList<>();
        for (String line : log) {
            secretText.stream().filter(line::contains).findFirst().ifPresent(s -> leaks.add(s + "  <-  " + line));
        }
        for (String message : eventMessages) {
            secretText.stream().filter(message::contains).findFirst().ifPresent(s -> leaks.add(s + "  <-  " + message));
        }
        System.out.printf("checked %d log lines (%d DEBUG records of JOSDK) and %d events against %d pieces of secret text%n",
                log.size(), capture.debugFromJosdk.size(), eventMessages.size(), secretText.size());
        assertEquals(List.of(), leaks);
    }

    /** What must never be logged: key markers, every key line, every item line, and the items as the API encodes them. */
    private static Set<String> secretText(List<Secret> secrets) {
        Set<String> text = new LinkedHashSet<>(List.of("PRIVATE KEY", "b3BlbnNzaC1rZXktdjE" /* "openssh-key-v1" */));
        for (Secret secret : secrets) {
            Map<String, String> items = CredentialsSecret.decode(Optional.of(secret));
            assertTrue(items.keySet().stream().anyMatch(k -> k.startsWith("ssh_host_")), "the Secret holds the host key");
            for (String value : items.values()) {
                boolean privateKey = value.contains("PRIVATE KEY-----");
                value.lines().map(String::strip)
                        .filter(l -> !l.startsWith("#") && !l.startsWith("-----"))
                        .filter(l -> l.length() >= 12 || privateKey && l.length() >= MIN_KEY_FRAGMENT)
                        .forEach(text::add);
                // the key material of public key lines alone, without its type or comment
                value.lines().filter(l -> l.startsWith("ssh-") || l.contains(" ssh-ed25519 "))
                        .flatMap(l -> Arrays.stream(l.split(" "))).filter(w -> w.startsWith("AAAA")).forEach(text::add);
            }
            // a logged Secret object shows its data base64-encoded: any 32-character run of it is a leak
            secret.getData().values().forEach(encoded -> {
                for (int i = 0; i + 32 <= encoded.length(); i += 32) {
                    text.add(encoded.substring(i, i + 32));
                }
            });
        }
        return text;
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
