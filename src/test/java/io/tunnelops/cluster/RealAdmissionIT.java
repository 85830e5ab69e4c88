package io.tunnelops.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.testing.BadInputCases;
import io.tunnelops.testing.CrdAdmission;
import io.tunnelops.testing.CrdAdmission.AdmissionResult;
import io.tunnelops.testing.Kubectl;
import io.tunnelops.testing.SchemaCases;
import io.tunnelops.testing.SchemaCases.Accepted;
import io.tunnelops.testing.SchemaCases.Rejected;

/**
 * Admission, for real: every case of the schema tables and of the bad-input table goes through a real kube-apiserver
 * with the real kubectl ({@code kubectl apply -f -}), into a fresh namespace. A schema case is refused with the CRD's
 * message or created, as its table says; a bad-input session is either refused at admission (the CRD rule is recorded)
 * or admitted and then ends Failed or Denied with the table's reason, with nothing provisioned for it. The admission
 * emulator the unit tests use ({@link CrdAdmission}) is asked the same question each time and must say exactly what the
 * API server said: its verdict and its list of messages.
 */
class RealAdmissionIT {

    private static final CrdAdmission SESSIONS = CrdAdmission.tunnelSessions();
    private static final CrdAdmission POLICIES = CrdAdmission.forCrdFile("tunnelpolicies.tunnelops.io-v1.yml");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<SessionPhase> FINAL_FOR_BAD_INPUT = Set.of(SessionPhase.Failed, SessionPhase.Denied,
            SessionPhase.Ready, SessionPhase.Ended, SessionPhase.Expired);

    /**
     * Reasons only the operator can give: they depend on the namespace's policy, on the target Service as it is, or on
     * what this operator supports; a CRD rule refusing such a case would refuse valid input somewhere else.
     */
    private static final Set<String> OPERATOR_ONLY_REASONS = Set.of("Denied", "TargetServiceNotFound",
            "TargetPortNotExposed", "UnsupportedTarget", "AppNotFound", "AppContainerNotFound");

    static RealCluster cluster;
    static Kubectl kubectl;
    static KubernetesClient admin;

    /** Per table: how many cases ended which way, for the summary. */
    private static final Map<String, Map<Outcome, Integer>> SUMMARY = new TreeMap<>();
    private static final Map<String, Duration> TIMES = new TreeMap<>();
    /** Bad-input cases the API server refused: the case and the first message of the refusal. */
    private static final Map<String, String> REFUSED_BAD_INPUT = new LinkedHashMap<>();

    /** Refused at admission; admitted (a schema case: created); admitted, then Failed; admitted, then Denied. */
    enum Outcome {
        REFUSED, CREATED, FAILED, DENIED
    }

    @BeforeAll
    static void up() {
        cluster = RealCluster.shared();
        kubectl = cluster.kubectl();
        admin = cluster.admin();
    }

    @Test
    void everyTunnelSessionSchemaCaseIsRefusedWithItsMessageOrCreated() {
        long begin = System.nanoTime();
        String ns = cluster.namespace("schema-ts");
        List<String> wrong = new ArrayList<>();
        int i = 0;
        for (Rejected c : SchemaCases.sessionRejected()) {
            String name = objectName("r", i++, c.name());
            refused("TunnelSession schema", c, SchemaCases.tunnelSession(ns, name, c.spec()), SESSIONS, wrong);
        }
        for (Accepted c : Stream.concat(SchemaCases.sessionAccepted().stream(),
                SchemaCases.sessionKnownSchemaGaps().stream()).toList()) {
            String name = objectName("a", i++, c.name());
            created("TunnelSession schema", c, SchemaCases.tunnelSession(ns, name, c.spec()), "tunnelsession", SESSIONS,
                    () -> admin.resources(TunnelSession.class).inNamespace(ns).withName(name).get(), wrong);
        }
        assertEquals(List.of(), wrong, "cases where the real API server disagrees with the table or the emulator");
        assertEquals(SchemaCases.sessionRejected().size(), count("TunnelSession schema", Outcome.REFUSED));
        admin.namespaces().withName(ns).delete();
        TIMES.put("TunnelSession schema", Duration.ofNanos(System.nanoTime() - begin));
    }

    @Test
    void everyTunnelPolicySchemaCaseIsRefusedWithItsMessageOrCreated() {
        long begin = System.nanoTime();
        String ns = cluster.namespace("schema-tp");
        List<String> wrong = new ArrayList<>();
        int i = 0;
        for (Rejected c : SchemaCases.policyRejected()) {
            refused("TunnelPolicy schema", c, SchemaCases.tunnelPolicy(ns, objectName("r", i++, "policy"), c.spec()),
                    POLICIES, wrong);
        }
        for (Accepted c : SchemaCases.policyAccepted()) {
            String name = objectName("a", i++, "policy");
            created("TunnelPolicy schema", c, SchemaCases.tunnelPolicy(ns, name, c.spec()), "tunnelpolicy", POLICIES,
                    () -> admin.resources(TunnelPolicy.class).inNamespace(ns).withName(name).get(), wrong);
        }
        assertEquals(List.of(), wrong, "cases where the real API server disagrees with the table or the emulator");
        assertEquals(SchemaCases.policyRejected().size(), count("TunnelPolicy schema", Outcome.REFUSED));
        admin.namespaces().withName(ns).delete();
        TIMES.put("TunnelPolicy schema", Duration.ofNanos(System.nanoTime() - begin));
    }

    @Test
    void everyBadInputIsRefusedAtAdmissionOrEndsWithItsReasonWithNothingProvisioned() {
        long begin = System.nanoTime();
        String ns = cluster.namespace("bad");
        BadInputCases.targetServices(ns).forEach(service -> admin.resource(service).create());
        List<BadInputCases.Case> cases = BadInputCases.cases();
        List<String> wrong = new ArrayList<>();
        List<BadInputCases.Case> admitted = new ArrayList<>();
        for (BadInputCases.Case c : cases) {
            String yaml = Serialization.asYaml(c.session(ns));
            Kubectl.Result applied = kubectl.runWithInput(yaml, "apply", "-f", "-");
            AdmissionResult emulated = SESSIONS.admit(yaml);
            if (applied.exitCode() != 0) {
                List<String> messages = apiServerMessages(applied.stderr());
                REFUSED_BAD_INPUT.put(c.name(), messages.get(0));
                tally("bad input", Outcome.REFUSED);
                if (OPERATOR_ONLY_REASONS.contains(c.reason())) {
                    wrong.add(c.name() + ": refused at admission, but " + c.reason()
                            + " is the operator's decision, not the schema's: " + messages);
                }
                if (!sameMessages(messages, emulated.violations())) {
                    wrong.add(c.name() + ": the API server refused it with " + messages + ", the emulator said "
                            + emulated.violations());
                }
            } else {
                admitted.add(c);
                if (!applied.stdout().equals("tunnelsession.tunnelops.io/" + c.name() + " created\n")) {
                    wrong.add(c.name() + ": kubectl apply said " + applied.stdout() + applied.stderr());
                }
                if (!emulated.allowed()) {
                    wrong.add(c.name() + ": the API server admitted it, the emulator refused it: " + emulated.violations());
                }
            }
        }

        // the operator decides on every admitted one: the table's phase and Ready reason, nothing else
        Map<String, TunnelSession> last = new TreeMap<>();
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            last.clear();
            admin.resources(TunnelSession.class).inNamespace(ns).list().getItems()
                    .forEach(s -> last.put(s.getMetadata().getName(), s));
            List<String> pending = admitted.stream().filter(c -> phase(last.get(c.name())) == null
                    || !FINAL_FOR_BAD_INPUT.contains(phase(last.get(c.name()))))
                    .map(c -> c.name() + " (" + phase(last.get(c.name())) + ")").toList();
            assertEquals(List.of(), pending, "admitted sessions without a final phase yet");
        });
        for (BadInputCases.Case c : admitted) {
            TunnelSession session = last.get(c.name());
            Condition ready = readyCondition(session);
            String reason = ready == null ? null : ready.getReason();
            if (phase(session) != c.phase() || !c.reason().equals(reason) || !c.matches(ready.getMessage())) {
                wrong.add(c.name() + ": expected " + c.phase() + "/" + c.reason() + " saying \"" + c.phrase() + "\" but got "
                        + phase(session) + "/" + reason + " (" + (ready == null ? "no Ready condition" : ready.getMessage())
                        + ")");
            } else {
                tally("bad input", c.phase() == SessionPhase.Denied ? Outcome.DENIED : Outcome.FAILED);
            }
        }
        wrong.addAll(provisionedIn(ns));
        assertEquals(List.of(), wrong);
        assertEquals(cases.size(), SUMMARY.get("bad input").values().stream().mapToInt(Integer::intValue).sum(),
                "every case has exactly one outcome");
        assertTrue(count("bad input", Outcome.REFUSED) > 0 && count("bad input", Outcome.FAILED) > 0
                && count("bad input", Outcome.DENIED) > 0, "each outcome occurs: " + SUMMARY.get("bad input"));
        TIMES.put("bad input", Duration.ofNanos(System.nanoTime() - begin));
    }

    @AfterAll
    static void summary() {
        if (SUMMARY.isEmpty()) {
            return;
        }
        StringBuilder out = new StringBuilder(String.format("%nAdmission, for real (kube-apiserver and kubectl %s; cluster "
                + "and operator up in %.1f s)%n", serverVersion(), cluster.startupTime().toMillis() / 1000.0));
        out.append(String.format("%-22s %6s %9s %9s %9s %9s %8s%n", "table", "cases", "refused", "created", "->Failed",
                "->Denied", "time"));
        SUMMARY.forEach((table, outcomes) -> out.append(String.format("%-22s %6d %9d %9d %9d %9d %7.1fs%n", table,
                outcomes.values().stream().mapToInt(Integer::intValue).sum(), outcomes.getOrDefault(Outcome.REFUSED, 0),
                outcomes.getOrDefault(Outcome.CREATED, 0), outcomes.getOrDefault(Outcome.FAILED, 0),
                outcomes.getOrDefault(Outcome.DENIED, 0),
                TIMES.getOrDefault(table, Duration.ZERO).toMillis() / 1000.0)));
        if (!REFUSED_BAD_INPUT.isEmpty()) {
            out.append("bad input refused at admission, by the CRD rule:\n");
            REFUSED_BAD_INPUT.forEach((name, message) -> out.append(String.format("  %-26s %s%n", name,
                    message.length() > 150 ? message.substring(0, 150) + "..." : message)));
        }
        System.out.print(out);
    }

    /** A Rejected case: kubectl apply fails with the expected fragment, and the emulator says exactly the same. */
    private static void refused(String table, Rejected c, String yaml, CrdAdmission emulator, List<String> wrong) {
        Kubectl.Result applied = kubectl.runWithInput(yaml, "apply", "-f", "-");
        if (applied.exitCode() == 0) {
            wrong.add(c.name() + ": admitted by the API server: " + applied.stdout());
            return;
        }
        tally(table, Outcome.REFUSED);
        if (!applied.stderr().contains(c.expected())) {
            wrong.add(c.name() + ": expected \"" + c.expected() + "\" but the API server said: " + applied.stderr());
        }
        List<String> messages = apiServerMessages(applied.stderr());
        List<String> emulated = emulator.admit(yaml).violations();
        if (!sameMessages(messages, emulated)) {
            wrong.add(c.name() + ": the API server said " + messages + ", the emulator " + emulated);
        }
    }

    /** An Accepted case: kubectl apply creates it without a warning, and the emulator admits it too. */
    private static void created(String table, Accepted c, String yaml, String kind, CrdAdmission emulator,
            java.util.function.Supplier<HasMetadata> stored, List<String> wrong) {
        Kubectl.Result applied = kubectl.runWithInput(yaml, "apply", "-f", "-");
        if (applied.exitCode() != 0 || !applied.stdout().matches(kind + "\\.tunnelops\\.io/\\S+ created\n")
                || !applied.stderr().isEmpty() || stored.get() == null) {
            wrong.add(c.name() + ": not simply created: exit " + applied.exitCode() + ", " + applied.stdout()
                    + applied.stderr());
            return;
        }
        tally(table, Outcome.CREATED);
        AdmissionResult emulated = emulator.admit(yaml);
        if (!emulated.allowed() || !emulated.warnings().isEmpty()) {
            wrong.add(c.name() + ": created by the API server, but the emulator said " + emulated);
        }
    }

    // The same messages, in any order (the order of the API server's schema errors is not part of its contract).
    private static boolean sameMessages(List<String> apiServer, List<String> emulator) {
        return apiServer.stream().sorted().toList().equals(emulator.stream().sorted().toList());
    }

    /**
     * The field errors of kubectl's "The X "name" is invalid: ..." message: one on that line, or several as "* "
     * items below it.
     */
    static List<String> apiServerMessages(String stderr) {
        String text = stderr.strip();
        int at = text.indexOf(" is invalid: ");
        if (at < 0) {
            return List.of(text);
        }
        String rest = text.substring(at + " is invalid: ".length());
        if (!rest.startsWith("\n")) {
            return List.of(rest);
        }
        return rest.strip().lines().map(line -> line.replaceFirst("^\\* ", "")).toList();
    }

    /**
     * What the operator created or changed in the namespace, other than sessions, their status and events (from the
     * API server's audit log, so an object created and deleted again counts too, and so does an attempt RBAC refused),
     * and what is there now besides the target Services.
     */
    private static List<String> provisionedIn(String ns) {
        List<String> found = new ArrayList<>();
        String operator = "system:serviceaccount:" + RealCluster.OPERATOR_NAMESPACE + ":" + RealCluster.OPERATOR_ACCOUNT;
        Path audit = Path.of(cluster.env().get("CLUSTER_DIR"), "logs", "audit.log");
        try (Stream<String> lines = Files.lines(audit)) {
            lines.filter(line -> line.contains("\"" + ns + "\"")).map(RealAdmissionIT::json)
                    .filter(e -> operator.equals(e.path("user").path("username").asText())
                            && ns.equals(e.path("objectRef").path("namespace").asText())
                            && Set.of("create", "update", "patch").contains(e.path("verb").asText())
                            && !Set.of("tunnelsessions", "events").contains(e.path("objectRef").path("resource").asText()))
                    .forEach(e -> found.add("the operator did " + e.path("verb").asText() + " "
                            + e.path("objectRef").path("resource").asText() + "/" + e.path("objectRef").path("name").asText()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        BiFunction<String, List<? extends HasMetadata>, List<String>> names = (kind, items) -> items.stream()
                .map(item -> kind + "/" + item.getMetadata().getName()).toList();
        List<String> present = new ArrayList<>();
        present.addAll(names.apply("deployment", admin.apps().deployments().inNamespace(ns).list().getItems()));
        present.addAll(names.apply("pod", admin.pods().inNamespace(ns).list().getItems()));
        present.addAll(names.apply("secret", admin.secrets().inNamespace(ns).list().getItems()));
        present.addAll(names.apply("networkpolicy", admin.network().v1().networkPolicies().inNamespace(ns).list().getItems()));
        present.addAll(names.apply("service", admin.services().inNamespace(ns).list().getItems()));
        present.removeAll(BadInputCases.targetServices(ns).stream().map(s -> "service/" + s.getMetadata().getName()).toList());
        present.forEach(p -> found.add("present in the namespace: " + p));
        cluster.node().runningSshds().keySet().stream().filter(k -> k.startsWith(ns + "/"))
                .forEach(k -> found.add("an sshd runs: " + k));
        return found;
    }

    private static JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SessionPhase phase(TunnelSession session) {
        return session == null || session.getStatus() == null ? null : session.getStatus().getPhase();
    }

    private static Condition readyCondition(TunnelSession session) {
        return session.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst()
                .orElse(null);
    }

    private static void tally(String table, Outcome outcome) {
        SUMMARY.computeIfAbsent(table, t -> new LinkedHashMap<>()).merge(outcome, 1, Integer::sum);
    }

    private static int count(String table, Outcome outcome) {
        return SUMMARY.getOrDefault(table, Map.of()).getOrDefault(outcome, 0);
    }

    /** A DNS-1123 name for a case: prefix, index, and the case's words, so kubectl get shows which is which. */
    private static String objectName(String prefix, int index, String caseName) {
        String words = caseName.toLowerCase().replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        String name = prefix + String.format("%03d", index) + "-" + words;
        return name.length() > 60 ? name.substring(0, 60).replaceAll("-$", "") : name;
    }

    private static String serverVersion() {
        try {
            return admin.getKubernetesVersion().getGitVersion();
        } catch (RuntimeException e) {
            return "?";
        }
    }
}
