package io.tunnelops.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

/**
 * A Kubernetes API on 127.0.0.1 for local mode and for tests that drive the real {@code kubectl}: Fabric8's mock
 * server in CRUD mode, plus what kubectl needs of an API server and the mock server lacks:
 * <ul>
 * <li>discovery ({@code /version}, {@code /api}, {@code /apis}, {@code /api/v1}, {@code /apis/<group>/<version>}) in
 * the legacy format, which kubectl falls back to when it asks for aggregated discovery. Custom resources come from the
 * CRDs stored in this server, so applying a CRD is all it takes for kubectl to know its kind and short names;</li>
 * <li>OpenAPI, so that a plain {@code kubectl apply} works (without {@code --validate=false}): a v3 index whose PATCH
 * operations declare {@code fieldValidation}, so kubectl 1.27+ leaves validation to the server; and an empty v2
 * document, so older kubectl (Debian's kubernetes-client is 1.20) finds no schema to validate against on the client.
 * The v3 documents carry the CRD schemas too, for {@code kubectl explain};</li>
 * <li>server-side printing: {@code kubectl get} asks for a Table, and gets the CRD's additionalPrinterColumns
 * rendered as the API server renders them (dates as ages; a date in the future reads {@code <invalid>}, as there);</li>
 * <li>watches over plain HTTP (kubectl's {@code wait} and {@code delete}), answered from a history of changes as
 * bounded watches: the events since the asked resourceVersion, or after a short pause a bookmark, after which the
 * client watches again;</li>
 * <li>WebSocket watches (Fabric8's, the operator's informers) that resume from a resourceVersion: the changes after it,
 * replayed from the same bounded history, then the live ones; or 410 Gone when that version is older than the history,
 * so the client lists again. Watches from no version or "0" are the mock server's own (the current objects as ADDED,
 * then the live changes).</li>
 * </ul>
 * Not emulated: validation and admission, server-side apply, strategic merge patch (kubectl uses it to re-apply
 * built-in kinds; custom resources use JSON merge patch), dry-run, garbage collection, Table watches
 * ({@code kubectl get -w}).
 */
public final class EmbeddedApiServer implements AutoCloseable {

    /** The Kubernetes release this server answers as (kubectl warns about skew beyond one minor version). */
    public static final String KUBERNETES_VERSION = "v1.32.0";
    /** How long an HTTP watch with nothing to report waits before it ends with a bookmark. */
    static final Duration QUIET_WATCH = Duration.ofMillis(500);

    private static final ObjectMapper JSON = Serialization.jsonMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    // kept referenced: a java.util.logging level set on an unreferenced logger can be garbage-collected away
    private static final Logger MOCK_SERVER_LOG = Logger.getLogger(MockWebServer.class.getName());

    /** How many changes the server keeps for watches that resume from a resourceVersion (etcd's compaction). */
    static final int DEFAULT_HISTORY = 10_000;

    private final ChangeRecordingStore store;
    /** Tests only: run once right after the store answered a list of this path (see {@link #afterNextList}). */
    private final Map<String, Runnable> afterList = new java.util.concurrent.ConcurrentHashMap<>();
    private KubernetesMockServer server;
    private KubernetesClient client;

    public EmbeddedApiServer() {
        this(DEFAULT_HISTORY);
    }

    /** @param history how many changes to keep for watches that resume from a resourceVersion */
    EmbeddedApiServer(int history) {
        store = new ChangeRecordingStore(history);
    }

    /**
     * Tests only: runs {@code action} once, on the server's thread, right after the next list of {@code path} was
     * answered and before the client sees it; with {@link #deleteNow} it stages "deleted between a list and its watch".
     */
    void afterNextList(String path, Runnable action) {
        afterList.put(path, action);
    }

    /** Tests only: ends every watch resumed from a version, as an API server ends watches at their timeout. */
    void endWatches() {
        store.closeWatches();
    }

    /** Tests only: deletes through the store directly, as a request would (recorded, watchers told). */
    void deleteNow(String path) {
        int code = store.dispatchRecordingDeletion(new RecordedRequest("HTTP/1.1",
                io.fabric8.mockwebserver.dsl.HttpMethod.DELETE, path, Headers.builder().build(), null)).response().code();
        if (code / 100 != 2) {
            throw new IllegalStateException("DELETE " + path + ": " + code);
        }
    }

    /** Starts on 127.0.0.1; port 0 picks a free one. */
    public EmbeddedApiServer start(int port) {
        MOCK_SERVER_LOG.setLevel(Level.WARNING); // it logs every request at INFO
        server = new KubernetesMockServer(new Context(JSON), new MockWebServer(), new LinkedHashMap<>(),
                new ApiDispatcher(), false);
        try {
            server.start(InetAddress.getByName("127.0.0.1"), port);
        } catch (IOException | RuntimeException e) {
            close(); // Vert.x's threads would keep the JVM alive
            throw new IllegalStateException("cannot start the embedded Kubernetes API on 127.0.0.1:" + port
                    + " (is the port in use? another local cluster running?)", e);
        }
        return this;
    }

    /** http://127.0.0.1:port */
    /**
     * What an operator process needs to run against this API: its address, and no leader election (this API serves no
     * SelfSubjectRulesReview, and one operator per embedded API is certain).
     */
    public Map<String, String> operatorSettings() {
        return Map.of("QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", url(), "TUNNEL_OPERATOR_LEADER_ELECTION_ENABLED", "false");
    }

    public String url() {
        return "http://127.0.0.1:" + server.getPort();
    }

    public int port() {
        return server.getPort();
    }

    /** A Fabric8 client to this server, namespace {@code default}; closed with the server. */
    public synchronized KubernetesClient client() {
        if (client == null) {
            // Config.empty(): never pick up the user's kubeconfig, proxy or service account
            Config config = new ConfigBuilder(Config.empty()).withMasterUrl(url()).withNamespace("default")
                    .withRequestTimeout(30_000).build();
            client = new KubernetesClientBuilder().withConfig(config).build();
        }
        return client;
    }

    /** Writes a kubeconfig for this server (plain http, no credentials) and returns its path. */
    public Path writeKubeconfig(Path file) {
        String name = "tunnel-operator-local";
        String kubeconfig = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: %1$s
                  cluster:
                    server: %2$s
                users:
                - name: %1$s
                  user: {}
                contexts:
                - name: %1$s
                  context:
                    cluster: %1$s
                    user: %1$s
                    namespace: default
                current-context: %1$s
                preferences: {}
                """.formatted(name, url());
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, kubeconfig);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** Creates or replaces every object of every *.yml / *.yaml file in {@code dir} (deploy/crds: the CRDs). */
    public List<HasMetadata> applyCrds(Path dir) {
        List<HasMetadata> applied = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml"))
                    .sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    for (HasMetadata item : client().load(in).items()) {
                        applied.add(client().resource(item).createOr(NonDeletingOperation::update));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir, e);
        }
        return applied;
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (server != null) {
            server.shutdown();
            server = null;
        }
    }

    // ---- what kinds this server serves

    /** A served resource: its discovery entry, its printer columns and (for custom resources) its schema. */
    record ResourceType(String group, String version, String plural, String singular, String kind, boolean namespaced,
            List<String> shortNames, List<String> categories, List<String> subresources, List<Column> columns,
            JsonNode schema) {

        String groupVersion() {
            return group.isEmpty() ? version : group + "/" + version;
        }

        String apiPrefix() {
            return group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
        }
    }

    /** One column of `kubectl get`: its definition in the Table and how to compute a cell from an object. */
    record Column(String name, String type, int priority, String description, Function<JsonNode, Object> cell) {
    }

    private static final List<String> VERBS = List.of("create", "delete", "deletecollection", "get", "list", "patch",
            "update", "watch");
    private static final List<String> SUBRESOURCE_VERBS = List.of("get", "patch", "update");

    /** The built-in kinds the operator, the local pod runner and the walkthrough touch. */
    private static final List<ResourceType> BUILT_IN = List.of(
            builtIn("", "namespaces", "namespace", "Namespace", false, List.of("ns"), List.of(), List.of("status"),
                    List.of(text("Status", o -> o.path("status").path("phase").asText("Active")))),
            builtIn("", "services", "service", "Service", true, List.of("svc"), List.of("all"), List.of("status"),
                    List.of(text("Type", o -> o.path("spec").path("type").asText("ClusterIP")),
                            text("Cluster-IP", o -> o.path("spec").path("clusterIP").asText("<none>")),
                            text("External-IP", EmbeddedApiServer::externalIps),
                            text("Port(s)", EmbeddedApiServer::servicePorts))),
            builtIn("", "secrets", "secret", "Secret", true, List.of(), List.of(), List.of(),
                    List.of(text("Type", o -> o.path("type").asText("Opaque")),
                            new Column("Data", "integer", 0, "Number of items", o -> o.path("data").size()))),
            builtIn("", "pods", "pod", "Pod", true, List.of("po"), List.of("all"), List.of("status"),
                    List.of(text("Ready", EmbeddedApiServer::podReady),
                            text("Status", o -> o.path("status").path("phase").asText("Pending")),
                            text("IP", o -> o.path("status").path("podIP").asText("<none>")))),
            builtIn("", "nodes", "node", "Node", false, List.of("no"), List.of(), List.of("status"), List.of()),
            builtIn("", "events", "event", "Event", true, List.of("ev"), List.of(), List.of(),
                    List.of(text("Reason", o -> o.path("reason").asText("")),
                            text("Message", o -> o.path("message").asText("")))),
            builtIn("", "configmaps", "configmap", "ConfigMap", true, List.of("cm"), List.of(), List.of(),
                    List.of(new Column("Data", "integer", 0, "Number of items", o -> o.path("data").size()))),
            builtIn("apps", "deployments", "deployment", "Deployment", true, List.of("deploy"), List.of("all"),
                    List.of("status", "scale"),
                    List.of(text("Ready", o -> o.path("status").path("readyReplicas").asInt(0) + "/"
                            + o.path("spec").path("replicas").asInt(1)),
                            new Column("Available", "integer", 0, "Available replicas",
                                    o -> o.path("status").path("availableReplicas").asInt(0)))),
            builtIn("networking.k8s.io", "networkpolicies", "networkpolicy", "NetworkPolicy", true, List.of("netpol"),
                    List.of(), List.of(), List.of()),
            builtIn("apiextensions.k8s.io", "customresourcedefinitions", "customresourcedefinition",
                    "CustomResourceDefinition", false, List.of("crd", "crds"), List.of("api-extensions"),
                    List.of("status"), List.of()));

    private static ResourceType builtIn(String group, String plural, String singular, String kind, boolean namespaced,
            List<String> shortNames, List<String> categories, List<String> subresources, List<Column> columns) {
        List<Column> all = new ArrayList<>(columns);
        all.add(text("Age", o -> age(o.path("metadata").path("creationTimestamp").asText(null))));
        return new ResourceType(group, "v1", plural, singular, kind, namespaced, shortNames, categories, subresources,
                all, null);
    }

    private static Column text(String name, Function<JsonNode, Object> cell) {
        return new Column(name, "string", 0, "", cell);
    }

    /** Built-in kinds, then every served version of every CRD stored in this server. */
    List<ResourceType> resourceTypes() {
        List<ResourceType> types = new ArrayList<>(BUILT_IN);
        for (JsonNode crd : items(store.handleGet("/apis/apiextensions.k8s.io/v1/customresourcedefinitions"))) {
            types.addAll(customResourceTypes(crd));
        }
        return types;
    }

    private static List<ResourceType> customResourceTypes(JsonNode crd) {
        JsonNode spec = crd.path("spec");
        JsonNode names = spec.path("names");
        List<ResourceType> types = new ArrayList<>();
        for (JsonNode version : spec.path("versions")) {
            if (!version.path("served").asBoolean(true)) {
                continue;
            }
            List<String> subresources = new ArrayList<>();
            version.path("subresources").fieldNames().forEachRemaining(subresources::add);
            List<Column> columns = new ArrayList<>();
            JsonNode printerColumns = version.path("additionalPrinterColumns");
            if (printerColumns.isEmpty()) {
                // what the API server shows for a CRD without printer columns
                columns.add(new Column("Age", "date", 0, "", jsonPathCell(".metadata.creationTimestamp", "date")));
            }
            for (JsonNode column : printerColumns) {
                String type = column.path("type").asText("string");
                String jsonPath = column.path("jsonPath").asText();
                columns.add(new Column(column.path("name").asText(), type, column.path("priority").asInt(0),
                        column.path("description").asText("Custom resource definition column (in JSONPath format): "
                                + jsonPath), jsonPathCell(jsonPath, type)));
            }
            types.add(new ResourceType(spec.path("group").asText(), version.path("name").asText(),
                    names.path("plural").asText(), names.path("singular").asText(names.path("plural").asText()),
                    names.path("kind").asText(), !"Cluster".equals(spec.path("scope").asText()),
                    strings(names.path("shortNames")), strings(names.path("categories")), subresources, columns,
                    version.path("schema").path("openAPIV3Schema")));
        }
        return types;
    }

    // ---- the dispatcher in front of the CRUD store

    /** Serves what kubectl needs beyond CRUD, and hands everything else to the mock server's CRUD store. */
    private final class ApiDispatcher extends Dispatcher {

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            try {
                return route(request);
            } catch (RuntimeException e) {
                return status(500, "InternalError", "embedded API server: " + e);
            }
        }

        private MockResponse route(RecordedRequest request) {
            URI uri = URI.create(request.getPath());
            String path = uri.getRawPath();
            Map<String, String> params = queryParameters(uri.getRawQuery());
            if (!"GET".equalsIgnoreCase(request.getMethod())) {
                // the store takes ".../status?fieldManager=x" for the main resource and would drop the status
                RecordedRequest withoutQuery = uri.getRawQuery() == null ? request : new RecordedRequest(
                        request.getHttpVersion(), request.method(), path, request.getHeaders(), request.getBody());
                return withApiServerBodies(path, store.dispatchRecordingDeletion(withoutQuery));
            }
            List<String> segments = Stream.of(path.split("/")).filter(s -> !s.isEmpty()).toList();
            switch (path) {
                case "/version":
                    return json(versionInfo());
                case "/api":
                    return json(apiVersions());
                case "/apis":
                    return json(groupList());
                case "/openapi/v3":
                    return json(openApiIndex());
                case "/openapi/v2":
                    return openApiV2(header(request, "Accept"));
                case "/healthz":
                case "/livez":
                case "/readyz":
                    return new MockResponse().setResponseCode(200).setHeader("Content-Type", "text/plain").setBody("ok");
                default:
                    break;
            }
            if (path.startsWith("/openapi/v3/")) {
                return openApiDocument(path.substring("/openapi/v3/".length()));
            }
            if (segments.size() == 2 && segments.get(0).equals("api")) {
                return resourceList("", segments.get(1));
            }
            if (segments.size() == 2 && segments.get(0).equals("apis")) {
                return group(segments.get(1));
            }
            if (segments.size() == 3 && segments.get(0).equals("apis")) {
                return resourceList(segments.get(1), segments.get(2));
            }
            if ("true".equals(params.get("watch")) && !isWebSocketUpgrade(request)) {
                return watchOverHttp(request, path, params);
            }
            String since = params.getOrDefault("resourceVersion", "");
            if ("true".equals(params.get("watch")) && !since.isEmpty() && !"0".equals(since)) {
                return watchOverWebSocket(request, params, since);
            }
            MockResponse response = store.dispatch(request);
            Runnable staged = "true".equals(params.get("watch")) ? null : afterList.remove(path);
            if (staged != null) {
                staged.run();
            }
            String accept = header(request, "Accept");
            if (accept != null && accept.contains("as=Table") && response.code() == 200) {
                return asTable(path, params, response).orElse(response);
            }
            return withApiServerBodies(path, new StoreResponse(response, null));
        }

        /** Fills in the bodies the store leaves empty where the API server sends one (kubectl prints them). */
        private MockResponse withApiServerBodies(String path, StoreResponse stored) {
            MockResponse response = stored.response();
            if (!bodyOf(response).isEmpty()) {
                return response;
            }
            Optional<ResourcePath> resource = ResourcePath.parse(path).filter(p -> p.name() != null);
            if (response.code() == 404 && resource.isPresent()) {
                String plural = resource.get().group().isEmpty() ? resource.get().plural()
                        : resource.get().plural() + "." + resource.get().group();
                return status(404, "NotFound", plural + " \"" + resource.get().name() + "\" not found");
            }
            if (response.code() / 100 == 2 && stored.deleted() != null) {
                // the write removed the last finalizer: the API server answers with the object's final state
                return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json")
                        .setBody(stored.deleted());
            }
            return response;
        }

        @Override
        public void shutdown() {
            store.closeWatches();
            store.shutdown();
        }
    }

    // ---- discovery

    private ObjectNode versionInfo() {
        String[] parts = KUBERNETES_VERSION.substring(1).split("\\.");
        return NODES.objectNode().put("major", parts[0]).put("minor", parts[1]).put("gitVersion", KUBERNETES_VERSION)
                .put("gitCommit", "embedded-fabric8-mock-server").put("gitTreeState", "clean")
                .put("buildDate", "2024-12-11T00:00:00Z").put("goVersion", "n/a").put("compiler", "n/a")
                .put("platform", "linux/amd64");
    }

    private ObjectNode apiVersions() {
        ObjectNode versions = NODES.objectNode().put("kind", "APIVersions");
        versions.putArray("versions").add("v1");
        versions.putArray("serverAddressByClientCIDRs").addObject().put("clientCIDR", "0.0.0.0/0")
                .put("serverAddress", "127.0.0.1:" + server.getPort());
        return versions;
    }

    private ObjectNode groupList() {
        ObjectNode list = NODES.objectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
        ArrayNode groups = list.putArray("groups");
        groupedVersions().forEach((group, versions) -> {
            if (!group.isEmpty()) {
                groups.add(apiGroup(group, versions));
            }
        });
        return list;
    }

    private MockResponse group(String group) {
        List<String> versions = groupedVersions().get(group);
        return versions == null ? notFound() : json(apiGroup(group, versions).put("kind", "APIGroup")
                .put("apiVersion", "v1"));
    }

    private static ObjectNode apiGroup(String group, List<String> versions) {
        ObjectNode node = NODES.objectNode().put("name", group);
        ArrayNode served = node.putArray("versions");
        versions.forEach(v -> served.addObject().put("groupVersion", group + "/" + v).put("version", v));
        node.putObject("preferredVersion").put("groupVersion", group + "/" + versions.get(0))
                .put("version", versions.get(0));
        return node;
    }

    /** Group name to its versions, in the order the types were declared (a CRD's first served version first). */
    private Map<String, List<String>> groupedVersions() {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (ResourceType type : resourceTypes()) {
            List<String> versions = groups.computeIfAbsent(type.group(), g -> new ArrayList<>());
            if (!versions.contains(type.version())) {
                versions.add(type.version());
            }
        }
        return groups;
    }

    private MockResponse resourceList(String group, String version) {
        List<ResourceType> types = resourceTypes().stream()
                .filter(t -> t.group().equals(group) && t.version().equals(version)).toList();
        if (types.isEmpty()) {
            return notFound();
        }
        ObjectNode list = NODES.objectNode().put("kind", "APIResourceList").put("apiVersion", "v1")
                .put("groupVersion", types.get(0).groupVersion());
        ArrayNode resources = list.putArray("resources");
        for (ResourceType type : types) {
            ObjectNode resource = resources.addObject().put("name", type.plural()).put("singularName", type.singular())
                    .put("namespaced", type.namespaced()).put("kind", type.kind());
            VERBS.forEach(resource.putArray("verbs")::add);
            if (!type.shortNames().isEmpty()) {
                type.shortNames().forEach(resource.putArray("shortNames")::add);
            }
            if (!type.categories().isEmpty()) {
                type.categories().forEach(resource.putArray("categories")::add);
            }
            for (String subresource : type.subresources()) {
                ObjectNode sub = resources.addObject().put("name", type.plural() + "/" + subresource)
                        .put("singularName", "").put("namespaced", type.namespaced())
                        .put("kind", "scale".equals(subresource) ? "Scale" : type.kind());
                if ("scale".equals(subresource)) {
                    sub.put("group", "autoscaling").put("version", "v1");
                }
                SUBRESOURCE_VERBS.forEach(sub.putArray("verbs")::add);
            }
        }
        return json(list);
    }

    // ---- OpenAPI v3: enough for kubectl apply (server-side field validation declared) and kubectl explain

    private ObjectNode openApiIndex() {
        ObjectNode index = NODES.objectNode();
        ObjectNode paths = index.putObject("paths");
        Map<String, List<ResourceType>> byGroupVersion = resourceTypes().stream()
                .collect(Collectors.groupingBy(t -> t.apiPrefix().substring(1), TreeMap::new, Collectors.toList()));
        byGroupVersion.forEach((groupVersionPath, types) -> paths.putObject(groupVersionPath).put("serverRelativeURL",
                "/openapi/v3/" + groupVersionPath + "?hash=" + sha512(openApi(types).toString())));
        return index;
    }

    private MockResponse openApiDocument(String groupVersionPath) {
        List<ResourceType> types = resourceTypes().stream()
                .filter(t -> t.apiPrefix().substring(1).equals(groupVersionPath)).toList();
        return types.isEmpty() ? notFound() : json(openApi(types));
    }

    private static ObjectNode openApi(List<ResourceType> types) {
        ObjectNode doc = NODES.objectNode().put("openapi", "3.0.0");
        doc.putObject("info").put("title", "Kubernetes (embedded)").put("version", KUBERNETES_VERSION);
        ObjectNode paths = doc.putObject("paths");
        ObjectNode schemas = doc.putObject("components").putObject("schemas");
        for (ResourceType type : types) {
            ObjectNode gvk = NODES.objectNode().put("group", type.group()).put("version", type.version())
                    .put("kind", type.kind());
            String item = type.apiPrefix() + (type.namespaced() ? "/namespaces/{namespace}/" : "/") + type.plural()
                    + "/{name}";
            ObjectNode patch = paths.putObject(item).putObject("patch");
            patch.put("operationId", "patch" + type.kind()).put("x-kubernetes-action", "patch");
            patch.set("x-kubernetes-group-version-kind", gvk);
            ArrayNode parameters = patch.putArray("parameters");
            for (String parameter : List.of("fieldManager", "fieldValidation")) {
                parameters.addObject().put("name", parameter).put("in", "query").putObject("schema")
                        .put("type", "string");
            }
            // no application/strategic-merge-patch+json: the mock server cannot apply it
            ObjectNode content = patch.putObject("requestBody").putObject("content");
            for (String mediaType : List.of("application/json-patch+json", "application/merge-patch+json")) {
                content.putObject(mediaType).putObject("schema").put("type", "object");
            }
            patch.putObject("responses").putObject("200").put("description", "OK");
            if (type.schema() != null && !type.schema().isMissingNode()) {
                ObjectNode schema = type.schema().deepCopy();
                schema.putArray("x-kubernetes-group-version-kind").add(gvk);
                schemas.set(reversed(type.group()) + "." + type.version() + "." + type.kind(), schema);
            }
        }
        return doc;
    }

    /**
     * An OpenAPI v2 document with no definitions. kubectl before 1.27 (Debian's kubernetes-client is 1.20) validates on
     * the client with this document, in protobuf, and skips kinds it does not define; without it, it refuses to apply.
     */
    private static MockResponse openApiV2(String accept) {
        if (accept != null && accept.contains("protobuf")) {
            // gnostic's openapi_v2.Document: swagger = 1, info = 2 (Info: title = 1, version = 2)
            byte[] info = concat(protobufField(1, "Kubernetes (embedded)".getBytes(StandardCharsets.UTF_8)),
                    protobufField(2, KUBERNETES_VERSION.getBytes(StandardCharsets.UTF_8)));
            byte[] document = concat(protobufField(1, "2.0".getBytes(StandardCharsets.UTF_8)), protobufField(2, info));
            // the media type kubectl asks for has an "@", which Go's mime parser rejects in a response
            return new MockResponse().setResponseCode(200)
                    .setHeader("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
                    .setBody(document);
        }
        ObjectNode document = NODES.objectNode().put("swagger", "2.0");
        document.putObject("info").put("title", "Kubernetes (embedded)").put("version", KUBERNETES_VERSION);
        document.putObject("paths");
        document.putObject("definitions");
        return json(document);
    }

    /** A length-delimited protobuf field (wire type 2); lengths here stay below 128, so one varint byte. */
    private static byte[] protobufField(int number, byte[] value) {
        if (value.length > 127) {
            throw new IllegalArgumentException("field too long for a one-byte length");
        }
        return concat(new byte[] { (byte) (number << 3 | 2), (byte) value.length }, value);
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] joined = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, joined, first.length, second.length);
        return joined;
    }

    private static String reversed(String group) {
        List<String> parts = new ArrayList<>(List.of(group.split("\\.")));
        java.util.Collections.reverse(parts);
        return String.join(".", parts);
    }

    // ---- server-side printing

    /** The path of a resource or a collection of them, as the API lays it out. */
    record ResourcePath(String group, String version, String namespace, String plural, String name,
            String subresource) {

        static Optional<ResourcePath> parse(String path) {
            List<String> s = Stream.of(path.split("/")).filter(p -> !p.isEmpty()).toList();
            int rest;
            String group;
            if (s.size() >= 3 && s.get(0).equals("api")) {
                group = "";
                rest = 2;
            } else if (s.size() >= 4 && s.get(0).equals("apis")) {
                group = s.get(1);
                rest = 3;
            } else {
                return Optional.empty();
            }
            String version = s.get(rest - 1);
            List<String> r = s.subList(rest, s.size());
            if (r.size() >= 3 && r.get(0).equals("namespaces")) {
                return Optional.of(new ResourcePath(group, version, r.get(1), r.get(2), at(r, 3), at(r, 4)));
            }
            return Optional.of(new ResourcePath(group, version, null, r.get(0), at(r, 1), at(r, 2)));
        }

        private static String at(List<String> list, int index) {
            return index < list.size() ? list.get(index) : null;
        }
    }

    private Optional<ResourceType> typeOf(ResourcePath path) {
        return resourceTypes().stream().filter(t -> t.group().equals(path.group()) && t.version().equals(path.version())
                && t.plural().equals(path.plural())).findFirst();
    }

    private Optional<MockResponse> asTable(String path, Map<String, String> params, MockResponse response) {
        Optional<ResourcePath> resourcePath = ResourcePath.parse(path).filter(p -> p.subresource() == null);
        Optional<ResourceType> type = resourcePath.flatMap(this::typeOf);
        if (type.isEmpty()) {
            return Optional.empty();
        }
        JsonNode body = parse(bodyOf(response));
        List<JsonNode> objects = resourcePath.get().name() != null ? List.of(body) : items(body);
        String resourceVersion = body.path("metadata").path("resourceVersion").asText("");
        return Optional.of(json(table(type.get(), objects, resourceVersion, params.getOrDefault("includeObject",
                "Metadata"))));
    }

    /** A meta.k8s.io/v1 Table, as the API server's table convertor makes it. */
    static ObjectNode table(ResourceType type, List<JsonNode> objects, String resourceVersion, String includeObject) {
        ObjectNode table = NODES.objectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
        table.putObject("metadata").put("resourceVersion", resourceVersion);
        ArrayNode definitions = table.putArray("columnDefinitions");
        definitions.addObject().put("name", "Name").put("type", "string").put("format", "name")
                .put("description", "Name must be unique within a namespace.").put("priority", 0);
        for (Column column : type.columns()) {
            definitions.addObject().put("name", column.name()).put("type", column.type()).put("format", "")
                    .put("description", column.description()).put("priority", column.priority());
        }
        ArrayNode rows = table.putArray("rows");
        for (JsonNode object : objects.stream().sorted(Comparator.comparing((JsonNode o) -> o.path("metadata")
                .path("namespace").asText("")).thenComparing(o -> o.path("metadata").path("name").asText(""))).toList()) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            cells.add(object.path("metadata").path("name").asText());
            for (Column column : type.columns()) {
                cells.add(JSON.valueToTree(column.cell().apply(object)));
            }
            switch (includeObject) {
                case "None":
                    break;
                case "Object":
                    row.set("object", object);
                    break;
                default:
                    ObjectNode partial = row.putObject("object").put("kind", "PartialObjectMetadata")
                            .put("apiVersion", "meta.k8s.io/v1");
                    partial.set("metadata", object.path("metadata"));
            }
        }
        return table;
    }

    /** A printer column's cell: the value at a simple JSONPath, formatted by the column's type as the API server does. */
    static Function<JsonNode, Object> jsonPathCell(String jsonPath, String type) {
        return object -> {
            JsonNode value = at(object, jsonPath);
            if (value == null || value.isMissingNode() || value.isNull()) {
                return null;
            }
            switch (type) {
                case "date":
                    return value.isTextual() ? age(value.asText()) : null;
                case "integer":
                    return value.isNumber() ? value.asLong() : null;
                case "number":
                    return value.isNumber() ? value.asDouble() : null;
                case "boolean":
                    return value.isBoolean() ? value.asBoolean() : null;
                default:
                    return value.isValueNode() ? value.asText() : value.toString();
            }
        };
    }

    /** Resolves `.a.b[0].c` (the only JSONPath form printer columns use in practice); null when absent. */
    static JsonNode at(JsonNode node, String jsonPath) {
        JsonNode current = node;
        for (String step : jsonPath.replaceFirst("^\\.", "").split("\\.")) {
            int bracket = step.indexOf('[');
            String field = bracket < 0 ? step : step.substring(0, bracket);
            if (!field.isEmpty()) {
                current = current.path(field);
            }
            if (bracket >= 0) {
                String index = step.substring(bracket + 1, step.indexOf(']', bracket));
                if (!index.matches("\\d+")) {
                    return null;
                }
                current = current.path(Integer.parseInt(index));
            }
        }
        return current;
    }

    /** Kubernetes' HumanDuration of (now - timestamp): "12s", "59m", "3h5m", "<invalid>" for the future. */
    static String age(String timestamp) {
        if (timestamp == null || timestamp.isEmpty()) {
            return "<unknown>";
        }
        try {
            return humanDuration(Duration.between(Instant.parse(timestamp), Instant.now()));
        } catch (DateTimeParseException e) {
            return "<invalid>";
        }
    }

    static String humanDuration(Duration d) {
        long seconds = d.getSeconds();
        if (seconds < -1) {
            return "<invalid>";
        } else if (seconds < 0) {
            return "0s";
        } else if (seconds < 120) {
            return seconds + "s";
        }
        long minutes = d.toMinutes();
        if (minutes < 10) {
            long s = seconds % 60;
            return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
        } else if (minutes < 180) {
            return minutes + "m";
        }
        long hours = d.toHours();
        if (hours < 8) {
            long m = minutes % 60;
            return m == 0 ? hours + "h" : hours + "h" + m + "m";
        } else if (hours < 48) {
            return hours + "h";
        } else if (hours < 24 * 8) {
            long h = hours % 24;
            return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
        } else if (hours < 24 * 365 * 2) {
            return hours / 24 + "d";
        } else if (hours < 24 * 365 * 8) {
            long days = hours / 24 % 365;
            return days == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + days + "d";
        }
        return hours / 24 / 365 + "y";
    }

    private static String externalIps(JsonNode service) {
        List<String> ips = new ArrayList<>();
        service.path("status").path("loadBalancer").path("ingress")
                .forEach(i -> ips.add(i.path("ip").asText(i.path("hostname").asText(""))));
        service.path("spec").path("externalIPs").forEach(ip -> ips.add(ip.asText()));
        if (ips.isEmpty()) {
            return "LoadBalancer".equals(service.path("spec").path("type").asText()) ? "<pending>" : "<none>";
        }
        return String.join(",", ips);
    }

    private static String servicePorts(JsonNode service) {
        List<String> ports = new ArrayList<>();
        for (JsonNode port : service.path("spec").path("ports")) {
            String nodePort = port.has("nodePort") ? ":" + port.path("nodePort").asInt() : "";
            ports.add(port.path("port").asInt() + nodePort + "/" + port.path("protocol").asText("TCP"));
        }
        return ports.isEmpty() ? "<none>" : String.join(",", ports);
    }

    private static String podReady(JsonNode pod) {
        JsonNode statuses = pod.path("status").path("containerStatuses");
        long ready = 0;
        for (JsonNode status : statuses) {
            ready += status.path("ready").asBoolean(false) ? 1 : 0;
        }
        return ready + "/" + Math.max(statuses.size(), pod.path("spec").path("containers").size());
    }

    // ---- watches over plain HTTP

    /**
     * Answers an HTTP watch (kubectl's; Fabric8 clients use WebSocket watches, which the CRUD store serves) as a bounded
     * watch: the changes after the asked resourceVersion, or, when there are none, a bookmark after a short pause.
     * The client then watches again from the last version it saw, so nothing is missed and nothing blocks the
     * server's event loop.
     */
    private MockResponse watchOverHttp(RecordedRequest request, String path, Map<String, String> params) {
        AttributeSet selector = watchSelector(request, params);
        Optional<ResourceType> type = ResourcePath.parse(path).flatMap(this::typeOf);
        String since = params.getOrDefault("resourceVersion", "");
        StringBuilder events = new StringBuilder();
        long lastVersion;
        if (since.isEmpty() || "0".equals(since)) {
            // "from any version": the current state as ADDED events, as the API server does
            String listPath = path + "?" + params.entrySet().stream()
                    .filter(e -> e.getKey().equals("labelSelector") || e.getKey().equals("fieldSelector"))
                    .map(e -> e.getKey() + "=" + java.net.URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                    .collect(Collectors.joining("&"));
            JsonNode current = parse(bodyOf(store.handleGet(listPath)));
            List<JsonNode> objects = current.has("items") ? items(current) : current.has("metadata")
                    ? List.of(current) : List.of();
            objects.forEach(o -> events.append(watchEvent("ADDED", o)));
            lastVersion = store.lastRecordedVersion();
        } else {
            long from;
            try {
                from = Long.parseLong(since);
            } catch (NumberFormatException e) {
                return status(400, "BadRequest", "invalid resourceVersion " + since);
            }
            Optional<List<RecordedChange>> changes = store.changesSince(from, selector);
            if (changes.isEmpty()) {
                ObjectNode gone = NODES.objectNode().put("kind", "Status").put("apiVersion", "v1")
                        .put("status", "Failure").put("message", "too old resource version: " + from)
                        .put("reason", "Expired").put("code", 410);
                gone.putObject("metadata");
                return watchResponse(watchEvent("ERROR", gone), Duration.ZERO);
            }
            changes.get().forEach(c -> events.append(watchEvent(c.typeFor(selector), parse(c.object()))));
            lastVersion = Math.max(from, store.lastRecordedVersion());
        }
        if (events.length() > 0) {
            return watchResponse(events.toString(), Duration.ZERO);
        }
        if ("true".equals(params.get("allowWatchBookmarks"))) {
            ObjectNode bookmark = NODES.objectNode();
            type.ifPresent(t -> bookmark.put("apiVersion", t.groupVersion()).put("kind", t.kind()));
            bookmark.putObject("metadata").put("resourceVersion", String.valueOf(lastVersion));
            return watchResponse(watchEvent("BOOKMARK", bookmark), QUIET_WATCH);
        }
        // a watch that ends empty after a second is not "very short" to client-go: it simply watches again
        return watchResponse("\n", Duration.ofSeconds(1));
    }

    /** What a watch selects: the path's kind and namespace, its label selector, and a name from its field selector. */
    private AttributeSet watchSelector(RecordedRequest request, Map<String, String> params) {
        AttributeSet selector = store.getKey(request.getPath());
        String fields = params.getOrDefault("fieldSelector", "");
        for (String field : fields.split(",")) {
            if (field.startsWith("metadata.name=") && !selector.containsKey(KubernetesAttributesExtractor.NAME)) {
                selector = selector.add(new io.fabric8.mockwebserver.crud.Attribute(KubernetesAttributesExtractor.NAME,
                        field.substring("metadata.name=".length())));
            }
        }
        return selector;
    }

    // ---- watches over WebSocket (Fabric8's) that resume from a resourceVersion

    /**
     * A watch from a resourceVersion, as the API server serves it: every change after that version (replayed from the
     * store's history), then the changes as they happen; or, when that version is older than the history kept, an
     * ERROR event with a 410 Gone Status, after which the client lists again. The mock server's own WebSocket watch
     * ignores the version and sends the current objects as ADDED: a client whose list was older than its watch never
     * learnt of the deletions in between (issue 11: a restarted operator kept deleted sessions in its cache). Watches
     * from no version or "0" ("any") keep the mock server's behaviour, which is the API server's for them.
     */
    private MockResponse watchOverWebSocket(RecordedRequest request, Map<String, String> params, String since) {
        long from;
        try {
            from = Long.parseLong(since);
        } catch (NumberFormatException e) {
            return status(400, "BadRequest", "invalid resourceVersion " + since);
        }
        return new MockResponse().withWebSocketUpgrade(new ResumedWatch(from, watchSelector(request, params)));
    }

    /** One WebSocket watch from a resourceVersion; the store feeds it, in resourceVersion order. */
    final class ResumedWatch extends io.fabric8.mockwebserver.http.WebSocketListener {
        private final long since;
        private final AttributeSet selector;
        /** One sender per watch keeps its events in order without holding up the store's writes. */
        private final java.util.concurrent.ExecutorService sender = java.util.concurrent.Executors
                .newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "embedded-api-watch");
                    t.setDaemon(true);
                    return t;
                });
        private volatile io.fabric8.mockwebserver.http.WebSocket socket;

        ResumedWatch(long since, AttributeSet selector) {
            this.since = since;
            this.selector = selector;
        }

        AttributeSet selector() {
            return selector;
        }

        @Override
        public void onOpen(io.fabric8.mockwebserver.http.WebSocket webSocket, io.fabric8.mockwebserver.http.Response response) {
            socket = webSocket;
            if (!store.subscribe(this, since)) {
                ObjectNode gone = NODES.objectNode().put("kind", "Status").put("apiVersion", "v1")
                        .put("status", "Failure").put("message", "too old resource version: " + since)
                        .put("reason", "Expired").put("code", 410);
                gone.putObject("metadata");
                send(watchEvent("ERROR", gone));
                sender.execute(() -> webSocket.close(1000, "too old resource version"));
                sender.shutdown();
            }
        }

        /** Queues one event (called under the store's history monitor, in resourceVersion order). */
        void send(String event) {
            try {
                sender.execute(() -> socket.send(event.strip()));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed meanwhile
            }
        }

        void close() {
            store.unsubscribe(this);
            sender.shutdown();
        }

        /** Ends the watch from the server's side, as the API server does at its timeout: the client watches again. */
        void end() {
            store.unsubscribe(this);
            try {
                sender.execute(() -> socket.close(1000, "watch ended"));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed meanwhile
            }
            sender.shutdown();
        }

        @Override
        public void onClosing(io.fabric8.mockwebserver.http.WebSocket webSocket, int code, String reason) {
            close();
            webSocket.close(code, reason);
        }

        @Override
        public void onClosed(io.fabric8.mockwebserver.http.WebSocket webSocket, int code, String reason) {
            close();
        }

        @Override
        public void onFailure(io.fabric8.mockwebserver.http.WebSocket webSocket, Throwable t,
                io.fabric8.mockwebserver.http.Response response) {
            close();
        }
    }

    private static String watchEvent(String type, JsonNode object) {
        ObjectNode event = NODES.objectNode().put("type", type);
        event.set("object", object);
        return event + "\n";
    }

    private static MockResponse watchResponse(String body, Duration delay) {
        MockResponse response = new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json")
                .setBody(body);
        return delay.isZero() ? response : response.setBodyDelay(delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The store's answer to a request, and the object that request deleted, if any. */
    record StoreResponse(MockResponse response, String deleted) {
    }

    /**
     * One change of the store, as a watch event reports it; {@code previous}: the object's attributes before a
     * modification (its labels may have changed).
     */
    record RecordedChange(long resourceVersion, String type, AttributeSet attributes, AttributeSet previous,
            String object) {

        boolean matches(AttributeSet selector) {
            return attributes.matches(selector) || previous != null && previous.matches(selector);
        }

        /** As the API server reports a change to a watch with a selector: leaving it is DELETED, entering it ADDED. */
        String typeFor(AttributeSet selector) {
            if (!"MODIFIED".equals(type) || previous == null) {
                return type;
            }
            boolean before = previous.matches(selector);
            boolean after = attributes.matches(selector);
            return before && !after ? "DELETED" : !before && after ? "ADDED" : type;
        }
    }

    /**
     * The mock server's CRUD store, also keeping the recent history of changes that HTTP watches replay. Every write
     * goes through {@link #processEvent} under the store's write lock, in resourceVersion order.
     */
    private static final class ChangeRecordingStore extends KubernetesCrudDispatcher {

        private final int historySize;
        /** The object a write on this thread deleted (the store answers such writes with an empty body). */
        private final ThreadLocal<String> deletedByThisThread = new ThreadLocal<>();

        private final Deque<RecordedChange> history = new ArrayDeque<>();
        /** Changes up to this version have been dropped from the history. */
        private long compactedThrough;
        private long lastRecorded;
        /** The WebSocket watches resumed from a version, fed by {@link #record}. */
        private final java.util.Set<ResumedWatch> watches = new java.util.LinkedHashSet<>();

        ChangeRecordingStore(int historySize) {
            this.historySize = historySize;
        }

        @Override
        public void processEvent(String path, AttributeSet pathAttributes, AttributeSet oldAttributes,
                GenericKubernetesResource resource, String newState) {
            String existing = oldAttributes == null ? null : map.get(oldAttributes);
            super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
            if (Objects.equals(existing, newState)) {
                return;
            }
            if (newState == null) {
                if (existing != null) {
                    // a deletion gets a version of its own, as in etcd
                    long version = requestResourceVersion();
                    ObjectNode tombstone = (ObjectNode) parse(existing);
                    ((ObjectNode) tombstone.path("metadata")).put("resourceVersion", String.valueOf(version));
                    record(new RecordedChange(version, "DELETED", oldAttributes, null, tombstone.toString()));
                    deletedByThisThread.set(tombstone.toString());
                }
                return;
            }
            KubernetesAttributesExtractor extractor = (KubernetesAttributesExtractor) attributeExtractor;
            AttributeSet attributes = resource != null ? extractor.extract(resource) : extractor.fromResource(newState);
            if (!attributes.containsKey(KubernetesAttributesExtractor.PLURAL)) {
                attributes = AttributeSet.merge(pathAttributes, attributes);
            }
            JsonNode stored = parse(newState).path("metadata").path("resourceVersion");
            long version = stored.canConvertToLong() || stored.asText("").matches("\\d+") ? stored.asLong()
                    : requestResourceVersion();
            record(new RecordedChange(version, existing == null ? "ADDED" : "MODIFIED", attributes,
                    existing == null ? null : oldAttributes, newState));
        }

        StoreResponse dispatchRecordingDeletion(RecordedRequest request) {
            deletedByThisThread.remove();
            try {
                MockResponse response = dispatch(request);
                return new StoreResponse(response, deletedByThisThread.get());
            } finally {
                deletedByThisThread.remove();
            }
        }

        private synchronized void record(RecordedChange change) {
            history.addLast(change);
            for (ResumedWatch watch : watches) {
                if (change.matches(watch.selector())) {
                    watch.send(watchEvent(change.typeFor(watch.selector()), parse(change.object())));
                }
            }
            lastRecorded = Math.max(lastRecorded, change.resourceVersion());
            while (history.size() > historySize) {
                compactedThrough = history.removeFirst().resourceVersion();
            }
        }

        synchronized long lastRecordedVersion() {
            return lastRecorded;
        }

        /** The changes after {@code version} that match the selector; empty if that part of history is gone. */
        synchronized Optional<List<RecordedChange>> changesSince(long version, AttributeSet selector) {
            if (version < compactedThrough) {
                return Optional.empty();
            }
            return Optional.of(history.stream().filter(c -> c.resourceVersion() > version)
                    .filter(c -> c.matches(selector)).toList());
        }

        /**
         * Replays to {@code watch} the changes after {@code version} and adds it to the watches fed as changes happen,
         * in one step, so that no change is missed or sent twice; false (nothing sent) if that history is gone.
         */
        synchronized boolean subscribe(ResumedWatch watch, long version) {
            Optional<List<RecordedChange>> replay = changesSince(version, watch.selector());
            if (replay.isEmpty()) {
                return false;
            }
            replay.get().forEach(c -> watch.send(watchEvent(c.typeFor(watch.selector()), parse(c.object()))));
            watches.add(watch);
            return true;
        }

        synchronized void unsubscribe(ResumedWatch watch) {
            watches.remove(watch);
        }

        /** Ends every resumed watch (the server stops). */
        synchronized void closeWatches() {
            List.copyOf(watches).forEach(ResumedWatch::end);
        }
    }

    // ---- helpers

    private static boolean isWebSocketUpgrade(RecordedRequest request) {
        String upgrade = header(request, "Upgrade");
        return upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket");
    }

    private static String header(RecordedRequest request, String name) {
        return request.getHeaders().toMultimap().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                .flatMap(e -> e.getValue().stream()).findFirst().orElse(null);
    }

    private static Map<String, String> queryParameters(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery != null) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.put(key, value);
            }
        }
        return params;
    }

    private static String bodyOf(MockResponse response) {
        return response.getBody() == null ? "" : new String(response.getBody().getBytes(), StandardCharsets.UTF_8);
    }

    private static List<JsonNode> items(MockResponse response) {
        return response.code() == 200 ? items(parse(bodyOf(response))) : List.of();
    }

    private static List<JsonNode> items(JsonNode list) {
        List<JsonNode> items = new ArrayList<>();
        list.path("items").forEach(items::add);
        return items;
    }

    private static List<String> strings(JsonNode array) {
        List<String> strings = new ArrayList<>();
        array.forEach(s -> strings.add(s.asText()));
        return strings;
    }

    private static JsonNode parse(String json) {
        if (json == null || json.isBlank()) {
            return NullNode.getInstance();
        }
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not JSON: " + json, e);
        }
    }

    private static MockResponse json(JsonNode body) {
        return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json")
                .setBody(body.toString());
    }

    private static MockResponse notFound() {
        return status(404, "NotFound", "the server could not find the requested resource");
    }

    private static MockResponse status(int code, String reason, String message) {
        ObjectNode status = NODES.objectNode().put("kind", "Status").put("apiVersion", "v1").put("status", "Failure")
                .put("message", message).put("reason", reason).put("code", code);
        status.putObject("metadata");
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                .setBody(status.toString());
    }

    private static String sha512(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512")
                    .digest(text.getBytes(StandardCharsets.UTF_8))).toUpperCase(Locale.ROOT);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
