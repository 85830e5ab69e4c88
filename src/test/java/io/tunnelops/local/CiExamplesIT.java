package io.tunnelops.local;

import static io.tunnelops.local.LocalModeIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.tunnelops.testing.CrdAdmission;
import io.tunnelops.testing.EchoServer;
import io.tunnelops.testing.GitHubWorkflow;
import io.tunnelops.testing.GitHubWorkflow.Outcome;
import io.tunnelops.testing.GitHubWorkflow.StepResult;
import io.tunnelops.testing.Kubectl;
import io.tunnelops.testing.OpenSshTools;
import io.tunnelops.testing.TcpProbe;

/**
 * The examples of examples/ run for real against local mode ({@link LocalCluster}: the embedded API, the real operator,
 * each sshd in a network namespace of its own, the Service echo on port 7000), with the real kubectl, ssh and bash:
 * the CI script (data through the tunnel, a failed job, a Denied or Failed session, a SIGTERM from a cancelled CI
 * run), the GitHub Actions workflow's steps in order as a runner runs them, the external host with the policy that
 * allows it, and the shell into an app with its policy. Needs root, kubectl and OpenSSH.
 */
class CiExamplesIT {

    private static final Path SCRIPT = Path.of("examples/ci-debug-session.sh");
    private static final Path WORKFLOW = Path.of("examples/github-actions/debug-tunnel.yaml");
    private static final Path STATE = Path.of("target/ci-examples-it").toAbsolutePath();
    private static final Path PODS = Path.of("/var/lib/tunnel-operator-local/ci-examples-it-" + ProcessHandle.current().pid());
    private static final String WORKFLOW_NAMESPACE = "team-a-tunnels"; // the workflow's own NAMESPACE
    private static final ObjectMapper JSON = new ObjectMapper();

    private static KubectlLocalMode localMode;
    private static LocalCluster cluster;
    private static Kubectl kubectl;
    private static EchoServer workflowEcho;

    @BeforeAll
    static void startLocalCluster() throws IOException {
        localMode = KubectlLocalMode.start(STATE, PODS);
        cluster = localMode.cluster();
        kubectl = localMode.kubectl();
        workflowEcho = echoServiceIn(WORKFLOW_NAMESPACE);
    }

    @AfterAll
    static void stopEverything() throws IOException {
        if (workflowEcho != null) {
            workflowEcho.close();
        }
        if (localMode != null) {
            localMode.close();
        }
    }

    // ---- the bash script

    @Test
    void theCiScriptWithoutACommandSendsALineThroughTheTunnelAndLeavesNothingBehind() throws Exception {
        ScriptRun run = ScriptRun.start(Map.of("SESSION", "ci-hello"));
        run.awaitExit(Duration.ofSeconds(90));
        System.out.printf("local mode: the CI script ran in %.1f s%n", run.took().toMillis() / 1000.0);

        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().contains("session ci-hello ready: ssh -N -L 7000:echo.default.svc.cluster.local:7000 -p 2222 tunnel@"),
                run.output());
        assertTrue(run.output().contains("\nthrough the tunnel: hello from ci-hello\n"), run.output());
        assertTrue(run.output().endsWith("session ci-hello deleted\n"), run.output());
        assertLeftNothing("default", "ci-hello", run);
    }

    @Test
    void theCiScriptRunsItsJobThroughTheTunnelAndTheSessionItCreatedIsOneTheApiServerAccepts() throws Exception {
        Path out = Files.createDirectories(STATE.resolve("job-output"));
        String job = """
                kubectl get tunnelsession "$SESSION" -o json > "$OUT/session.json"
                exec 3<>"/dev/tcp/$TUNNEL_HOST/$TUNNEL_PORT"
                seq 1 2000 | sed 's/^/line /' >&3
                head -n 2000 <&3 > "$OUT/echoed"
                echo "job done on $TUNNEL_HOST:$TUNNEL_PORT"
                """;
        ScriptRun run = ScriptRun.start(Map.of("SESSION", "ci-job", "OUT", out.toString()), "bash", "-c", job);
        run.awaitExit(Duration.ofSeconds(90));

        assertEquals(0, run.exitCode(), run.output());
        String sent = IntStream.rangeClosed(1, 2000).mapToObj(i -> "line " + i + "\n").collect(Collectors.joining());
        assertEquals(sent, Files.readString(out.resolve("echoed")), "what the job sent came back through the tunnel");
        assertTrue(run.output().contains("job done on 127.0.0.1:" + run.localPort() + "\n"), run.output());
        assertTrue(run.output().endsWith("session ci-job deleted\n"), run.output());

        // the session as it was while the job ran: its spec passes the CRD's schema and rules
        JsonNode live = JSON.readTree(out.resolve("session.json").toFile());
        ObjectNode created = JSON.createObjectNode().put("apiVersion", "tunnelops.io/v1alpha1").put("kind", "TunnelSession");
        created.putObject("metadata").put("name", "ci-job").put("namespace", "default");
        created.set("spec", live.get("spec"));
        assertEquals(List.of(), CrdAdmission.forCrdFile("tunnelsessions.tunnelops.io-v1.yml").admit(created.toString())
                .violations());
        assertEquals("Ready", live.at("/status/phase").asText());
        assertLeftNothing("default", "ci-job", run);
    }

    @Test
    void whenTheJobFailsTheScriptExitsWithTheJobsStatusAndDeletesTheSession() throws Exception {
        ScriptRun run = ScriptRun.start(Map.of("SESSION", "ci-fail"), "bash", "-c", "echo migrating; exit 7");
        run.awaitExit(Duration.ofSeconds(90));

        assertEquals(7, run.exitCode(), run.output());
        assertTrue(run.output().contains("\nmigrating\nci-debug-session: the job exited with status 7\n"), run.output());
        assertTrue(run.output().endsWith("session ci-fail deleted\n"), run.output());
        assertLeftNothing("default", "ci-fail", run);
    }

    @Test
    void aDeniedOrFailedSessionStopsTheScriptAtOnceWithTheOperatorsMessageAndLeavesNothing() throws Exception {
        Map<String, String> denied = Map.of("SESSION", "ci-denied", "TARGET_HOST", "db.corp.example");
        Map<String, String> failed = Map.of("SESSION", "ci-failed", "TARGET_PORT", "7001");
        for (Map<String, String> environment : List.of(denied, failed)) {
            Path marker = STATE.resolve("job-ran-" + environment.get("SESSION"));
            Map<String, String> withTimeout = new HashMap<>(environment);
            withTimeout.put("READY_TIMEOUT", "300");
            ScriptRun run = ScriptRun.start(withTimeout, "touch", marker.toString());
            run.awaitExit(Duration.ofSeconds(90));
            System.out.printf("local mode: the CI script stopped %.1f s after it started (%s)%n",
                    run.took().toMillis() / 1000.0, environment.get("SESSION"));

            assertEquals(1, run.exitCode(), run.output());
            assertTrue(run.took().compareTo(Duration.ofSeconds(60)) < 0, "failed at once, not after READY_TIMEOUT (300 s)");
            String expected = environment == denied
                    ? "ci-debug-session: session ci-denied is Denied: namespace default has no TunnelPolicy, so only its"
                            + " own Services, exposed as ClusterIP, are allowed: host db.corp.example needs a TunnelPolicy"
                            + " in namespace default listing it in spec.targets[].hosts"
                    : "ci-debug-session: session ci-failed is Failed (TargetPortNotExposed): Service \"echo\" does not"
                            + " expose TCP port 7001";
            assertTrue(run.output().contains(expected), run.output());
            assertFalse(Files.exists(marker), "the job never ran");
            assertTrue(run.output().endsWith("session " + environment.get("SESSION") + " deleted\n"), run.output());
            assertLeftNothing("default", environment.get("SESSION"), run);
        }
    }

    @Test
    void aSigtermFromACancelledCiRunStopsTheJobAndSshAndDeletesTheSession() throws Exception {
        // as a runner that goes on reading the step's log (GitHub Actions), and as one that has stopped reading it
        for (boolean logClosed : List.of(false, true)) {
            String session = logClosed ? "ci-cancel-unread" : "ci-cancel";
            // the job has a child of its own, as a real job (a test runner, a migration tool) would
            ScriptRun run = ScriptRun.start(Map.of("SESSION", session), "bash", "-c", "sleep 600 & echo job-started; wait");
            await(Duration.ofSeconds(90), () -> run.output().contains("job-started\n") || !run.process().isAlive(),
                    "the job to start");
            List<ProcessHandle> started = run.process().descendants().toList(); // ssh, the job's bash and its sleep
            assertTrue(started.size() >= 3, started.stream().map(p -> p.info().commandLine().orElse("?")).toList().toString());

            long signalled = System.nanoTime();
            if (logClosed) {
                run.process().destroy(); // SIGTERM, and this side of the script's output closed
            } else {
                run.process().toHandle().destroy(); // SIGTERM only
            }
            run.awaitExit(Duration.ofSeconds(60));
            System.out.printf("local mode: the CI script cleaned up %.1f s after SIGTERM (%s)%n",
                    (System.nanoTime() - signalled) / 1e9, logClosed ? "its output unread" : "its output read");

            assertEquals(143, run.exitCode(), run.output());
            if (!logClosed) {
                assertTrue(run.output().contains("ci-debug-session: cancelled (SIGTERM)\n"), run.output());
                assertTrue(run.output().endsWith("session ci-cancel deleted\n"), run.output());
            }
            await(Duration.ofSeconds(10), () -> started.stream().noneMatch(ProcessHandle::isAlive),
                    "ssh and the job (with its child) to end");
            assertLeftNothing("default", session, run);
        }
    }

    // ---- the GitHub Actions workflow

    @Test
    void theGitHubActionsWorkflowOpensATunnelRunsItsJobThroughItAndDeletesTheSession() throws Exception {
        String secret = "token-" + UUID.randomUUID();
        WorkflowRun run = WorkflowRun.of(Map.of("local-port", String.valueOf(TcpProbe.freeLoopbackPort())), secret);

        assertEquals(List.of(Outcome.SUCCESS, Outcome.SUCCESS, Outcome.SUCCESS, Outcome.SUCCESS, Outcome.SUCCESS,
                Outcome.SUCCESS), run.outcomes(), run.toString());
        assertTrue(run.output("Open a tunnel session").contains("tunnelsession.tunnelops.io/ci-debug created"), run.toString());
        assertTrue(run.output("Open the tunnel").contains(
                "published: ssh -N -L 7000:echo.team-a-tunnels.svc.cluster.local:7000 -p 2222 tunnel@"), run.toString());
        assertEquals("through the tunnel: hello from run 4242\n", run.output("Run the job through the tunnel"));
        assertTrue(run.output("Close the tunnel and delete the session").contains("Exit request sent."),
                "the last step stopped the background ssh through its control socket: " + run);
        run.assertKeptTheSecretOutOfItsLogs(secret);
        run.assertLeftNothing();
    }

    @Test
    void whenTheWorkflowsSessionFailsTheWaitStepStopsAtOnceAndTheCleanupStepStillRuns() throws Exception {
        String secret = "token-" + UUID.randomUUID();
        WorkflowRun run = WorkflowRun.of(Map.of("port", "7001"), secret); // a port the Service echo does not expose

        assertEquals(List.of(Outcome.SUCCESS, Outcome.SUCCESS, Outcome.FAILURE, Outcome.SKIPPED, Outcome.SKIPPED,
                Outcome.SUCCESS), run.outcomes(), run.toString());
        assertTrue(run.output("Wait until it is Ready").contains("::error title=TunnelSession ci-debug is Failed::"
                + "TargetPortNotExposed: Service \"echo\" does not expose TCP port 7001"), run.toString());
        Duration waited = run.step("Wait until it is Ready").took();
        System.out.printf("local mode: the workflow's wait step failed after %.1f s%n", waited.toMillis() / 1000.0);
        assertTrue(waited.compareTo(Duration.ofSeconds(60)) < 0, "at once, not at the step's timeout (3 min)");
        run.assertKeptTheSecretOutOfItsLogs(secret);
        run.assertLeftNothing();
    }

    @Test
    void aWorkflowRunCancelledWhileTheTunnelIsOpenStillStopsItAndDeletesTheSession() throws Exception {
        String secret = "token-" + UUID.randomUUID();
        WorkflowRun run = WorkflowRun.of(Map.of("local-port", String.valueOf(TcpProbe.freeLoopbackPort())), secret,
                "Open the tunnel"); // cancelled with the background ssh running and the session Ready

        assertEquals(List.of(Outcome.SUCCESS, Outcome.SUCCESS, Outcome.SUCCESS, Outcome.SUCCESS, Outcome.SKIPPED,
                Outcome.SUCCESS), run.outcomes(), run.toString());
        assertTrue(run.output("Close the tunnel and delete the session").contains("Exit request sent."), run.toString());
        run.assertKeptTheSecretOutOfItsLogs(secret);
        run.assertLeftNothing();
    }

    // ---- the policy pairs

    @Test
    void theExternalHostSessionIsAllowedByThePolicyBesideItAndAnotherHostIsDenied() throws Exception {
        try {
            assertEquals("""
                    tunnelpolicy.tunnelops.io/orders-db created
                    tunnelsession.tunnelops.io/orders-db created
                    """, kubectl.succeed("apply", "-f", "examples/external-host-tunnel.yaml"));
            kubectl.succeed("wait", "-n", "team-a", "--for=condition=Ready", "ts/orders-db", "--timeout=60s");
            String command = kubectl.succeed("get", "-n", "team-a", "ts", "orders-db", "-o", "jsonpath={.status.sshCommand}");
            assertTrue(command.startsWith("ssh -N -L 5432:orders.db.corp.example:5432 -p 2222 tunnel@"), command);

            ScriptRun other = ScriptRun.start(Map.of("NAMESPACE", "team-a", "SESSION", "billing-db",
                    "TARGET_HOST", "billing.db.corp.example", "TARGET_PORT", "5432"));
            other.awaitExit(Duration.ofSeconds(90));
            assertEquals(1, other.exitCode(), other.output());
            assertTrue(other.output().contains("ci-debug-session: session billing-db is Denied: denied by TunnelPolicy"
                    + " orders-db: host billing.db.corp.example is not an allowed target"), other.output());
            assertLeftNothing("team-a", "billing-db", other);
        } finally {
            kubectl.run("delete", "-f", "examples/external-host-tunnel.yaml", "--ignore-not-found");
        }
        await(Duration.ofSeconds(15), () -> !cluster.runningSshds().containsKey("team-a/orders-db-sshd"),
                "orders-db's sshd to stop");
    }

    @Test
    void theAppShellWithItsPolicyOpensAShellInTheAppsEnvironment() throws Exception {
        // the app: shell-demo.yaml's stand-in app01 (ConfigMap and Deployment), in app-shell.yaml's namespace
        String app = Stream.of(Files.readString(Path.of("examples/shell-demo.yaml")).split("(?m)^---$"))
                .filter(d -> d.contains("\nkind: ConfigMap") || d.contains("\nkind: Deployment"))
                .map(d -> d.replace("namespace: default", "namespace: team-a")).collect(Collectors.joining("---"));
        Path appFile = Files.writeString(STATE.resolve("app01-team-a.yaml"), app);
        try {
            kubectl.succeed("apply", "-f", appFile.toString());
            assertEquals("tunnelpolicy.tunnelops.io/shells created\n", kubectl.succeed("apply", "-f", "examples/shell-policy.yaml"));
            assertEquals("tunnelsession.tunnelops.io/app01-shell created\n", kubectl.succeed("apply", "-f", "examples/app-shell.yaml"));
            kubectl.succeed("wait", "-n", "team-a", "--for=condition=Ready", "ts/app01-shell", "--timeout=60s");

            String command = kubectl.succeed("get", "-n", "team-a", "ts", "app01-shell", "-o", "jsonpath={.status.sshCommand}");
            assertTrue(command.startsWith("ssh -t -p 2222 tunnel@"), command);
            Path user = Files.createDirectories(STATE.resolve("app-shell-user"));
            Path key = OpenSshTools.writePrivate(user.resolve("id_ed25519"), secretItem("team-a", "app01-shell-ssh", "id_ed25519"));
            Path knownHosts = Files.writeString(user.resolve("known_hosts"), secretItem("team-a", "app01-shell-ssh", "known_hosts"));
            OpenSshTools.Result shell = OpenSshTools.run(List.of("ssh", "-F", "/dev/null", "-i", key.toString(),
                    "-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                    "-p", "2222", command.substring(command.lastIndexOf(' ') + 1),
                    "echo \"SHELL:$APP_GREETING|$DATABASE_HOST|$(id -u)\""));
            assertEquals(0, shell.exitCode(), shell.output());
            assertTrue(shell.output().contains("SHELL:hello from app01|db.example.internal|10001\n"), shell.output());
        } finally {
            kubectl.run("delete", "-f", "examples/app-shell.yaml", "-f", "examples/shell-policy.yaml", "-f",
                    appFile.toString(), "--ignore-not-found");
        }
        await(Duration.ofSeconds(15), () -> !cluster.runningSshds().containsKey("team-a/app01-shell-sshd"),
                "the shell's sshd to stop");
    }

    // ---- helpers

    /** The session, and every object the operator made for it, are gone; so are its sshd and the script's files. */
    private static void assertLeftNothing(String namespace, String session, ScriptRun run) throws Exception {
        Kubectl.Result get = kubectl.run("get", "-n", namespace, "ts", session);
        assertTrue(get.exitCode() != 0 && get.stderr().contains("NotFound"), get.stderr() + get.stdout());
        assertEquals("", kubectl.succeed("get", "-n", namespace, "deployments,services,secrets",
                "-l", "tunnelops.io/session=" + session, "-o", "name"));
        await(Duration.ofSeconds(15), () -> !cluster.runningSshds().containsKey(namespace + "/" + session + "-sshd"),
                session + "'s sshd to stop");
        if (run != null) {
            try (Stream<Path> left = Files.list(run.tmpDir())) {
                assertEquals(List.of(), left.toList(), "the script's private directory (key, known_hosts) is gone");
            }
        }
    }

    private static String secretItem(String namespace, String secret, String item) {
        String encoded = kubectl.succeed("get", "-n", namespace, "secret", secret, "-o", "jsonpath={.data." + item + "}");
        return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    }

    /** A Service echo in another namespace, served like local mode's own: an echo server on its cluster IP. */
    private static EchoServer echoServiceIn(String namespace) {
        var client = cluster.apiServer().client();
        client.resource(new ServiceBuilder().withNewMetadata().withName(LocalCluster.ECHO_SERVICE).withNamespace(namespace)
                .addToLabels("app", "echo").endMetadata().withNewSpec().addToSelector("app", "echo").addNewPort()
                .withName("echo").withProtocol("TCP").withPort(LocalCluster.ECHO_PORT).endPort().endSpec().build())
                .createOr(NonDeletingOperation::update);
        String[] ip = new String[1];
        try {
            await(Duration.ofSeconds(15), () -> {
                var service = client.services().inNamespace(namespace).withName(LocalCluster.ECHO_SERVICE).get();
                ip[0] = service == null ? null : service.getSpec().getClusterIP();
                return ip[0] != null && !ip[0].isBlank();
            }, "a cluster IP for the Service echo of " + namespace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return new EchoServer(ip[0], LocalCluster.ECHO_PORT);
    }

    /** One run of the CI script: its own temporary directory and local port, output gathered as it comes. */
    private record ScriptRun(Process process, Thread reader, StringBuffer buffer, Path tmpDir, int localPort, long started,
            long[] ended) {

        static ScriptRun start(Map<String, String> environment, String... job) throws IOException {
            List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
            command.addAll(List.of(job));
            Path tmp = Files.createTempDirectory(Files.createDirectories(STATE.resolve("tmp")), "run");
            int port = TcpProbe.freeLoopbackPort();
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(Map.of("KUBECONFIG", cluster.kubeconfig().toString(),
                    "KUBECACHEDIR", STATE.resolve("kube-cache").toString(), "NAMESPACE", "default", "TMPDIR", tmp.toString(),
                    "LOCAL_PORT", String.valueOf(port)));
            builder.environment().putAll(environment);
            Process process = builder.start();
            process.getOutputStream().close();
            StringBuffer buffer = new StringBuffer();
            Thread reader = new Thread(() -> copy(process.getInputStream(), buffer), "ci-script-output");
            reader.setDaemon(true);
            reader.start();
            return new ScriptRun(process, reader, buffer, tmp, port, System.nanoTime(), new long[1]);
        }

        void awaitExit(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                fail("the CI script did not end within " + timeout.toSeconds() + " s: " + buffer);
            }
            ended[0] = System.nanoTime();
            reader.join(10_000);
            if (reader.isAlive()) {
                fail("a process the CI script started still holds its output open: " + buffer);
            }
        }

        int exitCode() {
            return process.exitValue();
        }

        String output() {
            return buffer.toString();
        }

        Duration took() {
            return Duration.ofNanos(ended[0] - started);
        }

        private static void copy(InputStream in, StringBuffer buffer) {
            byte[] chunk = new byte[8192];
            try (in) {
                for (int n; (n = in.read(chunk)) > 0;) {
                    buffer.append(new String(chunk, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException ignored) {
                // the stream closed
            }
        }
    }

    /** One run of the workflow's job against local mode; the secret KUBECONFIG is this cluster's, with a token. */
    private record WorkflowRun(List<StepResult> steps, Path runnerTemp) {

        static WorkflowRun of(Map<String, String> inputs, String token) throws IOException {
            return of(inputs, token, null);
        }

        static WorkflowRun of(Map<String, String> inputs, String token, String cancelAfterStep) throws IOException {
            String kubeconfig = Files.readString(cluster.kubeconfig()).replace("user: {}", "user: {token: " + token + "}");
            assertTrue(kubeconfig.contains(token), "the kubeconfig carries the token");
            Path runnerTemp = Files.createTempDirectory(Files.createDirectories(STATE.resolve("runner")), "temp");
            Path workspace = Files.createDirectories(STATE.resolve("runner/workspace"));
            Map<String, String> machine = new HashMap<>(System.getenv());
            machine.remove("KUBECONFIG"); // a runner has none: the workflow's first step writes it
            machine.put("KUBECACHEDIR", STATE.resolve("kube-cache").toString());
            List<StepResult> steps = GitHubWorkflow.read(WORKFLOW).runJob("through-a-tunnel", new GitHubWorkflow.RunContext(
                    inputs, Map.of("KUBECONFIG", kubeconfig), "4242", runnerTemp, workspace, machine, cancelAfterStep));
            return new WorkflowRun(steps, runnerTemp);
        }

        List<Outcome> outcomes() {
            return steps.stream().map(StepResult::outcome).toList();
        }

        StepResult step(String name) {
            return steps.stream().filter(s -> s.name().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no step " + name + " in " + this));
        }

        String output(String name) {
            return step(name).output();
        }

        void assertKeptTheSecretOutOfItsLogs(String secret) {
            for (StepResult step : steps) {
                assertFalse(step.output().contains(secret), step.name() + " printed the kubeconfig's token");
            }
        }

        /** The session and its sshd are gone, RUNNER_TEMP is empty, and no process of the run is left. */
        void assertLeftNothing() throws Exception {
            Kubectl.Result get = kubectl.run("get", "-n", WORKFLOW_NAMESPACE, "ts", "ci-debug");
            assertTrue(get.exitCode() != 0 && get.stderr().contains("NotFound"), get.stderr() + get.stdout());
            await(Duration.ofSeconds(15), () -> !cluster.runningSshds().containsKey(WORKFLOW_NAMESPACE + "/ci-debug-sshd"),
                    "the workflow session's sshd to stop");
            try (Stream<Path> left = Files.list(runnerTemp)) {
                assertEquals(List.of(), left.toList(), "the kubeconfig, the key and the control socket are gone");
            }
            await(Duration.ofSeconds(10), () -> processesMentioning(runnerTemp.toString()).isEmpty(),
                    "no process of the run (the background ssh) to be left: " + processesMentioning(runnerTemp.toString()));
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder();
            steps.forEach(s -> text.append("\n--- ").append(s.name()).append(": ").append(s.outcome()).append(" (")
                    .append(s.exitCode()).append(")\n").append(s.output()));
            return text.toString();
        }
    }

    /** Command lines of this machine's processes that contain the text (the run's own directory: nobody else's). */
    private static List<String> processesMentioning(String text) {
        return ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .filter(line -> line.contains(text)).toList();
    }
}
