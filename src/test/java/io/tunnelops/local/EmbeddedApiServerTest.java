package io.tunnelops.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.tunnelops.api.v1alpha1.Endpoint;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.api.v1alpha1.TunnelSessionStatus;
import io.tunnelops.testing.Kubectl;

/**
 * The real kubectl against the embedded API server, with no operator: what local mode's walkthrough needs of the
 * server (discovery, a plain apply, server-side printing, jsonpath, wait, delete) works, and custom resources are
 * discovered from the CRDs applied to it.
 */
class EmbeddedApiServerTest {

    private static final String SESSION = """
            apiVersion: tunnelops.io/v1alpha1
            kind: TunnelSession
            metadata:
              name: echo-debug
            spec:
              mode: Tunnel
              target:
                service: echo
                ports: [7000]
              ttl: 30m
            """;
    private static final String SERVICE = """
            apiVersion: v1
            kind: Service
            metadata:
              name: echo
            spec:
              selector: {app: echo}
              ports:
              - port: 7000
                protocol: TCP
            """;

    @TempDir
    Path dir;

    EmbeddedApiServer server;
    Kubectl kubectl;

    @BeforeEach
    void start() {
        server = new EmbeddedApiServer().start(0);
        server.applyCrds(Path.of("deploy/crds"));
        kubectl = new Kubectl(server.writeKubeconfig(dir.resolve("kubeconfig")), dir.resolve("kube-cache"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void kubectlDiscoversTheBuiltInKindsAndTheAppliedCrdWithItsShortName() {
        String resources = kubectl.succeed("api-resources");
        assertTrue(resources.lines().anyMatch(l -> l.matches("tunnelsessions\\s+ts\\s+tunnelops.io/v1alpha1\\s+true\\s+TunnelSession")),
                resources);
        for (String kind : List.of("Service", "Secret", "Pod", "Namespace", "Deployment", "NetworkPolicy",
                "CustomResourceDefinition", "Event", "ConfigMap", "Node")) {
            assertTrue(resources.contains(" " + kind + "\n"), kind + " in " + resources);
        }
        String serverVersion = kubectl.succeed("version", "-o", "json");
        assertTrue(serverVersion.replaceAll("\\s", "").contains("\"serverVersion\":{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\""
                + EmbeddedApiServer.KUBERNETES_VERSION + "\""), serverVersion);
    }

    /**
     * What kubectl explain (1.27 and later) reads, read here the same way with any kubectl: the OpenAPI v3 index, the
     * group version's document it points to, the schema whose x-kubernetes-group-version-kind is TunnelSession, and in
     * it the CRD's own field descriptions. (Debian's kubectl 1.20 reads only v2 definitions, which are not served.)
     */
    @Test
    void theOpenApiV3DocumentsCarryTheCrdSchemaAsKubectlExplainReadsIt() throws Exception {
        var http = HttpClient.newHttpClient();
        var json = new ObjectMapper();
        JsonNode index = json.readTree(http.send(HttpRequest.newBuilder(
                URI.create(server.url() + "/openapi/v3")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        String documentPath = index.at("/paths/apis~1tunnelops.io~1v1alpha1/serverRelativeURL").asText();
        assertTrue(documentPath.startsWith("/openapi/v3/apis/tunnelops.io/v1alpha1?hash="), index.toString());
        JsonNode document = json.readTree(http.send(HttpRequest.newBuilder(
                URI.create(server.url() + documentPath)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        JsonNode session = null;
        for (var schema : (Iterable<JsonNode>) document.at("/components/schemas")::elements) {
            for (var gvk : schema.path("x-kubernetes-group-version-kind")) {
                if (gvk.path("group").asText().equals("tunnelops.io") && gvk.path("version").asText().equals("v1alpha1")
                        && gvk.path("kind").asText().equals("TunnelSession")) {
                    session = schema;
                }
            }
        }
        assertNotNull(session, "no schema of kind TunnelSession in " + documentPath);
        var crd = new ObjectMapper(new YAMLFactory())
                .readTree(Path.of("deploy/crds/tunnelsessions.tunnelops.io-v1.yml").toFile())
                .at("/spec/versions/0/schema/openAPIV3Schema");
        String target = "/properties/spec/properties/target";
        assertEquals(List.of("host", "ports", "service"), fieldNames(session.at(target + "/properties")));
        assertEquals(crd.at(target + "/properties/ports/description").asText(),
                session.at(target + "/properties/ports/description").asText());
        assertTrue(session.at(target + "/properties/ports/description").asText().startsWith("The target ports"));
        assertEquals(crd.at(target + "/properties/service/description").asText(),
                session.at(target + "/properties/service/description").asText());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names.stream().sorted().toList();
    }

    @Test
    void applyGetJsonpathWaitAndDeleteWorkWithPlainKubectl() throws Exception {
        Path session = Files.writeString(dir.resolve("session.yaml"), SESSION);
        Path service = Files.writeString(dir.resolve("service.yaml"), SERVICE);

        assertEquals("tunnelsession.tunnelops.io/echo-debug created\n", kubectl.succeed("apply", "-f", session.toString()));
        assertEquals("service/echo created\n", kubectl.succeed("apply", "-f", service.toString()));
        assertEquals("tunnelsession.tunnelops.io/echo-debug unchanged\n", kubectl.succeed("apply", "-f", session.toString()));
        assertEquals("7000", kubectl.succeed("get", "svc", "echo", "-o", "jsonpath={.spec.ports[0].port}"));
        assertEquals("echo", kubectl.succeed("get", "ts", "echo-debug", "-o", "jsonpath={.spec.target.service}"));

        // kubectl wait watches over HTTP: it must see the status that arrives while it waits
        CompletableFuture<Kubectl.Result> waiting = CompletableFuture.supplyAsync(
                () -> kubectl.run("wait", "--for=condition=Ready", "ts/echo-debug", "--timeout=30s"));
        Thread.sleep(1500);
        assertTrue(!waiting.isDone(), "wait returned before the session was Ready: " + (waiting.isDone() ? waiting.join() : ""));
        becomeReady("echo-debug", "127.77.0.3");
        Kubectl.Result waited = waiting.get(20, TimeUnit.SECONDS);
        assertEquals(0, waited.exitCode(), waited.toString());
        assertEquals("tunnelsession.tunnelops.io/echo-debug condition met\n", waited.stdout());

        List<List<String>> table = columns(kubectl.succeed("get", "ts"));
        assertEquals(List.of("NAME", "MODE", "TARGET", "PHASE", "ENDPOINT", "EXPIRES", "AGE"), table.get(0));
        assertEquals(List.of("echo-debug", "Tunnel", "service/echo:7000", "Ready", "127.77.0.3:2222"),
                table.get(1).subList(0, 5));
        assertEquals(kubectl.succeed("get", "ts", "echo-debug", "-o", "jsonpath={.status.expiresAt}"), table.get(1).get(5),
                "EXPIRES is the timestamp (a date column in the future would read <invalid>)");
        assertTrue(table.get(1).get(6).matches("\\d+s"), table.toString());
        assertEquals("ssh -N -L 7000:echo.default.svc.cluster.local:7000 -p 2222 tunnel@127.77.0.3",
                kubectl.succeed("get", "ts", "echo-debug", "-o", "jsonpath={.status.sshCommand}"));
        assertEquals(List.of("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"),
                columns(kubectl.succeed("get", "svc")).get(0));

        // with a finalizer, as the operator sets one: delete waits until it is removed
        server.client().resources(TunnelSession.class).withName("echo-debug")
                .edit(s -> {
                    s.getMetadata().setFinalizers(new ArrayList<>(List.of("tunnelops.io/test")));
                    return s;
                });
        CompletableFuture<Kubectl.Result> deleting = CompletableFuture.supplyAsync(
                () -> kubectl.run("delete", "ts", "echo-debug", "--timeout=30s"));
        Thread.sleep(1500);
        assertTrue(!deleting.isDone(), "delete returned while a finalizer was still present");
        assertNotNull(server.client().resources(TunnelSession.class).withName("echo-debug").get()
                .getMetadata().getDeletionTimestamp());
        server.client().resources(TunnelSession.class).withName("echo-debug").edit(s -> {
            s.getMetadata().setFinalizers(List.of());
            return s;
        });
        Kubectl.Result deleted = deleting.get(20, TimeUnit.SECONDS);
        assertEquals("tunnelsession.tunnelops.io \"echo-debug\" deleted\n", deleted.stdout(), deleted.toString());
        assertNull(server.client().resources(TunnelSession.class).withName("echo-debug").get());
        assertEquals("No resources found in default namespace.\n", kubectl.run("get", "ts").stderr());
        Kubectl.Result missing = kubectl.run("get", "ts", "echo-debug");
        assertEquals(1, missing.exitCode());
        assertEquals("Error from server (NotFound): tunnelsessions.tunnelops.io \"echo-debug\" not found\n", missing.stderr());
    }

    @Test
    void waitForDeletionSeesTheDeletedEvent() throws Exception {
        kubectl.succeed("apply", "-f", Files.writeString(dir.resolve("session.yaml"), SESSION).toString());
        CompletableFuture<Kubectl.Result> waiting = CompletableFuture.supplyAsync(
                () -> kubectl.run("wait", "--for=delete", "ts/echo-debug", "--timeout=30s"));
        Thread.sleep(1500);
        server.client().resources(TunnelSession.class).withName("echo-debug").delete();
        Kubectl.Result waited = waiting.get(20, TimeUnit.SECONDS);
        assertEquals(0, waited.exitCode(), waited.toString());
    }

    /** What the operator and the local pod runner would write once the sshd accepts connections. */
    private void becomeReady(String name, String address) {
        server.client().resources(TunnelSession.class).withName(name).editStatus(s -> {
            TunnelSessionStatus status = new TunnelSessionStatus();
            status.setPhase(SessionPhase.Ready);
            status.setTarget("service/echo:7000");
            status.setEndpoint(new Endpoint(address, 2222));
            status.setExpiresAt(Instant.now().plus(Duration.ofMinutes(30)).toString());
            status.setSshCommand("ssh -N -L 7000:echo.default.svc.cluster.local:7000 -p 2222 tunnel@" + address);
            Condition ready = new ConditionBuilder().withType("Ready").withStatus("True").withReason("SshdReady")
                    .withMessage("sshd accepts connections").withLastTransitionTime(Instant.now().toString()).build();
            status.setConditions(List.of(ready));
            s.setStatus(status);
            return s;
        });
    }

    /** `kubectl get` output split into cells at the header's column starts (cells may be blank). */
    static List<List<String>> columns(String table) {
        List<String> lines = table.lines().toList();
        String header = lines.get(0);
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < header.length(); i++) {
            if (header.charAt(i) != ' ' && (i == 0 || header.charAt(i - 1) == ' ')) {
                starts.add(i);
            }
        }
        List<List<String>> rows = new ArrayList<>();
        for (String line : lines) {
            List<String> cells = new ArrayList<>();
            for (int c = 0; c < starts.size(); c++) {
                int from = Math.min(starts.get(c), line.length());
                int to = c + 1 < starts.size() ? Math.min(starts.get(c + 1), line.length()) : line.length();
                cells.add(line.substring(from, to).strip());
            }
            rows.add(cells);
        }
        return rows;
    }

    // ---- watches that resume from a resourceVersion, as the operator's informers do (Fabric8, over WebSocket)

    private static ConfigMap configMap(String name) {
        return new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata().addToData("v", "1").build();
    }

    private static Watcher<ConfigMap> recordingTo(BlockingQueue<String> events) {
        return new Watcher<>() {
            @Override
            public void eventReceived(Action action, ConfigMap map) {
                events.add(action + " " + map.getMetadata().getName() + " "
                        + (map.getData() == null ? "-" : map.getData().get("v")));
            }

            @Override
            public void onClose(WatcherException cause) {
                events.add("closed: " + cause.getMessage());
            }
        };
    }

    @Test
    void aWatchFromAnOldResourceVersionGetsEveryChangeSinceThenAndThenTheLiveOnes() throws Exception {
        var maps = server.client().configMaps().inNamespace("default");
        maps.resource(configMap("kept")).create();
        maps.resource(configMap("gone")).create();
        String since = maps.list().getMetadata().getResourceVersion();
        maps.withName("gone").delete();
        maps.withName("kept").edit(c -> new ConfigMapBuilder(c).addToData("v", "2").build());
        maps.resource(configMap("new")).create();

        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        try (Watch watch = maps.watch(new ListOptionsBuilder().withResourceVersion(since).build(), recordingTo(events))) {
            List<String> replayed = new ArrayList<>();
            for (String e; replayed.size() < 3 && (e = events.poll(5, TimeUnit.SECONDS)) != null;) {
                replayed.add(e);
            }
            assertEquals(List.of("DELETED gone 1", "MODIFIED kept 2", "ADDED new 1"), replayed);
            assertNull(events.poll(300, TimeUnit.MILLISECONDS), "nothing else happened after " + since);

            maps.withName("new").delete();
            assertEquals("DELETED new 1", events.poll(5, TimeUnit.SECONDS), "then the changes as they happen");
        }
    }

    @Test
    void aWatchFromBeforeTheKeptHistoryGets410GoneSoTheClientListsAgain() throws Exception {
        try (EmbeddedApiServer small = new EmbeddedApiServer(3).start(0)) {
            var maps = small.client().configMaps().inNamespace("default");
            maps.resource(configMap("first")).create();
            String old = maps.list().getMetadata().getResourceVersion();
            for (int i = 0; i < 5; i++) {
                maps.resource(configMap("later-" + i)).create();
            }
            CompletableFuture<WatcherException> closed = new CompletableFuture<>();
            try (Watch watch = maps.watch(new ListOptionsBuilder().withResourceVersion(old).build(), new Watcher<>() {
                @Override
                public void eventReceived(Action action, ConfigMap map) {
                    closed.completeExceptionally(new AssertionError("an event instead of 410 Gone: " + action + " "
                            + map.getMetadata().getName()));
                }

                @Override
                public void onClose(WatcherException cause) {
                    closed.complete(cause);
                }
            })) {
                WatcherException gone = closed.get(10, TimeUnit.SECONDS);
                assertTrue(gone.isHttpGone(), "410 Gone: " + gone);
            }
            // a version the history still holds is served
            String recent = maps.list().getMetadata().getResourceVersion();
            BlockingQueue<String> events = new LinkedBlockingQueue<>();
            try (Watch watch = maps.watch(new ListOptionsBuilder().withResourceVersion(recent).build(), recordingTo(events))) {
                maps.withName("first").delete();
                assertEquals("DELETED first 1", events.poll(5, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void anInformerThatStartsWhileObjectsAreDeletedDoesNotKeepThemInItsCache() throws Exception {
        var maps = server.client().configMaps().inNamespace("default");
        for (int i = 0; i < 5; i++) {
            maps.resource(configMap("session-" + i)).create();
        }
        // a restarted operator lists, and the five are deleted before its watch starts (issue 11)
        server.afterNextList("/api/v1/namespaces/default/configmaps", () -> {
            for (int i = 0; i < 5; i++) {
                server.deleteNow("/api/v1/namespaces/default/configmaps/session-" + i);
            }
        });
        try (SharedIndexInformer<ConfigMap> informer = maps.inform()) {
            assertTrue(informer.hasSynced());
            Instant deadline = Instant.now().plusSeconds(10);
            while (!informer.getStore().list().isEmpty() && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            assertEquals(List.of(), informer.getStore().list().stream().map(m -> m.getMetadata().getName()).sorted().toList(),
                    "deleted objects left in the informer's cache");
            maps.resource(configMap("after")).create();
            deadline = Instant.now().plusSeconds(10);
            while (informer.getStore().list().isEmpty() && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            assertEquals(List.of("after"), informer.getStore().list().stream().map(m -> m.getMetadata().getName()).toList());
        }
    }

    @Test
    void anInformerWhoseWatchResumesFromAnExpiredVersionListsAgainAndDropsWhatWasDeleted() throws Exception {
        try (EmbeddedApiServer small = new EmbeddedApiServer(3).start(0)) {
            var maps = small.client().configMaps().inNamespace("default");
            for (int i = 0; i < 5; i++) {
                maps.resource(configMap("session-" + i)).create();
            }
            try (SharedIndexInformer<ConfigMap> informer = maps.inform()) {
                assertEquals(5, informer.getStore().list().size());
                // its watch ends; while it is away, more changes than the server keeps
                small.endWatches();
                for (int i = 0; i < 5; i++) {
                    small.deleteNow("/api/v1/namespaces/default/configmaps/session-" + i);
                }
                Instant deadline = Instant.now().plusSeconds(15);
                while (!informer.getStore().list().isEmpty() && Instant.now().isBefore(deadline)) {
                    Thread.sleep(50);
                }
                assertEquals(List.of(), informer.getStore().list().stream().map(m -> m.getMetadata().getName())
                        .sorted().toList(), "the informer got 410 Gone for its version, listed again, and dropped these");
            }
        }
    }
}
