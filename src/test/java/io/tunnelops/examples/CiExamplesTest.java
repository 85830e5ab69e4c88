package io.tunnelops.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.tunnelops.testing.CrdAdmission;
import io.tunnelops.testing.GitHubWorkflow;
import io.tunnelops.testing.GitHubWorkflow.Outcome;
import io.tunnelops.testing.GitHubWorkflow.StepResult;

/**
 * The CI examples without a cluster: the bash script and the GitHub Actions workflow pass their linters (shellcheck,
 * actionlint), the workflow has the shape that keeps a secret out of logs and always cleans up, and the sessions both
 * create are ones the API server accepts (each runs against a stand-in kubectl that keeps what it is asked to create).
 * CiExamplesIT runs both against local mode for real.
 */
class CiExamplesTest {

    static final Path SCRIPT = Path.of("examples/ci-debug-session.sh");
    static final Path WORKFLOW = Path.of("examples/github-actions/debug-tunnel.yaml");
    static final String JOB = "through-a-tunnel";
    private static final String CLEANUP = "Close the tunnel and delete the session";
    private static final YAMLMapper YAML = new YAMLMapper();

    @Test
    void shellcheckFindsNothingInTheCiScript() {
        Result result = run(List.of(tool("shellcheck", "the Debian package shellcheck"), SCRIPT.toString()), Map.of());
        assertEquals(0, result.exitCode(), result.output());
    }

    @Test
    void actionlintWithShellcheckFindsNothingInTheWorkflow() {
        Result result = run(List.of(tool("actionlint", "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"),
                "-shellcheck=" + tool("shellcheck", "the Debian package shellcheck"), WORKFLOW.toString()), Map.of());
        assertEquals(0, result.exitCode(), result.output());
    }

    @Test
    void theWorkflowKeepsTheKubeconfigOutOfLogsAndDeletesTheSessionWhateverHappened() {
        GitHubWorkflow workflow = GitHubWorkflow.read(WORKFLOW);
        JsonNode root = workflow.root();
        assertTrue(root.path("on").has("workflow_dispatch"), "run by hand: on.workflow_dispatch");
        assertEquals("read", root.path("permissions").path("contents").asText());
        assertEquals(1, root.path("permissions").size(), "no permission beyond reading the repository");
        assertFalse(root.path("concurrency").path("group").asText().isBlank(),
                "one run at a time: the session name is fixed (RBAC pins its Secret by name)");

        JsonNode job = workflow.job(JOB);
        assertEquals("bash", job.path("defaults").path("run").path("shell").asText(), "bash -eo pipefail for every step");
        assertTrue(job.path("timeout-minutes").asInt() > 0 && job.path("timeout-minutes").asInt() <= 30, "a bounded job");
        List<JsonNode> steps = workflow.steps(JOB);
        for (JsonNode step : steps) {
            String name = step.path("name").asText();
            assertFalse(name.isBlank(), "every step is named");
            assertTrue(step.has("run") && !step.has("uses"), name + ": a run: step (no action, so CiExamplesIT runs it all)");
            String script = step.get("run").asText();
            assertFalse(script.contains("${{"), name + ": no expression inside a script (script injection); use env:");
            assertFalse(script.matches("(?s).*\\bset -[a-z]*x.*"), name + ": no xtrace, which would print every value");
        }

        // the kubeconfig: only one step sees the secret, and it writes it to a private file, never to the log
        List<String> secretSteps = new ArrayList<>();
        for (JsonNode step : steps) {
            step.path("env").fields().forEachRemaining(field -> {
                if (field.getValue().asText().contains("secrets.")) {
                    secretSteps.add(step.get("name").asText() + ": " + field.getKey());
                }
            });
        }
        assertEquals(List.of("Write the kubeconfig: KUBECONFIG_CONTENT"), secretSteps);
        assertEquals(List.of("${{ secrets.KUBECONFIG }}"), workflow.expressions().stream()
                .filter(e -> e.contains("secrets.")).map(e -> "${{ " + e + " }}").toList());
        assertFalse(job.path("env").toString().contains("secrets."), "the secret is in no job-wide env");
        String writer = steps.get(0).get("run").asText();
        for (String line : writer.lines().filter(l -> l.contains("KUBECONFIG_CONTENT")).toList()) {
            assertTrue(line.strip().endsWith("> \"$RUNNER_TEMP/kubeconfig\""), "the secret goes to a file only: " + line);
        }
        assertTrue(writer.contains("install -m 600 /dev/null \"$RUNNER_TEMP/kubeconfig\""), "the file is private first");

        // cleanup: the last step, run whatever happened before it (a failed step, a cancelled run)
        JsonNode last = steps.get(steps.size() - 1);
        assertEquals(CLEANUP, last.get("name").asText());
        assertEquals("always()", last.path("if").asText());
        assertTrue(last.get("run").asText().contains("delete tunnelsession \"$SESSION\""), last.get("run").asText());
        assertEquals(1, steps.stream().filter(s -> s.has("if")).count(), "the other steps run only after success");

        // what steps hand on through $GITHUB_ENV never collides with an env: block (so precedence cannot matter)
        Pattern exported = Pattern.compile("echo \"([A-Z_]+)=.*>> \"\\$GITHUB_ENV\"");
        for (JsonNode step : steps) {
            Matcher matcher = exported.matcher(step.get("run").asText());
            while (matcher.find()) {
                String name = matcher.group(1);
                assertFalse(root.path("env").has(name) || job.path("env").has(name)
                        || steps.stream().anyMatch(s -> s.path("env").has(name)), name + " is also set by an env: block");
            }
        }
    }

    @Test
    void theWorkflowCreatesASessionTheApiServerAcceptsAndItsCleanupStepRunsAfterAFailedStep(@TempDir Path dir)
            throws IOException {
        StandInKubectl kubectl = StandInKubectl.in(dir);
        Path temp = Files.createDirectories(dir.resolve("runner-temp"));
        Map<String, String> machine = new HashMap<>(System.getenv());
        machine.remove("KUBECONFIG");
        machine.putAll(kubectl.environment());
        List<StepResult> steps = GitHubWorkflow.read(WORKFLOW).runJob(JOB, new GitHubWorkflow.RunContext(Map.of(),
                Map.of("KUBECONFIG", "apiVersion: v1\nkind: Config\n"), "17", temp,
                Files.createDirectories(dir.resolve("workspace")), machine));

        // the stand-in refuses the create: the steps after it are skipped, the cleanup step runs and deletes
        assertEquals(List.of(Outcome.SUCCESS, Outcome.FAILURE, Outcome.SKIPPED, Outcome.SKIPPED, Outcome.SKIPPED,
                Outcome.SUCCESS), steps.stream().map(StepResult::outcome).toList(), steps.toString());
        assertEquals(List.of("-n team-a-tunnels delete tunnelsession ci-debug --ignore-not-found",
                "-n team-a-tunnels create -f -",
                "-n team-a-tunnels delete tunnelsession ci-debug --ignore-not-found --wait=false",
                "-n team-a-tunnels wait --for=delete tunnelsession/ci-debug --timeout=60s"), kubectl.calls());
        String manifest = kubectl.created();
        assertAdmitted(manifest);
        JsonNode session = YAML.readTree(manifest);
        assertEquals("ci-debug", session.at("/metadata/name").asText());
        assertEquals("echo", session.at("/spec/target/service").asText()); // the inputs' defaults
        assertEquals("[7000]", session.at("/spec/target/ports").toString());
        try (Stream<Path> left = Files.list(temp)) {
            assertEquals(List.of(), left.toList(), "the kubeconfig and the step files are gone");
        }
    }

    @Test
    void theCiScriptCreatesASessionTheApiServerAcceptsToAServiceOrAHost(@TempDir Path dir) throws IOException {
        for (Map<String, String> target : List.of(Map.of("TARGET_SERVICE", "postgres", "TARGET_PORT", "5432"),
                Map.of("TARGET_HOST", "orders.db.corp.example", "TARGET_PORT", "5432"), Map.<String, String>of())) {
            StandInKubectl kubectl = StandInKubectl.in(Files.createTempDirectory(dir, "kubectl"));
            Map<String, String> environment = new HashMap<>(kubectl.environment());
            environment.putAll(target);
            environment.putAll(Map.of("SESSION", "ci-debug", "TMPDIR", Files.createTempDirectory(dir, "tmp").toString()));
            Result result = run(List.of("bash", SCRIPT.toString()), environment);

            assertEquals(1, result.exitCode(), result.output()); // the stand-in refused the create
            assertEquals(List.of("config view --minify -o jsonpath={..namespace}",
                    "-n default delete tunnelsession ci-debug --ignore-not-found", "-n default create -f -",
                    "-n default delete tunnelsession ci-debug --ignore-not-found --wait=false",
                    "-n default wait --for=delete tunnelsession/ci-debug --timeout=60s"), kubectl.calls(),
                    "a leftover of the name deleted first; created, never patched; deleted again at the end");
            String manifest = kubectl.created();
            assertAdmitted(manifest);
            JsonNode spec = YAML.readTree(manifest).path("spec");
            if (target.containsKey("TARGET_HOST")) {
                assertEquals("orders.db.corp.example", spec.at("/target/host").asText());
                assertFalse(spec.path("target").has("service"));
            } else {
                assertEquals(target.getOrDefault("TARGET_SERVICE", "echo"), spec.at("/target/service").asText());
            }
            assertEquals("[" + target.getOrDefault("TARGET_PORT", "7000") + "]", spec.at("/target/ports").toString());
            assertEquals("10m", spec.path("idleTimeout").asText(), "a killed job's session ends by itself");
            try (Stream<Path> left = Files.list(Path.of(environment.get("TMPDIR")))) {
                assertEquals(List.of(), left.toList(), "the script's private directory is gone");
            }
        }
    }

    private static void assertAdmitted(String manifest) {
        assertEquals(List.of(), CrdAdmission.forCrdFile("tunnelsessions.tunnelops.io-v1.yml").admit(manifest).violations(),
                manifest);
    }

    /** A kubectl that logs its arguments, keeps what `create -f -` is given and refuses it; anything else succeeds. */
    record StandInKubectl(Path dir) {

        static StandInKubectl in(Path dir) throws IOException {
            Path bin = Files.createDirectories(dir.resolve("bin"));
            Path kubectl = bin.resolve("kubectl");
            Files.writeString(kubectl, """
                    #!/usr/bin/env bash
                    printf '%s\\n' "$*" >> "$STAND_IN_DIR/calls"
                    case " $* " in
                      *" create "*) cat > "$STAND_IN_DIR/created"; echo "stand-in kubectl: refused" >&2; exit 1 ;;
                    esac
                    """);
            Files.setPosixFilePermissions(kubectl, PosixFilePermissions.fromString("rwx------"));
            return new StandInKubectl(dir);
        }

        Map<String, String> environment() {
            return Map.of("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"), "STAND_IN_DIR", dir.toString());
        }

        List<String> calls() throws IOException {
            return Files.readAllLines(dir.resolve("calls"));
        }

        String created() throws IOException {
            return Files.readString(dir.resolve("created"));
        }
    }

    record Result(int exitCode, String output) {
    }

    static Result run(List<String> command, Map<String, String> environment) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().remove("KUBECONFIG");
            builder.environment().putAll(environment);
            Process process = builder.start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("timed out: " + command);
            }
            return new Result(process.exitValue(), output);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("could not run " + command, e);
        }
    }

    /** A linter from PATH or Go's bin directory; missing, the test fails with how to install it. */
    static String tool(String name, String install) {
        List<Path> places = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            places.add(Path.of(dir, name));
        }
        String goPath = System.getenv("GOPATH");
        places.add(Path.of(goPath != null ? goPath : System.getProperty("user.home") + "/go", "bin", name));
        return places.stream().filter(Files::isExecutable).findFirst().map(Path::toString)
                .orElseGet(() -> {
                    fail(name + " is missing: " + install + " (bash .ci/run does)");
                    return null;
                });
    }
}
