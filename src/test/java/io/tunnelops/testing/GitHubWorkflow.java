package io.tunnelops.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * A GitHub Actions workflow as GitHub reads it, and one of its jobs run here as a runner runs it: each {@code run:}
 * step in order with {@code bash --noprofile --norc -eo pipefail} (what {@code shell: bash} means), the workflow's,
 * the job's and the step's {@code env:}, what earlier steps wrote to {@code $GITHUB_ENV} and {@code $GITHUB_PATH},
 * {@code RUNNER_TEMP}, {@code if: always()} steps after a failure, and each step's {@code timeout-minutes}.
 *
 * <p>Only what our examples use is supported, and anything else fails loudly rather than run differently: expressions
 * {@code inputs.*} (workflow_dispatch defaults unless given), {@code secrets.*} and {@code github.run_id}; {@code if:}
 * absent (success()) or {@code always()}; {@code run:} steps only (no {@code uses:}). Stricter than a runner in one
 * way: a step must not leave a process holding its output open.
 */
public final class GitHubWorkflow {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Pattern EXPRESSION = Pattern.compile("\\$\\{\\{\\s*(.*?)\\s*}}");
    private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(360); // GitHub's default for a job

    private final Path file;
    private final JsonNode root;

    private GitHubWorkflow(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    public static GitHubWorkflow read(Path file) {
        try {
            return new GitHubWorkflow(file, YAML.readTree(file.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public JsonNode root() {
        return root;
    }

    public JsonNode job(String id) {
        JsonNode job = root.path("jobs").path(id);
        if (job.isMissingNode()) {
            throw new IllegalArgumentException(file + " has no job " + id);
        }
        return job;
    }

    public List<JsonNode> steps(String jobId) {
        List<JsonNode> steps = new ArrayList<>();
        job(jobId).path("steps").forEach(steps::add);
        return steps;
    }

    /** Every {@code ${{ ... }}} expression of the file, as written between the braces. */
    public List<String> expressions() {
        List<String> found = new ArrayList<>();
        collectExpressions(root, found);
        return found;
    }

    private static void collectExpressions(JsonNode node, List<String> found) {
        if (node.isTextual()) {
            Matcher matcher = EXPRESSION.matcher(node.asText());
            while (matcher.find()) {
                found.add(matcher.group(1));
            }
        }
        node.forEach(child -> collectExpressions(child, found));
        node.fieldNames().forEachRemaining(name -> {
            if (name.contains("${{")) {
                found.add(name);
            }
        });
    }

    /**
     * What the runner knows of a run: the dispatch inputs given (the others take their defaults), the secrets, the
     * run's id, its temporary directory and workspace, the machine's environment the runner passes on, and the step
     * after which someone cancels the run (null: nobody does).
     */
    public record RunContext(Map<String, String> inputs, Map<String, String> secrets, String runId, Path runnerTemp,
            Path workspace, Map<String, String> machineEnvironment, String cancelAfterStep) {

        public RunContext(Map<String, String> inputs, Map<String, String> secrets, String runId, Path runnerTemp,
                Path workspace, Map<String, String> machineEnvironment) {
            this(inputs, secrets, runId, runnerTemp, workspace, machineEnvironment, null);
        }
    }

    public enum Outcome { SUCCESS, FAILURE, SKIPPED }

    /** One step's outcome, its exit code (-1 when skipped), its output (stdout and stderr) and how long it took. */
    public record StepResult(String name, Outcome outcome, int exitCode, String output, Duration took) {
    }

    /**
     * Runs the job's steps in order, as a runner would; returns every step's result, skipped ones included. After a
     * failed step, or once the run is cancelled, only {@code if: always()} steps run.
     */
    public List<StepResult> runJob(String jobId, RunContext context) {
        JsonNode job = job(jobId);
        requireBash(job);
        Map<String, String> added = new LinkedHashMap<>(); // by $GITHUB_ENV
        List<String> pathAdded = new ArrayList<>(); // by $GITHUB_PATH
        List<StepResult> results = new ArrayList<>();
        boolean failed = false; // or cancelled: either way only always() steps run
        int index = 0;
        for (JsonNode step : job.path("steps")) {
            String name = step.path("name").asText("step " + index);
            index++;
            if (step.has("uses") || !step.has("run")) {
                throw new IllegalArgumentException(name + ": only run: steps are supported here");
            }
            if (!runs(step, failed, name)) {
                results.add(new StepResult(name, Outcome.SKIPPED, -1, "", Duration.ZERO));
                continue;
            }
            Map<String, String> environment = new HashMap<>(context.machineEnvironment());
            environment.putAll(evaluated(root.path("env"), context));
            environment.putAll(evaluated(job.path("env"), context));
            environment.putAll(added);
            environment.putAll(evaluated(step.path("env"), context));
            if (!pathAdded.isEmpty()) {
                environment.put("PATH", String.join(":", pathAdded) + ":" + environment.getOrDefault("PATH", ""));
            }
            Duration timeout = step.has("timeout-minutes") ? Duration.ofMinutes(step.get("timeout-minutes").asLong())
                    : job.has("timeout-minutes") ? Duration.ofMinutes(job.get("timeout-minutes").asLong()) : DEFAULT_TIMEOUT;
            StepResult result = runStep(name, step.get("run").asText(), environment, context, timeout, index, added, pathAdded);
            results.add(result);
            failed |= result.outcome() == Outcome.FAILURE || name.equals(context.cancelAfterStep());
        }
        return results;
    }

    private static boolean runs(JsonNode step, boolean failed, String name) {
        if (!step.has("if")) {
            return !failed; // success()
        }
        String condition = step.get("if").asText().strip();
        Matcher wrapped = EXPRESSION.matcher(condition);
        if (wrapped.matches()) {
            condition = wrapped.group(1);
        }
        if (condition.equals("always()")) {
            return true;
        }
        throw new IllegalArgumentException(name + ": only if: always() is supported here, not " + condition);
    }

    private void requireBash(JsonNode job) {
        String shell = job.path("defaults").path("run").path("shell").asText(
                root.path("defaults").path("run").path("shell").asText(""));
        if (!shell.equals("bash")) {
            throw new IllegalArgumentException(file + ": the job's default shell must be bash, not '" + shell + "'");
        }
    }

    private StepResult runStep(String name, String script, Map<String, String> environment, RunContext context,
            Duration timeout, int index, Map<String, String> added, List<String> pathAdded) {
        try {
            Path scriptFile = context.runnerTemp().resolve("step-" + index + ".sh");
            Path envFile = context.runnerTemp().resolve("github-env-" + index);
            Path pathFile = context.runnerTemp().resolve("github-path-" + index);
            Files.writeString(scriptFile, script);
            Files.writeString(envFile, "");
            Files.writeString(pathFile, "");
            environment.putAll(Map.of("CI", "true", "GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", context.runId(),
                    "RUNNER_TEMP", context.runnerTemp().toString(), "GITHUB_WORKSPACE", context.workspace().toString(),
                    "GITHUB_ENV", envFile.toString(), "GITHUB_PATH", pathFile.toString()));
            ProcessBuilder builder = new ProcessBuilder("bash", "--noprofile", "--norc", "-eo", "pipefail",
                    scriptFile.toString()).directory(context.workspace().toFile()).redirectErrorStream(true);
            builder.environment().clear();
            builder.environment().putAll(environment);
            long started = System.nanoTime();
            Process process = builder.start();
            process.getOutputStream().close();
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process));
            boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor();
            }
            String text;
            try {
                text = output.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError(name + ": a process the step started still holds its output open");
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            added.putAll(readEnvironmentFile(envFile, name));
            Files.readAllLines(pathFile).stream().filter(line -> !line.isBlank()).forEach(line -> pathAdded.add(0, line));
            Files.delete(scriptFile);
            Files.delete(envFile);
            Files.delete(pathFile);
            if (!ended) {
                return new StepResult(name, Outcome.FAILURE, -1, text + "\n(timed out after " + timeout + ")", took);
            }
            int exit = process.exitValue();
            return new StepResult(name, exit == 0 ? Outcome.SUCCESS : Outcome.FAILURE, exit, text, took);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code NAME=value} lines, and {@code NAME<<DELIMITER} ... {@code DELIMITER} blocks for multi-line values. */
    static Map<String, String> readEnvironmentFile(Path file, String step) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int heredoc = line.indexOf("<<");
            int equals = line.indexOf('=');
            if (heredoc > 0 && (equals < 0 || heredoc < equals)) {
                String delimiter = line.substring(heredoc + 2);
                StringBuilder value = new StringBuilder();
                int end = i + 1;
                while (end < lines.size() && !lines.get(end).equals(delimiter)) {
                    value.append(value.isEmpty() ? "" : "\n").append(lines.get(end++));
                }
                if (end == lines.size()) {
                    throw new IllegalArgumentException(step + ": $GITHUB_ENV has no closing " + delimiter);
                }
                values.put(line.substring(0, heredoc), value.toString());
                i = end;
            } else if (equals > 0) {
                values.put(line.substring(0, equals), line.substring(equals + 1));
            } else {
                throw new IllegalArgumentException(step + ": $GITHUB_ENV line is neither NAME=value nor NAME<<EOF: " + line);
            }
        }
        return values;
    }

    private Map<String, String> evaluated(JsonNode env, RunContext context) {
        Map<String, String> values = new LinkedHashMap<>();
        env.fields().forEachRemaining(field -> values.put(field.getKey(), evaluate(field.getValue().asText(), context)));
        return values;
    }

    /** Replaces each {@code ${{ ... }}} in the text; an expression this emulation does not know fails. */
    public String evaluate(String text, RunContext context) {
        Matcher matcher = EXPRESSION.matcher(text);
        StringBuilder result = new StringBuilder();
        while (matcher.find()) {
            matcher.appendReplacement(result, Matcher.quoteReplacement(value(matcher.group(1), context)));
        }
        matcher.appendTail(result);
        return result.toString();
    }

    private String value(String expression, RunContext context) {
        if (expression.startsWith("inputs.")) {
            String input = expression.substring("inputs.".length());
            JsonNode declared = root.path("on").path("workflow_dispatch").path("inputs").path(input);
            if (declared.isMissingNode()) {
                throw new IllegalArgumentException("input " + input + " is not declared under on.workflow_dispatch.inputs");
            }
            return context.inputs().getOrDefault(input, declared.path("default").asText(""));
        }
        if (expression.startsWith("secrets.")) {
            String secret = context.secrets().get(expression.substring("secrets.".length()));
            if (secret == null) {
                throw new IllegalArgumentException("no value for " + expression + " in this run");
            }
            return secret;
        }
        if (expression.equals("github.run_id")) {
            return context.runId();
        }
        throw new IllegalArgumentException("expression not supported here: " + expression);
    }

    private static String readAll(Process process) {
        try {
            return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e + ")";
        }
    }
}
