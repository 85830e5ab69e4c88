package io.tunnelops.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.tunnelops.session.resources.SessionLabels;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.tunnelops.ssh.KnownHosts;
import io.tunnelops.ssh.SshKeyPair;
import io.tunnelops.ssh.SshdLayout;
import io.tunnelops.testing.EchoServer;
import io.tunnelops.testing.OpenSshTools;
import io.tunnelops.testing.TcpProbe;

/**
 * The local pod runner runs a Shell session's pod (issue 10's contract, written here by hand, so this holds whatever
 * the operator renders): the host's sshd through the bundle's own start script, as the pod's user, with the app's
 * environment (literal, ConfigMap envFrom, Secret key, $(VAR)), its ConfigMap volume written into the pod's
 * directory, all forwarding off, and the idle timeout. Needs root and OpenSSH, busybox-static, libnss-wrapper.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalShellPodIT {

    private static final Path STATE = Path.of("target/local-shell-pod-it").toAbsolutePath();
    private static final Path PODS = Path.of("/var/lib/tunnel-operator-local/local-shell-pod-it-" + ProcessHandle.current().pid());
    private static final long UID = 10042;
    private static final String NAMESPACE = "default";

    private static EmbeddedApiServer api;
    private static KubernetesClient client;
    private static LocalPodRunner runner;
    private static EchoServer echo;
    private static String echoAddress;
    private static SshKeyPair clientKey;
    private static Path key;

    @BeforeAll
    static void start() throws Exception {
        OpenSshTools.requireTool("ssh");
        Files.createDirectories(STATE);
        api = new EmbeddedApiServer().start(0);
        client = api.client();
        client.resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                .createOr(NonDeletingOperation::update);
        runner = new LocalPodRunner(client, PODS).start();
        clientKey = Ed25519KeyGenerator.generate("it");
        key = OpenSshTools.writePrivate(STATE.resolve("id_ed25519"), clientKey.privateKey());

        // a target to try forwarding to, as LocalCluster's echo
        client.resource(new ServiceBuilder().withNewMetadata().withName("echo").withNamespace(NAMESPACE).endMetadata()
                .withNewSpec().addToSelector("app", "echo").addNewPort().withPort(7000).endPort().endSpec().build()).create();
        LocalModeIT.await(Duration.ofSeconds(10), () -> !ip("echo").isBlank(), "the echo Service's address");
        echoAddress = ip("echo");
        echo = new EchoServer(echoAddress, 7000);

        client.resource(new ConfigMapBuilder().withNewMetadata().withName("app01-env").withNamespace(NAMESPACE).endMetadata()
                .addToData("DATABASE_HOST", "db.example").addToData("LOG_LEVEL", "debug").build()).create();
        client.resource(new ConfigMapBuilder().withNewMetadata().withName("app01-files").withNamespace(NAMESPACE).endMetadata()
                .addToData("app.properties", "greeting=hello from a file\n").build()).create();
        client.resource(new SecretBuilder().withNewMetadata().withName("app01-db").withNamespace(NAMESPACE).endMetadata()
                .addToData("password", Base64.getEncoder().encodeToString("s3cret".getBytes(StandardCharsets.UTF_8)))
                .build()).create();
    }

    @AfterAll
    static void stop() {
        if (runner != null) {
            runner.close(); // again if the last test closed it: closing twice is harmless
        }
        if (echo != null) {
            try {
                echo.close();
            } catch (IOException e) {
                // the next run's echo server uses another address
            }
        }
        if (api != null) {
            api.close();
        }
        SshdContainer.deleteTree(PODS);
    }

    @Test
    void aShellPodGivesAShellAsItsUserWithTheAppsEnvironmentAndNoForwarding() throws Exception {
        String address = shellSession("shell1", 0, false);
        Path knownHosts = STATE.resolve("shell1-known_hosts");

        // an interactive shell on a PTY: the host's bash, saying where it runs
        Process shell = new ProcessBuilder(ssh(knownHosts, address, "-tt")).redirectErrorStream(true).start();
        shell.getOutputStream().write(("""
                echo "SHELL-IS:$0:$(tty)"
                echo "UID-IS:$(id -u):$(id -g)"
                echo "HOST-IS:$(hostname)"
                echo "APP-IS:$APP_GREETING:$DATABASE_HOST:$DB_PASSWORD:$GREETING_TO"
                echo "WRAPPER-VARIABLES:$(env | grep -c -E '^(LD_|NSS_WRAPPER_|TUNNEL_)')"
                exit
                """).getBytes(StandardCharsets.UTF_8));
        shell.getOutputStream().flush();
        assertTrue(shell.waitFor(20, TimeUnit.SECONDS), "the shell ends on exit");
        // a terminal's output: carriage returns and bash's bracketed-paste switches around each line
        String output = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r", "")
                .replaceAll("\u001B\\[\\?[0-9;]*[a-zA-Z]", "");
        assertEquals(0, shell.exitValue(), output);
        assertTrue(output.contains("local mode: this shell runs on this machine's filesystem, which stands in for the"
                + " image registry.example/app01:1.2"), output);
        assertTrue(output.matches("(?s).*\nSHELL-IS:-?(/bin/)?bash:/dev/pts/\\d+\n.*"), output);
        assertTrue(output.contains("\nUID-IS:" + UID + ":" + UID + "\n"), output);
        assertTrue(output.contains("\nHOST-IS:shell1-sshd-local\n"), output);
        assertTrue(output.contains("\nAPP-IS:hello:db.example:s3cret:hello, db.example\n"), output);
        assertTrue(output.contains("\nWRAPPER-VARIABLES:0\n"), output);

        // a command: the app's volume, where the message of the day said
        String volume = OpenSshTools.succeed(ssh(knownHosts, address,
                "cat " + PODS + "/default_shell1-sshd/volumes/app-0/app.properties").toArray(String[]::new));
        assertEquals("greeting=hello from a file\n", volume);

        // -L: the forward is set up on the client side, and sshd refuses to open it
        int localPort = TcpProbe.freeLoopbackPort();
        List<String> forward = ssh(knownHosts, address, "-L", localPort + ":" + echoAddress + ":7000", "sleep 5");
        Process forwarding = new ProcessBuilder(forward).redirectErrorStream(true).start();
        LocalModeIT.await(Duration.ofSeconds(10), () -> TcpProbe.accepts("127.0.0.1", localPort), "ssh's local forward");
        assertEquals("", nothingOrReset(localPort), "nothing comes back through a refused forward");
        forwarding.waitFor(15, TimeUnit.SECONDS);
        String forwardOutput = new String(forwarding.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(forwardOutput.contains(io.tunnelops.e2e.SessionUser.FORWARD_REFUSED), forwardOutput);
        assertTrue(Files.readString(PODS.resolve("default_shell1-sshd/sshd.log")).contains("refused local port forward"));
        client.apps().deployments().inNamespace(NAMESPACE).withName("shell1-sshd").delete();
    }

    @Test
    void aUidOrGroupOfThisMachineIsNeverTakenOverByAShell() throws Exception {
        // nobody (65534) and disk (6) exist on every Debian machine; a pod may ask for them, this machine must not give them
        Deployment deployment = shellDeployment("hostids", 0, List.of());
        var security = deployment.getSpec().getTemplate().getSpec().getSecurityContext();
        security.setRunAsUser(65534L);
        security.setRunAsGroup(6L);
        security.setSupplementalGroups(List.of(6L, 20042L));
        String address = createSession("hostids", deployment, false);
        String id = OpenSshTools.succeed(ssh(STATE.resolve("hostids-known_hosts"), address, "id -u; id -g; id -G")
                .toArray(String[]::new));
        assertEquals("10001\n10001\n10001 " + UID + " 20042\n", id); // fsGroup (10042) and the other group stay
        assertTrue(Files.readString(PODS.resolve("default_hostids-sshd/motd"))
                .contains("uid 65534 is an account of this machine: the shell runs as uid 10001 instead"));
        client.apps().deployments().inNamespace(NAMESPACE).withName("hostids-sshd").delete();
    }

    @Test
    void positiveControlTheSameForwardWorksWhenTheConfigAllowsIt() throws Exception {
        String address = shellSession("control", 0, true);
        int localPort = TcpProbe.freeLoopbackPort();
        Process forwarding = new ProcessBuilder(ssh(STATE.resolve("control-known_hosts"), address, "-N", "-L",
                localPort + ":" + echoAddress + ":7000")).redirectErrorStream(true).start();
        try {
            LocalModeIT.await(Duration.ofSeconds(10), () -> TcpProbe.accepts("127.0.0.1", localPort), "ssh's local forward");
            assertEquals("hello\n", TcpProbe.roundTrip(localPort, "hello\n"));
        } finally {
            forwarding.destroy();
            client.apps().deployments().inNamespace(NAMESPACE).withName("control-sshd").delete();
        }
    }

    @Test
    void anIdleShellPodEndsAndSaysWhy() throws Exception {
        long begin = System.nanoTime();
        shellSession("idle", 3, false);
        LocalModeIT.await(Duration.ofSeconds(20), () -> terminatedMessage("idle") != null, "the idle pod to end");
        assertEquals("Idle: no SSH connection for 3s", terminatedMessage("idle"));
        assertTrue(System.nanoTime() - begin >= Duration.ofSeconds(3).toNanos());
        client.apps().deployments().inNamespace(NAMESPACE).withName("idle-sshd").delete();
    }

    @Test
    void aMissingConfigMapKeepsTheShellWaitingAsTheKubeletDoes() throws Exception {
        String name = "broken";
        Deployment deployment = shellDeployment(name, 0, List.of(new EnvVarBuilder().withName("X").withNewValueFrom()
                .withNewConfigMapKeyRef().withName("no-such-map").withKey("x").endConfigMapKeyRef().endValueFrom().build()));
        createSession(name, deployment, false);
        LocalModeIT.await(Duration.ofSeconds(10), () -> {
            Pod pod = client.pods().inNamespace(NAMESPACE).withName(name + "-sshd-local").get();
            return pod != null && pod.getStatus().getContainerStatuses().get(0).getState().getWaiting() != null;
        }, "the pod to wait");
        var waiting = client.pods().inNamespace(NAMESPACE).withName(name + "-sshd-local").get().getStatus()
                .getContainerStatuses().get(0).getState().getWaiting();
        assertEquals("CreateContainerConfigError", waiting.getReason());
        assertEquals("configmap \"no-such-map\" not found", waiting.getMessage());
        assertFalse(runner.runningPids().containsKey(NAMESPACE + "/" + name + "-sshd"));
        client.apps().deployments().inNamespace(NAMESPACE).withName(name + "-sshd").delete();
    }

    @Test
    @Order(Integer.MAX_VALUE) // the last: it closes the runner the other tests share
    void closingTheRunnerEndsEverySshdWithTheConnectionsItForkedAndRemovesThePodNetwork() throws Exception {
        String address = shellSession("last", 0, false);
        // a live connection: the sshd forks a process for it, and the command runs under that as the pod's user
        Process connection = new ProcessBuilder(ssh(STATE.resolve("last-known_hosts"), address, "sleep", "1234"))
                .redirectErrorStream(true).start();
        try {
            ProcessHandle sshd = ProcessHandle.of(runner.runningPids().get(NAMESPACE + "/last-sshd")).orElseThrow();
            LocalModeIT.await(Duration.ofSeconds(10), () -> sshd.descendants().anyMatch(p -> RunnerFootprint.commandLine(p).contains("sleep 1234")),
                    "the connection's command under the sshd");
            RunnerFootprint footprint = RunnerFootprint.of(runner);
            assertTrue(footprint.processes().stream().anyMatch(p -> RunnerFootprint.commandLine(p).contains("sleep 1234")),
                    "the connection's processes are in the footprint");

            runner.close();

            footprint.assertGone();
        } finally {
            connection.destroy();
        }
    }

    // ---- a Shell session's objects, as issue 10's contract has the operator render them

    /** Creates the Secret, Service and Deployment; returns the pod's address once its sshd accepts. */
    private static String shellSession(String name, int idleSeconds, boolean forwardingAllowed) throws Exception {
        Deployment deployment = shellDeployment(name, idleSeconds, List.of(
                new EnvVarBuilder().withName("APP_GREETING").withValue("hello").build(),
                new EnvVarBuilder().withName("DB_PASSWORD").withNewValueFrom().withNewSecretKeyRef().withName("app01-db")
                        .withKey("password").endSecretKeyRef().endValueFrom().build(),
                new EnvVarBuilder().withName("GREETING_TO").withValue("$(APP_GREETING), $(DATABASE_HOST)").build()));
        return createSession(name, deployment, forwardingAllowed);
    }

    private static String createSession(String name, Deployment deployment, boolean forwardingAllowed) throws Exception {
        SshKeyPair hostKey = Ed25519KeyGenerator.generate("host");
        String config = shellConfig(forwardingAllowed);
        client.resource(new SecretBuilder().withNewMetadata().withName(name + "-ssh").withNamespace(NAMESPACE).endMetadata()
                .addToData(SshdLayout.SSHD_CONFIG, base64(config))
                .addToData(SshdLayout.HOST_KEY, base64(hostKey.privateKey()))
                .addToData(SshdLayout.AUTHORIZED_KEYS, base64(clientKey.publicKey() + "\n")).build()).create();
        client.resource(new ServiceBuilder().withNewMetadata().withName(name + "-sshd").withNamespace(NAMESPACE)
                .addToLabels(SessionLabels.MANAGED_BY, SessionLabels.OPERATOR).endMetadata()
                .withNewSpec().addToSelector("tunnelops.io/session", name).addNewPort().withPort(SshdLayout.PORT).endPort()
                .endSpec().build()).create();
        LocalModeIT.await(Duration.ofSeconds(10), () -> !ip(name + "-sshd").isBlank(), "the Service's address");
        String address = ip(name + "-sshd");
        Files.writeString(STATE.resolve(name + "-known_hosts"), KnownHosts.line(address, SshdLayout.PORT, hostKey.publicKey()) + "\n");
        client.resource(deployment).create();
        if (deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .noneMatch(e -> e.getValueFrom() != null && e.getValueFrom().getConfigMapKeyRef() != null)) {
            LocalModeIT.await(Duration.ofSeconds(15), () -> TcpProbe.accepts(address, SshdLayout.PORT), "the shell's sshd");
        }
        return address;
    }

    private static Deployment shellDeployment(String name, int idleSeconds, List<EnvVar> appEnv) {
        List<EnvVar> env = new ArrayList<>(appEnv);
        for (String[] pair : new String[][] {{"TUNNEL_CONFIG_DIR", SshdLayout.CONFIG_DIR}, {"TUNNEL_STATE_DIR", SshdLayout.STATE_DIR},
                {"TUNNEL_SSHD_PORT", "2222"}, {"TUNNEL_SHELL", ""}, {"TERMINATION_LOG", "/dev/termination-log"},
                {"TUNNEL_IDLE_TIMEOUT_SECONDS", String.valueOf(idleSeconds)}, {"TUNNEL_END_ON_DISCONNECT", "false"}}) {
            env.add(new EnvVarBuilder().withName(pair[0]).withValue(pair[1]).build());
        }
        var shell = new ContainerBuilder().withName("shell").withImage("registry.example/app01:1.2")
                .withCommand("/tunnel/bundle/busybox", "sh", "/tunnel/bundle/bundle-sshd")
                .withEnv(env)
                .addNewEnvFrom().withNewConfigMapRef().withName("app01-env").endConfigMapRef().endEnvFrom()
                .withVolumeMounts(
                        new VolumeMountBuilder().withName("app-0").withMountPath("/etc/app").withReadOnly(true).build(),
                        new VolumeMountBuilder().withName("bundle").withMountPath("/tunnel/bundle").withReadOnly(true).build(),
                        new VolumeMountBuilder().withName("config").withMountPath(SshdLayout.CONFIG_DIR).withReadOnly(true).build(),
                        new VolumeMountBuilder().withName("state").withMountPath(SshdLayout.STATE_DIR).build(),
                        new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build())
                .addNewPort().withName("ssh").withContainerPort(SshdLayout.PORT).endPort()
                .withNewSecurityContext().withRunAsNonRoot(true).withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true).withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .build();
        var bundle = new ContainerBuilder().withName("bundle").withImage("ghcr.io/tunnelops/sshd:0.1.0")
                .withCommand("cp", "-a", "/opt/tunnel-bundle/.", "/tunnel/bundle/")
                .withVolumeMounts(new VolumeMountBuilder().withName("bundle").withMountPath("/tunnel/bundle").build())
                .build();
        Map<String, String> labels = Map.of(SessionLabels.MANAGED_BY, SessionLabels.OPERATOR, "tunnelops.io/session", name);
        return new DeploymentBuilder().withNewMetadata().withName(name + "-sshd").withNamespace(NAMESPACE)
                .withLabels(labels).endMetadata()
                .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(labels).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec().withAutomountServiceAccountToken(false).withEnableServiceLinks(false)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(UID).withRunAsGroup(UID).withFsGroup(UID)
                .endSecurityContext()
                .withInitContainers(bundle).withContainers(shell)
                .withVolumes(
                        new VolumeBuilder().withName("app-0").withNewConfigMap().withName("app01-files").endConfigMap().build(),
                        new VolumeBuilder().withName("bundle").withNewEmptyDir().endEmptyDir().build(),
                        new VolumeBuilder().withName("config").withNewSecret().withSecretName(name + "-ssh").withDefaultMode(0440)
                                .withItems(new KeyToPath(SshdLayout.SSHD_CONFIG, null, SshdLayout.SSHD_CONFIG),
                                        new KeyToPath(SshdLayout.HOST_KEY, null, SshdLayout.HOST_KEY),
                                        new KeyToPath(SshdLayout.AUTHORIZED_KEYS, null, SshdLayout.AUTHORIZED_KEYS))
                                .endSecret().build(),
                        new VolumeBuilder().withName("state").withNewEmptyDir().withMedium("Memory").endEmptyDir().build(),
                        new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build())
                .endSpec().endTemplate().endSpec().build();
    }

    /** The Shell block of issue 10 (ShellBundleIT's) after the common part; the control turns forwarding on. */
    private static String shellConfig(boolean forwardingAllowed) {
        return """
                Port 2222
                HostKey %1$s/ssh_host_ed25519_key
                AuthorizedKeysFile %2$s/.ssh/authorized_keys
                PidFile none
                AllowUsers tunnel
                AuthenticationMethods publickey
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin no
                StrictModes yes
                PermitUserEnvironment yes
                PermitUserRC no
                UseDNS no
                %3$s
                PermitTunnel no
                PermitTTY yes
                Subsystem sftp internal-sftp
                LogLevel VERBOSE
                HostKeyAlgorithms ssh-ed25519
                KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org
                Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,chacha20-poly1305@openssh.com
                MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com
                """.formatted(SshdLayout.STATE_DIR, SshdLayout.HOME_DIR,
                forwardingAllowed ? "AllowTcpForwarding local" : "DisableForwarding yes");
    }

    // ---- helpers

    private static List<String> ssh(Path knownHosts, String address, String... rest) {
        List<String> command = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-i", key.toString(),
                "-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-p", String.valueOf(SshdLayout.PORT), "-l", SshdLayout.USERNAME));
        List<String> options = new ArrayList<>();
        List<String> remote = new ArrayList<>();
        for (String word : rest) {
            (word.startsWith("-") || (!options.isEmpty() && options.get(options.size() - 1).equals("-L")) ? options : remote).add(word);
        }
        command.addAll(options);
        command.add(address);
        command.addAll(remote);
        return command;
    }

    private static String terminatedMessage(String name) {
        Pod pod = client.pods().inNamespace(NAMESPACE).withName(name + "-sshd-local").get();
        if (pod == null || pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return null;
        }
        var terminated = pod.getStatus().getContainerStatuses().get(0).getState().getTerminated();
        return terminated == null ? null : terminated.getMessage();
    }

    private static String ip(String service) {
        var s = client.services().inNamespace(NAMESPACE).withName(service).get();
        return s == null || s.getSpec().getClusterIP() == null ? "" : s.getSpec().getClusterIP();
    }

    private static String base64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }

    /** What comes back through a forward; a reset (ssh closing the channel it could not open) counts as nothing. */
    private static String nothingOrReset(int port) {
        try {
            return TcpProbe.roundTrip(port, "hello\n");
        } catch (IOException e) {
            return "";
        }
    }

}
