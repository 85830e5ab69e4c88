package io.tunnelops.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOptions;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.OptionalType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.common.values.CelByteString;
import dev.cel.common.values.NullValue;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.RuntimeHelpers;

/**
 * Answers "would the API server accept this custom resource?" without an API server: the Fabric8 mock server
 * accepts any object, so tests that need the CRD's validation ask this emulator instead.
 *
 * <p>What it does, in the API server's order: checks apiVersion, kind and metadata.name; drops status when the
 * status subresource is on (a create through the main endpoint ignores it); prunes unknown fields (reported as
 * warnings, as kubectl's default strict field validation would reject them) and non-nullable nulls; applies
 * schema defaults; validates against the version's openAPIV3Schema (draft 4, x-kubernetes-* keys removed, Go
 * RE2 patterns); checks x-kubernetes-list-type set/map uniqueness; evaluates every x-kubernetes-validations
 * rule with CEL where its node is present, with {@code self} typed from the schema so that a typo in a rule
 * fails to compile as it would when the CRD is applied, unless the schema check found an error the API server
 * treats as blocking (a missing, mistyped, unsupported or oversized value), where it says instead that the rules
 * were not checked. Messages are worded as kube-apiserver 1.34 words them (RealAdmissionIT compares them).
 *
 * <p>Of Kubernetes' own CEL libraries only isIP() and isCIDR() are registered. Not emulated: the CEL cost
 * budget, validation ratcheting on update, the other Kubernetes CEL libraries (ip(), cidr(), quantity, url, regex
 * find, k8s list functions, format), metadata beyond the name, and the
 * schema's {@code format} checks (formats only shape the CEL type: date-time, duration, byte).
 */
public final class CrdAdmission {

    private static final Path COMMITTED_CRDS = Path.of("deploy", "crds");
    private static final Path GENERATED_CRDS = Path.of("target", "kubernetes");
    private static final String TUNNEL_SESSIONS_CRD = "tunnelsessions.tunnelops.io-v1.yml";

    // Duplicate keys are an error, as in kubectl's strict decoding (a silently dropped key hides a test's intent).
    private static final ObjectMapper YAML = YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    // As Kubernetes configures cel-go: partial-match matches(), int overflow is an error, native values.
    private static final CelOptions CEL_OPTIONS = CelOptions.current().enableOptionalSyntax(true).build();

    private static final Set<String> CEL_RESERVED = Set.of("true", "false", "null", "in", "as", "break", "const",
            "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return",
            "var", "void", "while");
    private static final java.util.regex.Pattern CEL_IDENTIFIER = java.util.regex.Pattern.compile("[_a-zA-Z][_a-zA-Z0-9]*");
    /** What the API server adds instead of evaluating the CEL rules when the schema check found a blocking error. */
    public static final String RULES_NOT_CHECKED = "<nil>: Invalid value: null: some validation rules were not checked because "
            + "the object was invalid; correct the existing errors to complete validation";
    // The schema failures after which the API server skips the CEL rules (Required, NotSupported, TooLong, TooMany,
    // TypeInvalid in apiextensions-apiserver's hasBlockingErr).
    private static final Set<String> BLOCKING_FAILURES = Set.of("required", "enum", "maxLength", "maxItems",
            "maxProperties", "type");
    private static final String DNS_SUBDOMAIN = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

    private final String group;
    private final String kind;
    private final Map<String, ServedVersion> versions;

    private CrdAdmission(String group, String kind, Map<String, ServedVersion> versions) {
        this.group = group;
        this.kind = kind;
        this.versions = versions;
    }

    /** Whether an object was admitted, and why not. */
    public record AdmissionResult(List<String> violations, List<String> warnings) {

        public AdmissionResult {
            violations = List.copyOf(violations);
            warnings = List.copyOf(warnings);
        }

        public boolean allowed() {
            return violations.isEmpty();
        }
    }

    /** One x-kubernetes-validations rule of the CRD and whether it compiles against its node's type. */
    public record CelRule(String version, String path, String rule, String message, Optional<String> compileError) {

        public boolean compiles() {
            return compileError.isEmpty();
        }
    }

    /** The TunnelSession CRD: the committed copy in deploy/crds (surefire runs before the build generates one). */
    public static CrdAdmission tunnelSessions() {
        return forCrdFile(TUNNEL_SESSIONS_CRD);
    }

    /** A CRD by file name, from deploy/crds, or from target/kubernetes if it has no committed copy yet. */
    public static CrdAdmission forCrdFile(String fileName) {
        for (Path dir : List.of(COMMITTED_CRDS, GENERATED_CRDS)) {
            if (Files.isRegularFile(dir.resolve(fileName))) {
                return forCrd(dir.resolve(fileName));
            }
        }
        throw new IllegalStateException("No CRD " + fileName + " in " + COMMITTED_CRDS + " or " + GENERATED_CRDS
                + " (run ./mvnw package and copy target/kubernetes/" + fileName + " to deploy/crds/)");
    }

    public static CrdAdmission forCrd(Path crdFile) {
        JsonNode crd;
        try {
            crd = YAML.readTree(crdFile.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read CRD " + crdFile, e);
        }
        if (crd == null || !"CustomResourceDefinition".equals(crd.path("kind").asText())) {
            throw new IllegalArgumentException(crdFile + " is not a CustomResourceDefinition");
        }
        JsonNode spec = crd.path("spec");
        String plural = spec.path("names").path("plural").asText();
        Map<String, ServedVersion> versions = new LinkedHashMap<>();
        for (JsonNode version : spec.path("versions")) {
            String name = version.path("name").asText();
            versions.put(name, ServedVersion.load(plural, version));
        }
        return new CrdAdmission(spec.path("group").asText(), spec.path("names").path("kind").asText(), versions);
    }

    /** Every CEL rule of every version, each compiled against the type of the node it is declared on. */
    public List<CelRule> celRules() {
        return versions.values().stream().flatMap(v -> v.rules.stream()).map(CompiledRule::describe).toList();
    }

    /** Would a create of this object (YAML or JSON) be accepted? */
    public AdmissionResult admit(String yamlOrJson) {
        return admitUpdate(null, yamlOrJson);
    }

    /**
     * Would an update from {@code oldObject} to {@code newObject} be accepted? Transition rules (those using
     * oldSelf) run only here, where the old node exists (or always, with optionalOldSelf).
     */
    public AdmissionResult admitUpdate(String oldObject, String newObject) {
        List<String> violations = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        JsonNode object = parse(newObject);
        if (!(object instanceof ObjectNode root)) {
            return new AdmissionResult(List.of(": Invalid value: not an object"), List.of());
        }
        ServedVersion version = versionOf(root, violations);
        if (version == null) {
            return new AdmissionResult(violations, warnings);
        }
        checkName(root.path("metadata"), violations);
        ObjectNode oldRoot = null;
        if (oldObject != null) {
            if (!(parse(oldObject) instanceof ObjectNode old)) {
                throw new IllegalArgumentException("The old object is not an object: " + oldObject);
            }
            oldRoot = old;
            version.prepare(oldRoot, new ArrayList<>());
        }
        version.prepare(root, warnings);
        boolean blocking = version.validateSchema(root, violations);
        version.root.checkListTypes(root, "", violations);
        if (blocking) {
            // as the API server: a missing, mistyped, unsupported or oversized value means no CEL rule runs
            violations.add(RULES_NOT_CHECKED);
        } else {
            version.root.evaluateRules(root, oldRoot, "", violations);
        }
        return new AdmissionResult(violations, warnings);
    }

    private ServedVersion versionOf(ObjectNode object, List<String> violations) {
        String apiVersion = object.path("apiVersion").asText("");
        String objectKind = object.path("kind").asText("");
        if (!objectKind.equals(kind)) {
            violations.add("kind: Invalid value: " + JSON.valueToTree(objectKind) + ": must be " + kind);
        }
        String prefix = group + "/";
        ServedVersion version = apiVersion.startsWith(prefix) ? versions.get(apiVersion.substring(prefix.length())) : null;
        if (version == null || !version.served) {
            violations.add("apiVersion: Invalid value: " + JSON.valueToTree(apiVersion) + ": not a served version of "
                    + kind + " (served: " + versions.values().stream().filter(v -> v.served)
                            .map(v -> prefix + v.name).collect(Collectors.joining(", ")) + ")");
            return null;
        }
        return violations.isEmpty() ? version : null;
    }

    // What ObjectMeta validation checks of a custom resource's name.
    private static void checkName(JsonNode metadata, List<String> violations) {
        String name = metadata.path("name").asText("");
        if (name.isEmpty()) {
            if (metadata.path("generateName").asText("").isEmpty()) {
                violations.add("metadata.name: Required value: name or generateName is required");
            }
        } else if (name.length() > 253 || !name.matches(DNS_SUBDOMAIN)) {
            violations.add("metadata.name: Invalid value: " + JSON.valueToTree(name)
                    + ": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.',"
                    + " and must start and end with an alphanumeric character");
        }
    }

    private static JsonNode parse(String yamlOrJson) {
        try {
            String trimmed = yamlOrJson.strip();
            return trimmed.startsWith("{") ? JSON.readTree(trimmed) : YAML.readTree(yamlOrJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("Not YAML or JSON: " + e.getMessage(), e);
        }
    }

    /** One version of the CRD: its schema as a tree, the draft-4 validator and the compiled rules. */
    private static final class ServedVersion {
        final String name;
        final boolean served;
        final boolean statusSubresource;
        final SchemaNode root;
        final JsonSchema jsonSchema;
        final List<CompiledRule> rules = new ArrayList<>();

        private ServedVersion(String name, JsonNode version, SchemaNode root, JsonSchema jsonSchema) {
            this.name = name;
            this.served = version.path("served").asBoolean(false);
            this.statusSubresource = version.path("subresources").has("status");
            this.root = root;
            this.jsonSchema = jsonSchema;
        }

        static ServedVersion load(String plural, JsonNode version) {
            String name = version.path("name").asText();
            JsonNode openApi = version.path("schema").path("openAPIV3Schema");
            SchemaNode root = new SchemaNode(openApi, "", true);
            // Struct names must be unique across the CEL environment: derive them from the schema path.
            Map<String, CelType> structs = new LinkedHashMap<>();
            root.deriveCelType(plural + "." + name, structs);
            CelTypeProvider types = new SchemaTypes(ImmutableMap.copyOf(structs));
            ServedVersion served = new ServedVersion(name, version, root, draft4Schema(openApi));
            root.compileRules(name, types, served.rules);
            return served;
        }

        private static JsonSchema draft4Schema(JsonNode openApi) {
            JsonNode stripped = withoutKubernetesExtensions(openApi.deepCopy());
            SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
                    .nullableKeywordEnabled(true)
                    // networknt's formats are not the API server's (its "duration" is ISO 8601, Kubernetes' is Go's)
                    .formatAssertionsEnabled(false)
                    // the API server matches patterns with Go's RE2: '$' is the end of text, never before a '\n'
                    .regularExpressionFactory(regex -> {
                        com.google.re2j.Pattern pattern = com.google.re2j.Pattern.compile(regex);
                        return value -> pattern.matcher(value).find();
                    })
                    .build();
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(stripped, config);
        }

        private static JsonNode withoutKubernetesExtensions(JsonNode node) {
            if (node instanceof ObjectNode object) {
                object.properties().removeIf(field -> field.getKey().startsWith("x-kubernetes-"));
                object.forEach(CrdAdmission.ServedVersion::withoutKubernetesExtensions);
            } else if (node instanceof ArrayNode array) {
                array.forEach(CrdAdmission.ServedVersion::withoutKubernetesExtensions);
            }
            return node;
        }

        void prepare(ObjectNode object, List<String> warnings) {
            if (statusSubresource) {
                object.remove("status");
            }
            root.pruneAndDefault(object, "", warnings);
        }

        /** Adds the schema's violations; true if one of them keeps the API server from evaluating CEL rules. */
        boolean validateSchema(JsonNode object, List<String> violations) {
            boolean blocking = false;
            for (ValidationMessage message : jsonSchema.validate(object)) {
                violations.add(describe(message));
                blocking |= BLOCKING_FAILURES.contains(message.getType());
            }
            return blocking;
        }

        // Phrased as the API server phrases the same failures, so tests can look for its wording.
        private static String describe(ValidationMessage message) {
            String path = path(message);
            JsonNode value = message.getInstanceNode();
            Object[] arguments = message.getArguments() == null ? new Object[0] : message.getArguments();
            String first = arguments.length > 0 ? String.valueOf(arguments[0]) : "";
            String invalid = path + ": Invalid value: " + render(value) + ": " + path + " in body ";
            return switch (message.getType()) {
                case "required" -> join(path, message.getProperty()) + ": Required value";
                case "type" -> path + ": Invalid value: \"" + first + "\": " + path + " in body must be of type "
                        + (arguments.length > 1 ? arguments[1] : "?") + ": \"" + first + "\"";
                case "enum" -> path + ": Unsupported value: " + render(value) + ": supported values: "
                        + enumValues(message);
                case "pattern" -> invalid + "should match '" + first + "'";
                case "minimum" -> invalid + "should be greater than or equal to " + number(first);
                case "maximum" -> invalid + "should be less than or equal to " + number(first);
                // kube-openapi reports the item and property counts as the invalid value
                case "minItems" -> path + ": Invalid value: " + value.size() + ": " + path + " in body should have at least "
                        + first + " items";
                case "maxItems" -> path + ": Too many: " + value.size() + ": must have at most " + first + " items";
                case "minProperties" -> path + ": Invalid value: " + value.size() + ": " + path
                        + " in body should have at least " + first + " properties";
                case "maxProperties" -> path + ": Too many: " + value.size() + ": must have at most " + first + " items";
                case "minLength" -> invalid + "should be at least " + first + " chars long";
                case "maxLength" -> path + ": Too long: may not be more than " + first + ("1".equals(first) ? " byte" : " bytes");
                default -> path + ": Invalid value: " + render(value) + ": " + message.getMessage();
            };
        }

        private static String path(ValidationMessage message) {
            var location = message.getInstanceLocation();
            StringBuilder path = new StringBuilder();
            for (int i = 0; i < location.getNameCount(); i++) {
                Object element = location.getElement(i);
                if (element instanceof Integer index) {
                    path.append('[').append(index).append(']');
                } else {
                    path.append(path.isEmpty() ? "" : ".").append(element);
                }
            }
            return path.toString();
        }

        private static String enumValues(ValidationMessage message) {
            JsonNode allowed = message.getSchemaNode();
            if (allowed != null && allowed.isArray()) {
                List<String> values = new ArrayList<>();
                allowed.forEach(v -> values.add(render(v)));
                return String.join(", ", values);
            }
            return String.valueOf(message.getArguments()[0]);
        }

        private static String number(String value) {
            try {
                return new BigDecimal(value).stripTrailingZeros().toPlainString();
            } catch (NumberFormatException e) {
                return value;
            }
        }
    }

    /** A node of a structural schema, as the API server uses it for pruning, defaulting and CEL. */
    private static final class SchemaNode {
        final JsonNode raw;
        final String path;
        final boolean resourceRoot;
        final String type;
        final Map<String, SchemaNode> properties = new LinkedHashMap<>();
        final SchemaNode items;
        final SchemaNode additionalProperties;
        final boolean preserveUnknownFields;
        final boolean nullable;
        final JsonNode defaultValue;
        final List<CompiledRule> compiledRules = new ArrayList<>();
        CelType celType = SimpleType.DYN;

        SchemaNode(JsonNode raw, String path, boolean resourceRoot) {
            this.raw = raw;
            this.path = path;
            this.resourceRoot = resourceRoot || raw.path("x-kubernetes-embedded-resource").asBoolean(false);
            this.type = raw.path("type").asText("");
            raw.path("properties").properties()
                    .forEach(p -> properties.put(p.getKey(), new SchemaNode(p.getValue(), join(path, p.getKey()), false)));
            this.items = raw.path("items").isObject() ? new SchemaNode(raw.get("items"), path + "[*]", false) : null;
            JsonNode additional = raw.path("additionalProperties");
            this.additionalProperties = additional.isObject() ? new SchemaNode(additional, path + "[*]", false) : null;
            this.preserveUnknownFields = raw.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
                    || additional.asBoolean(false);
            this.nullable = raw.path("nullable").asBoolean(false);
            this.defaultValue = raw.get("default");
        }

        boolean isDyn() {
            return celType == SimpleType.DYN;
        }

        // -- CEL types, as the API server derives them from the schema --

        CelType deriveCelType(String typeName, Map<String, CelType> structs) {
            if (raw.path("x-kubernetes-int-or-string").asBoolean(false)) {
                celType = SimpleType.DYN;
            } else {
                celType = switch (type) {
                    case "object" -> objectType(typeName, structs);
                    case "array" -> ListType.create(items == null ? SimpleType.DYN
                            : items.deriveCelType(typeName + "._items_", structs));
                    case "string" -> switch (raw.path("format").asText("")) {
                        case "byte" -> SimpleType.BYTES;
                        case "duration" -> SimpleType.DURATION;
                        case "date", "date-time" -> SimpleType.TIMESTAMP;
                        default -> SimpleType.STRING;
                    };
                    case "integer" -> SimpleType.INT;
                    case "number" -> SimpleType.DOUBLE;
                    case "boolean" -> SimpleType.BOOL;
                    default -> SimpleType.DYN;
                };
            }
            return celType;
        }

        private CelType objectType(String typeName, Map<String, CelType> structs) {
            if (additionalProperties != null) {
                return MapType.create(SimpleType.STRING, additionalProperties.deriveCelType(typeName + "._values_", structs));
            }
            if (properties.isEmpty() && preserveUnknownFields) {
                return SimpleType.DYN;
            }
            Map<String, CelType> fields = new LinkedHashMap<>();
            properties.forEach((property, schema) -> {
                CelType fieldType = schema.deriveCelType(typeName + "." + property, structs);
                celFieldName(property).ifPresent(field -> fields.put(field, fieldType));
            });
            if (resourceRoot) {
                // every resource carries these; CEL sees only metadata.name and metadata.generateName
                fields.putIfAbsent("apiVersion", SimpleType.STRING);
                fields.putIfAbsent("kind", SimpleType.STRING);
                String metadataName = typeName + ".metadata";
                CelType metadata = struct(metadataName, Map.of("name", SimpleType.STRING, "generateName", SimpleType.STRING));
                structs.put(metadataName, metadata);
                fields.putIfAbsent("metadata", metadata);
            }
            CelType struct = struct(typeName, fields);
            structs.put(typeName, struct);
            return struct;
        }

        private static CelType struct(String name, Map<String, CelType> fields) {
            ImmutableMap<String, CelType> fieldTypes = ImmutableMap.copyOf(fields);
            return StructType.create(name, fieldTypes.keySet(), field -> Optional.ofNullable(fieldTypes.get(field)));
        }

        void compileRules(String version, CelTypeProvider types, List<CompiledRule> into) {
            for (JsonNode rule : raw.path("x-kubernetes-validations")) {
                into.add(CompiledRule.compile(version, this, rule, types));
            }
            properties.values().forEach(p -> p.compileRules(version, types, into));
            if (items != null) {
                items.compileRules(version, types, into);
            }
            if (additionalProperties != null) {
                additionalProperties.compileRules(version, types, into);
            }
        }

        // -- pruning, nulls and defaults, before validation as in the API server --

        void pruneAndDefault(JsonNode node, String at, List<String> warnings) {
            if (node instanceof ObjectNode object && "object".equals(type)) {
                List<String> names = new ArrayList<>();
                object.fieldNames().forEachRemaining(names::add);
                for (String field : names) {
                    if (resourceRoot && Set.of("apiVersion", "kind", "metadata").contains(field)) {
                        continue;
                    }
                    SchemaNode child = properties.getOrDefault(field, additionalProperties);
                    JsonNode value = object.get(field);
                    if (child == null) {
                        if (!preserveUnknownFields) {
                            object.remove(field);
                            warnings.add("unknown field \"" + join(at, field) + "\"");
                        }
                    } else if (value.isNull() && !child.nullable && child.defaultValue == null) {
                        object.remove(field);
                    } else {
                        child.pruneAndDefault(value, join(at, field), warnings);
                    }
                }
                properties.forEach((field, child) -> {
                    JsonNode value = object.get(field);
                    if (child.defaultValue != null && (value == null || (value.isNull() && !child.nullable))) {
                        object.set(field, child.defaultValue.deepCopy());
                        child.pruneAndDefault(object.get(field), join(at, field), warnings);
                    }
                });
            } else if (node instanceof ArrayNode array && items != null) {
                for (int i = 0; i < array.size(); i++) {
                    items.pruneAndDefault(array.get(i), at + "[" + i + "]", warnings);
                }
            }
        }

        // -- x-kubernetes-list-type: set and map forbid duplicates --

        void checkListTypes(JsonNode node, String at, List<String> violations) {
            if (node == null) {
                return;
            }
            if (node instanceof ArrayNode array) {
                String listType = raw.path("x-kubernetes-list-type").asText("atomic");
                List<String> keys = new ArrayList<>();
                raw.path("x-kubernetes-list-map-keys").forEach(k -> keys.add(k.asText()));
                Set<JsonNode> seen = new HashSet<>();
                for (int i = 0; i < array.size(); i++) {
                    JsonNode item = array.get(i);
                    JsonNode identity = "map".equals(listType) ? mapKeys(item, keys) : item;
                    if (("set".equals(listType) || "map".equals(listType)) && !seen.add(identity)) {
                        violations.add(at + "[" + i + "]: Duplicate value: " + render(identity));
                    }
                    if (items != null) {
                        items.checkListTypes(item, at + "[" + i + "]", violations);
                    }
                }
            } else if (node instanceof ObjectNode object) {
                object.properties().forEach(field -> {
                    SchemaNode child = properties.getOrDefault(field.getKey(), additionalProperties);
                    if (child != null) {
                        child.checkListTypes(field.getValue(), join(at, field.getKey()), violations);
                    }
                });
            }
        }

        private static JsonNode mapKeys(JsonNode item, List<String> keys) {
            ObjectNode identity = JSON.createObjectNode();
            keys.forEach(key -> identity.set(key, item.path(key).isMissingNode() ? null : item.get(key)));
            return identity;
        }

        // -- CEL rules, where their node is present --

        void evaluateRules(JsonNode node, JsonNode oldNode, String at, List<String> violations) {
            if (node == null || node.isMissingNode()) {
                return;
            }
            for (CompiledRule rule : compiledRules) {
                rule.evaluate(node, oldNode, at, violations);
            }
            if (node instanceof ObjectNode object) {
                object.properties().forEach(field -> {
                    SchemaNode child = properties.getOrDefault(field.getKey(), additionalProperties);
                    if (child != null) {
                        JsonNode old = oldNode == null ? null : oldNode.get(field.getKey());
                        child.evaluateRules(field.getValue(), old, join(at, field.getKey()), violations);
                    }
                });
            } else if (node instanceof ArrayNode array && items != null) {
                for (int i = 0; i < array.size(); i++) {
                    items.evaluateRules(array.get(i), correlatedOldItem(array.get(i), oldNode), at + "[" + i + "]",
                            violations);
                }
            }
        }

        // Only items of a listType=map list correlate with an old item (by their keys), as in the API server.
        private JsonNode correlatedOldItem(JsonNode item, JsonNode oldList) {
            if (oldList == null || !oldList.isArray() || !"map".equals(raw.path("x-kubernetes-list-type").asText())) {
                return null;
            }
            List<String> keys = new ArrayList<>();
            raw.path("x-kubernetes-list-map-keys").forEach(k -> keys.add(k.asText()));
            for (JsonNode old : oldList) {
                if (mapKeys(old, keys).equals(mapKeys(item, keys))) {
                    return old;
                }
            }
            return null;
        }

        /** The node as CEL sees it: maps for objects (escaped field names), lists, longs, doubles, strings. */
        Object toCel(JsonNode node) {
            if (node == null || node.isNull()) {
                return NullValue.NULL_VALUE;
            }
            if (isDyn()) {
                return untypedToCel(node);
            }
            if (node.isObject() && "object".equals(type)) {
                Map<String, Object> fields = new LinkedHashMap<>();
                node.properties().forEach(field -> {
                    SchemaNode property = properties.get(field.getKey());
                    if (property != null) {
                        celFieldName(field.getKey()).ifPresent(name -> fields.put(name, property.toCel(field.getValue())));
                    } else if (additionalProperties != null) {
                        fields.put(field.getKey(), additionalProperties.toCel(field.getValue()));
                    } else if (resourceRoot && Set.of("apiVersion", "kind").contains(field.getKey())) {
                        fields.put(field.getKey(), field.getValue().asText());
                    } else if (resourceRoot && "metadata".equals(field.getKey())) {
                        Map<String, Object> metadata = new LinkedHashMap<>();
                        for (String name : List.of("name", "generateName")) {
                            if (field.getValue().hasNonNull(name)) {
                                metadata.put(name, field.getValue().get(name).asText());
                            }
                        }
                        fields.put("metadata", metadata);
                    }
                });
                return fields;
            }
            if (node.isArray() && "array".equals(type)) {
                List<Object> list = new ArrayList<>();
                node.forEach(item -> list.add(items == null ? untypedToCel(item) : items.toCel(item)));
                return list;
            }
            if (node.isIntegralNumber() && "integer".equals(type)) {
                return node.asLong();
            }
            if (node.isNumber() && "number".equals(type)) {
                return node.asDouble();
            }
            if (node.isTextual() && "string".equals(type)) {
                return formattedString(node.asText());
            }
            // a value of the wrong type: the schema check reports it, CEL sees it as it is
            return untypedToCel(node);
        }

        private Object formattedString(String value) {
            try {
                return switch (raw.path("format").asText("")) {
                    case "byte" -> CelByteString.of(Base64.getDecoder().decode(value));
                    case "duration" -> RuntimeHelpers.createJavaDurationFromString(value);
                    case "date-time" -> Instant.parse(value);
                    case "date" -> LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
                    default -> value;
                };
            } catch (RuntimeException e) {
                return value;
            }
        }

        private static Object untypedToCel(JsonNode node) {
            if (node == null || node.isNull()) {
                return NullValue.NULL_VALUE;
            }
            if (node.isObject()) {
                Map<String, Object> map = new LinkedHashMap<>();
                node.properties().forEach(f -> map.put(f.getKey(), untypedToCel(f.getValue())));
                return map;
            }
            if (node.isArray()) {
                List<Object> list = new ArrayList<>();
                node.forEach(item -> list.add(untypedToCel(item)));
                return list;
            }
            if (node.isIntegralNumber()) {
                return node.asLong();
            }
            if (node.isNumber()) {
                return node.asDouble();
            }
            if (node.isBoolean()) {
                return node.asBoolean();
            }
            return node.asText();
        }
    }

    /** One x-kubernetes-validations entry, compiled for the node it is declared on. */
    private static final class CompiledRule {
        final String version;
        final SchemaNode node;
        final String rule;
        final String message;
        final String reason;
        final String fieldPath;
        final boolean optionalOldSelf;
        String compileError;
        CelRuntime.Program program;
        CelRuntime.Program messageProgram;
        boolean transition;

        private CompiledRule(String version, SchemaNode node, JsonNode declaration) {
            this.version = version;
            this.node = node;
            this.rule = declaration.path("rule").asText();
            this.message = declaration.path("message").asText(null);
            this.reason = declaration.path("reason").asText("FieldValueInvalid");
            this.fieldPath = declaration.path("fieldPath").asText("");
            this.optionalOldSelf = declaration.path("optionalOldSelf").asBoolean(false);
        }

        static CompiledRule compile(String version, SchemaNode node, JsonNode declaration, CelTypeProvider types) {
            CompiledRule compiled = new CompiledRule(version, node, declaration);
            node.compiledRules.add(compiled);
            CelType oldSelfType = compiled.optionalOldSelf ? OptionalType.create(node.celType) : node.celType;
            Cel cel = CelFactory.standardCelBuilder()
                    .setOptions(CEL_OPTIONS)
                    .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                    .setTypeProvider(types)
                    .addCompilerLibraries(CelExtensions.strings(), CelExtensions.sets(CEL_OPTIONS), CelExtensions.optional())
                    .addRuntimeLibraries(CelExtensions.strings(), CelExtensions.sets(CEL_OPTIONS), CelExtensions.optional())
                    .addFunctionDeclarations(KUBERNETES_FUNCTIONS)
                    .addFunctionBindings(KUBERNETES_BINDINGS)
                    .addVar("self", node.celType)
                    .addVar("oldSelf", oldSelfType)
                    .build();
            try {
                CelAbstractSyntaxTree ast = checked(cel, compiled.rule, SimpleType.BOOL, "rule");
                compiled.program = cel.createProgram(ast);
                compiled.transition = ast.getReferenceMap().values().stream().anyMatch(r -> "oldSelf".equals(r.name()));
                String messageExpression = declaration.path("messageExpression").asText("");
                if (!messageExpression.isEmpty()) {
                    compiled.messageProgram = cel.createProgram(
                            checked(cel, messageExpression, SimpleType.STRING, "messageExpression"));
                }
            } catch (CelEvaluationException | IllegalArgumentException e) {
                compiled.compileError = e.getMessage();
            }
            return compiled;
        }

        private static CelAbstractSyntaxTree checked(Cel cel, String expression, CelType expected, String what) {
            CelValidationResult result = cel.compile(expression);
            if (result.hasError()) {
                throw new IllegalArgumentException(what + " does not compile: " + result.getIssueString());
            }
            try {
                CelAbstractSyntaxTree ast = result.getAst();
                if (!ast.getResultType().equals(expected) && !ast.getResultType().equals(SimpleType.DYN)) {
                    throw new IllegalArgumentException(what + " must evaluate to " + expected.name() + ", not "
                            + ast.getResultType().name());
                }
                return ast;
            } catch (dev.cel.common.CelValidationException e) {
                throw new IllegalArgumentException(what + " does not compile: " + e.getMessage(), e);
            }
        }

        CelRule describe() {
            return new CelRule(version, node.path.isEmpty() ? "<root>" : node.path, rule,
                    message == null ? "failed rule: " + rule : message, Optional.ofNullable(compileError));
        }

        void evaluate(JsonNode value, JsonNode oldValue, String at, List<String> violations) {
            if (compileError != null) {
                // the API server would have refused the CRD itself: no object could be admitted
                throw new IllegalStateException("CRD rule at " + describe().path() + " does not compile, the API server "
                        + "would reject the CRD: " + compileError);
            }
            if (transition && oldValue == null && !optionalOldSelf) {
                return;
            }
            Map<String, Object> variables = new LinkedHashMap<>();
            variables.put("self", node.toCel(value));
            if (transition) {
                Object old = oldValue == null ? null : node.toCel(oldValue);
                variables.put("oldSelf", optionalOldSelf ? Optional.ofNullable(old) : old);
            }
            String where = at + fieldPath;
            if (where.startsWith(".")) {
                where = where.substring(1);
            }
            try {
                Object result = program.eval(variables);
                if (!Boolean.TRUE.equals(result)) {
                    violations.add(failure(where, messageFor(variables)));
                }
            } catch (CelEvaluationException e) {
                // the API server reports it at the rule's node (not its fieldPath) and goes on with the other rules
                violations.add(pathPrefix(at.startsWith(".") ? at.substring(1) : at) + "Invalid value: \"" + typeName()
                        + "\": " + celGoError(e) + " evaluating rule: " + (message == null ? rule : message).strip());
            }
        }

        private String messageFor(Map<String, Object> variables) {
            if (messageProgram != null) {
                try {
                    Object text = messageProgram.eval(variables);
                    if (text instanceof String s && !s.isBlank()) {
                        return s;
                    }
                } catch (CelEvaluationException e) {
                    // the API server falls back to message, as here
                }
            }
            return message == null ? "failed rule: " + rule : message;
        }

        private String failure(String where, String text) {
            return pathPrefix(where) + switch (reason) {
                case "FieldValueForbidden" -> "Forbidden: " + text;
                case "FieldValueRequired" -> "Required value: " + text;
                // the API server gives the node's type as the duplicate value, and no message
                case "FieldValueDuplicate" -> "Duplicate value: \"" + typeName() + "\"";
                default -> "Invalid value: \"" + typeName() + "\": " + text;
            };
        }

        private String typeName() {
            return node.type.isEmpty() ? "object" : node.type;
        }

        // The API server prints the root's empty field path as <nil>.
        private static String pathPrefix(String where) {
            return (where.isEmpty() ? "<nil>" : where) + ": ";
        }

        // cel-go's wording for the runtime errors CEL-Java words differently, as far as the CRDs here can meet them.
        private static String celGoError(CelEvaluationException e) {
            String text = String.valueOf(e.getMessage()).replaceFirst("^evaluation error at [^:]*:\\d+: ", "");
            return switch (text) {
                case "invalid duration format" -> "type conversion error from 'string' to 'google.protobuf.Duration'";
                default -> text;
            };
        }
    }

    // Kubernetes' isIP() and isCIDR() (CEL-Java has neither); ip(), cidr() and their member functions are not here.
    private static final List<CelFunctionDecl> KUBERNETES_FUNCTIONS = List.of(
            CelFunctionDecl.newFunctionDeclaration("isIP",
                    CelOverloadDecl.newGlobalOverload("is_ip", SimpleType.BOOL, SimpleType.STRING)),
            CelFunctionDecl.newFunctionDeclaration("isCIDR",
                    CelOverloadDecl.newGlobalOverload("is_cidr", SimpleType.BOOL, SimpleType.STRING)));
    private static final List<CelFunctionBinding> KUBERNETES_BINDINGS = List.of(
            CelFunctionBinding.from("is_ip", String.class, text -> parseIp(text) != null),
            CelFunctionBinding.from("is_cidr", String.class, CrdAdmission::isCidr));

    private static final java.util.regex.Pattern IPV4 = java.util.regex.Pattern.compile(
            "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}");

    /** The address's bytes, or null; like Kubernetes: no leading zeros, no zone, no IPv4-mapped IPv6. */
    static byte[] parseIp(String text) {
        if (IPV4.matcher(text).matches()) {
            return ipv4Bytes(text);
        }
        if (!text.contains(":") || !text.matches("[0-9A-Fa-f:.]+")) {
            return null;
        }
        try {
            // a literal with ':' is parsed, never looked up
            InetAddress address = InetAddress.getByName(text);
            return address instanceof Inet6Address ? address.getAddress() : null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static byte[] ipv4Bytes(String text) {
        String[] parts = text.split("\\.");
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            bytes[i] = (byte) Integer.parseInt(parts[i]);
        }
        return bytes;
    }

    static boolean isCidr(String text) {
        int slash = text.lastIndexOf('/');
        if (slash < 0 || !text.substring(slash + 1).matches("0|[1-9][0-9]{0,2}")) {
            return false;
        }
        byte[] address = parseIp(text.substring(0, slash));
        return address != null && Integer.parseInt(text.substring(slash + 1)) <= address.length * 8;
    }

    /** The struct types derived from the schema, so the CEL checker knows every object's fields. */
    private record SchemaTypes(ImmutableMap<String, CelType> structs) implements CelTypeProvider {

        @Override
        public ImmutableList<CelType> types() {
            return structs.values().asList();
        }

        @Override
        public Optional<CelType> findType(String typeName) {
            return Optional.ofNullable(structs.get(typeName));
        }
    }

    /** A property name as CEL sees it (Kubernetes' escaping), or empty if CEL cannot reach it. */
    static Optional<String> celFieldName(String property) {
        if (CEL_RESERVED.contains(property)) {
            return Optional.of("__" + property + "__");
        }
        String escaped = property.replace("__", "__underscores__").replace(".", "__dot__").replace("-", "__dash__")
                .replace("/", "__slash__");
        return CEL_IDENTIFIER.matcher(escaped).matches() ? Optional.of(escaped) : Optional.empty();
    }

    private static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    private static String render(JsonNode value) {
        if (value == null || value.isMissingNode()) {
            return "null";
        }
        if (value.isObject()) {
            return "\"object\"";
        }
        if (value.isArray()) {
            return "\"array\"";
        }
        return value.toString();
    }
}
