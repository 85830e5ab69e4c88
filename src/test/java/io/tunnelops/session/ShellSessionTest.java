package io.tunnelops.session;

import static io.tunnelops.testing.MockNamespace.drainRequests;
import static io.tunnelops.testing.MockNamespace.ready;
import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.ShellApps;
import io.tunnelops.api.v1alpha1.ShellSpec;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelPolicySpec;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.resources.CredentialsSecret;
import io.tunnelops.ssh.SshdLayout;
import io.tunnelops.testing.ExpectedNetworkPolicy;
import io.tunnelops.testing.FakeKubelet;
import io.tunnelops.testing.MockNamespace;

/**
 * Shell sessions against the mock server: what the shell's pod copies from an app (and what it never does), that the
 * app is read once and never written, the policy gate, and where a shell may connect.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ShellSessionTest {

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    KubernetesClient client;

    @Inject
    TunnelSessionReconciler reconciler;

    String ns;

    MockNamespace mock;

    ReconcilePasses passes;

    @BeforeEach
    void newNamespace() {
        passes = ReconcilePasses.record(reconciler::reconciliationCount);
        ns = "shell-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        mock = new MockNamespace(client, ns);
    }

    @AfterEach
    void stopRecording() {
        passes.close();
    }

    @Test
    void theShellPodCopiesExactlyTheAppContainersEnvironmentAndNeverTheAppsTokenHostPathsOrClaims() throws Exception {
        Deployment app = client.resource(app("app01", Map.of("team", "a"))).create();
        client.resource(policy("shells", List.of("app01"), Map.of(), List.of())).create();
        drainRequests(server);
        client.resource(shellSession("debug", "app01", "app")).create();
        mock.awaitPhase("debug", SessionPhase.Provisioning);

        Deployment shell = mock.deployment("debug");
        PodSpec pod = shell.getSpec().getTemplate().getSpec();
        // the pod: the app's user, pull secrets and node selector; never its service account or a token
        assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken());
        assertNull(pod.getServiceAccountName());
        assertEquals(Boolean.FALSE, pod.getEnableServiceLinks());
        assertEquals(1000L, pod.getSecurityContext().getRunAsUser());
        assertNull(pod.getSecurityContext().getRunAsGroup(), "the app leaves the group to its image");
        assertEquals(2000L, pod.getSecurityContext().getFsGroup());
        assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
        assertEquals(List.of("regcred"), pod.getImagePullSecrets().stream().map(r -> r.getName()).toList());
        assertEquals(Map.of("kubernetes.io/arch", "amd64"), pod.getNodeSelector());

        // the init container copies the bundle from our image; nothing of the app runs there
        assertEquals(1, pod.getInitContainers().size());
        Container bundle = pod.getInitContainers().get(0);
        assertEquals("bundle", bundle.getName());
        assertEquals("tunnelops/sshd:test", bundle.getImage());
        assertEquals(List.of("cp", "-Rf", "/opt/tunnel-bundle/.", "/tunnel/bundle/"), bundle.getCommand());
        assertEquals(List.of("/tunnel/bundle"), bundle.getVolumeMounts().stream().map(VolumeMount::getMountPath).toList());

        // one container: the app's image, working directory and resources, running our sshd instead of the app
        assertEquals(1, pod.getContainers().size(), "the app's sidecar is not copied");
        Container container = pod.getContainers().get(0);
        assertEquals("shell", container.getName());
        assertEquals("registry.example/app:1.2", container.getImage());
        assertEquals(List.of("/tunnel/bundle/busybox", "sh", "/tunnel/bundle/bundle-sshd"), container.getCommand());
        assertTrue(container.getArgs() == null || container.getArgs().isEmpty(), "the app's args: " + container.getArgs());
        assertEquals("/srv/app", container.getWorkingDir());
        assertEquals(appResources(), container.getResources());
        assertEquals(1000L, container.getSecurityContext().getRunAsUser());
        assertEquals(Boolean.TRUE, container.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals(Boolean.FALSE, container.getSecurityContext().getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), container.getSecurityContext().getCapabilities().getDrop());

        // env: the app's, in its order, minus what steers our sshd or reads another container; then ours
        Map<String, EnvVar> env = new LinkedHashMap<>();
        container.getEnv().forEach(e -> assertNull(env.put(e.getName(), e), "twice: " + e.getName()));
        assertEquals(List.of("APP_MODE", "DB_PASSWORD", "APP_MEMORY", "TUNNEL_IDLE_TIMEOUT_SECONDS",
                "TUNNEL_END_ON_DISCONNECT", "TUNNEL_CONFIG_DIR", "TUNNEL_STATE_DIR", "TUNNEL_SSHD_PORT", "TUNNEL_SHELL",
                "TUNNEL_PROC_NET", "TUNNEL_MONITOR_INTERVAL", "TERMINATION_LOG"), List.copyOf(env.keySet()));
        assertEquals("debug", env.get("APP_MODE").getValue());
        assertEquals("app-db", env.get("DB_PASSWORD").getValueFrom().getSecretKeyRef().getName());
        assertEquals("shell", env.get("APP_MEMORY").getValueFrom().getResourceFieldRef().getContainerName(),
                "a reference to the app container's resources now names the shell's");
        assertEquals("0", env.get("TUNNEL_IDLE_TIMEOUT_SECONDS").getValue(), "the app's own value is dropped");
        assertEquals("/dev/termination-log", env.get("TERMINATION_LOG").getValue());
        assertEquals(appEnvFrom(), container.getEnvFrom());

        // volumes: configuration read-only at the app's paths, a fresh emptyDir; no claim, host path or token
        Map<String, Volume> volumes = pod.getVolumes().stream().collect(Collectors.toMap(Volume::getName, v -> v));
        assertEquals(List.of("app-0", "app-1", "app-2", "app-3", "app-4", "config", "state", "bundle", "tmp"),
                pod.getVolumes().stream().map(Volume::getName).toList());
        assertEquals("app-config", volumes.get("app-0").getConfigMap().getName());
        assertEquals("app-secret", volumes.get("app-1").getSecret().getSecretName());
        assertEquals(1, volumes.get("app-2").getProjected().getSources().size(), "the token source is dropped");
        assertEquals("app-ca", volumes.get("app-2").getProjected().getSources().get(0).getConfigMap().getName());
        assertEquals("podinfo", volumes.get("app-3").getDownwardAPI().getItems().get(0).getPath());
        assertEquals(new Quantity("10Mi"), volumes.get("app-4").getEmptyDir().getSizeLimit());
        assertTrue(pod.getVolumes().stream().noneMatch(v -> v.getHostPath() != null || v.getPersistentVolumeClaim() != null),
                pod.getVolumes().toString());
        assertEquals("debug-ssh", volumes.get("config").getSecret().getSecretName());
        assertEquals("Memory", volumes.get("state").getEmptyDir().getMedium());

        Map<String, VolumeMount> mounts = container.getVolumeMounts().stream()
                .collect(Collectors.toMap(VolumeMount::getMountPath, m -> m));
        assertEquals(List.of("/etc/app", "/run/secrets/app", "/var/run/secrets/app-ca", "/etc/podinfo", "/cache",
                "/tunnel/bundle", "/etc/tunnel", "/var/lib/tunnel", "/tmp"),
                container.getVolumeMounts().stream().map(VolumeMount::getMountPath).toList());
        for (String readOnly : List.of("/etc/app", "/run/secrets/app", "/var/run/secrets/app-ca", "/etc/podinfo",
                "/tunnel/bundle", "/etc/tunnel")) {
            assertEquals(Boolean.TRUE, mounts.get(readOnly).getReadOnly(), readOnly);
        }
        assertEquals("app-0", mounts.get("/etc/app").getName());
        assertEquals(Boolean.FALSE, mounts.get("/cache").getReadOnly(), "a fresh emptyDir stays writable");

        // the status says where the shell comes from and what was left out, and why
        TunnelSession provisioning = mock.current("debug");
        var shellStatus = provisioning.getStatus().getShell();
        assertEquals("deployment/app01", provisioning.getStatus().getTarget());
        assertEquals("deployment/app01", shellStatus.getSource());
        assertEquals("app", shellStatus.getContainer());
        assertEquals("registry.example/app:1.2", shellStatus.getImage());
        assertEquals(1000L, shellStatus.getRunAsUser());
        assertEquals(List.of(
                "env PROXY_MEMORY: it reads the resources of container proxy, which the shell does not run",
                "env TUNNEL_IDLE_TIMEOUT_SECONDS: the name is reserved for the shell's sshd",
                "env SSHD: the name is reserved for the shell's sshd",
                "volume config at /etc/tunnel: the shell's own files are mounted there",
                "volume tokens at /var/run/secrets/app-ca: its serviceAccountToken source (a shell never gets a token)",
                "volume data at /data (persistentVolumeClaim): storage the app writes is never shared with a shell",
                "volume logs at /host/logs (hostPath): a shell never gets a path of the node",
                "volume kube-api at /var/run/secrets/kubernetes.io/serviceaccount: its serviceAccountToken source (a shell never gets a token)",
                "service account token: a shell never gets one"), shellStatus.getOmitted());

        // the shell's sshd: a shell, no forwarding
        String sshdConfig = mock.secretItems("debug").get(SshdLayout.SSHD_CONFIG);
        assertTrue(sshdConfig.contains("\nDisableForwarding yes\n"), sshdConfig);
        assertTrue(sshdConfig.contains("\nPermitTTY yes\n"), sshdConfig);
        assertFalse(sshdConfig.contains("PermitOpen " + "postgres"), sshdConfig);

        FakeKubelet.sshdAvailable(client, ns, "debug", "10.96.0.40");
        TunnelSession ready = mock.awaitPhase("debug", SessionPhase.Ready);
        assertEquals("ssh -t -p 2222 tunnel@10.96.0.40", ready.getStatus().getSshCommand());
        assertTrue(mock.secretItems("debug").get(CredentialsSecret.SSH_CONFIG).contains("  RequestTTY auto\n"));

        // the app: read, never written
        List<String> appWrites = drainRequests(server).stream()
                .filter(r -> r.getPath().contains("/deployments/app01") && !"GET".equals(r.getMethod()))
                .map(r -> r.getMethod() + " " + r.getPath()).toList();
        assertEquals(List.of(), appWrites);
        assertEquals(app.getMetadata().getResourceVersion(),
                client.apps().deployments().inNamespace(ns).withName("app01").get().getMetadata().getResourceVersion());
    }

    @Test
    void theAppIsReadOnceSoItsLaterChangesNeverRestartTheShellAndASecondPassWritesNothing() throws Exception {
        client.resource(app("app02", Map.of())).create();
        client.resource(policy("shells", List.of("app02"), Map.of(), List.of())).create();
        client.resource(shellSession("steady", "app02", null)).create();
        mock.awaitPhase("steady", SessionPhase.Provisioning);
        FakeKubelet.sshdAvailable(client, ns, "steady", "10.96.0.41");
        mock.awaitPhase("steady", SessionPhase.Ready);
        Deployment before = mock.deployment("steady");
        assertEquals("proxy", mock.current("steady").getStatus().getShell().getContainer(), "the first container by default");

        client.apps().deployments().inNamespace(ns).withName("app02").edit(d -> {
            d.getSpec().getTemplate().getSpec().getContainers().forEach(c -> c.setImage("registry.example/app:2.0"));
            return d;
        });
        await().pollDelay(Duration.ofMillis(300)).until(() -> true);
        drainRequests(server);
        // an event on an owned object makes a full pass over the unchanged session; the second shows it ended
        passes.awaitWholePass(ns, "steady", () -> client.apps().deployments().inNamespace(ns).withName("steady-sshd")
                .edit(d -> {
                    d.getMetadata().getAnnotations().put("touched-by-test", UUID.randomUUID().toString());
                    return d;
                }));

        List<String> writes = drainRequests(server).stream().filter(r -> !"GET".equals(r.getMethod()))
                .map(r -> r.getMethod() + " " + r.getPath()).toList();
        assertEquals(2, writes.size(), "only the test's own two edits, but saw " + writes);
        assertTrue(writes.stream().allMatch(w -> w.contains("/deployments/steady-sshd")), writes.toString());
        assertEquals(before.getSpec(), mock.deployment("steady").getSpec());
        assertEquals("registry.example/proxy:1.0", mock.current("steady").getStatus().getShell().getImage());
    }

    @Test
    void shellsAreDeniedWithoutAPolicyThatListsShellAndTheApp() throws Exception {
        client.resource(app("app03", Map.of("team", "a"))).create();
        drainRequests(server);
        client.resource(shellSession("no-policy", "app03", "app")).create();
        assertEquals("namespace " + ns + " has no TunnelPolicy, so only its own Services, exposed as ClusterIP, are "
                + "allowed: mode Shell needs a TunnelPolicy listing it in spec.modes and Deployment app03 in "
                + "spec.shellApps", ready(mock.awaitPhase("no-policy", SessionPhase.Denied)).getMessage());
        mock.assertNothingProvisioned("no-policy");
        // while no policy allows shells the app is not even read: a session cannot probe Deployments
        assertEquals(List.of(), drainRequests(server).stream().map(r -> r.getMethod() + " " + r.getPath())
                .filter(r -> r.contains("/deployments/app03")).toList());

        // each policy in a namespace of its own: the operator's cache of a deleted policy is not for the test to race
        newNamespace();
        client.resource(app("app03", Map.of("team", "a"))).create();
        TunnelPolicy tunnelOnly = policy("tunnels", List.of(), Map.of(), List.of());
        tunnelOnly.getSpec().setModes(List.of(SessionMode.Tunnel));
        client.resource(tunnelOnly).create();
        client.resource(shellSession("tunnel-policy", "app03", "app")).create();
        assertEquals("denied by TunnelPolicy tunnels: mode Shell is not allowed; add it to spec.modes; a shell in "
                + "Deployment app03 is not allowed; add it to spec.shellApps.deployments (or match its labels with "
                + "spec.shellApps.deploymentLabels)", ready(mock.awaitPhase("tunnel-policy", SessionPhase.Denied)).getMessage());
        mock.assertNothingProvisioned("tunnel-policy");

        newNamespace();
        client.resource(app("app03", Map.of("team", "a"))).create();
        client.resource(policy("other-app", List.of("app99"), Map.of("team", "b"), List.of())).create();
        client.resource(shellSession("wrong-app", "app03", "app")).create();
        assertEquals("denied by TunnelPolicy other-app: a shell in Deployment app03 is not allowed; add it to "
                + "spec.shellApps.deployments (or match its labels with spec.shellApps.deploymentLabels)",
                ready(mock.awaitPhase("wrong-app", SessionPhase.Denied)).getMessage());
        mock.assertNothingProvisioned("wrong-app");

        // by label: allowed
        client.resource(policy("team-a", List.of(), Map.of("team", "a"), List.of())).create();
        client.resource(shellSession("by-label", "app03", "app")).create();
        mock.awaitPhase("by-label", SessionPhase.Provisioning);
    }

    @Test
    void aToolboxShellRunsOurToolboxImageAsOurUserAndARootAppsShellRunsAsThatUserToo() {
        client.resource(policy("shells", List.of("rooted"), Map.of(), List.of())).create();
        TunnelSession toolbox = shellSession("toolbox", null, null);
        client.resource(toolbox).create();
        mock.awaitPhase("toolbox", SessionPhase.Provisioning);
        PodSpec pod = mock.deployment("toolbox").getSpec().getTemplate().getSpec();
        assertEquals("tunnelops/shell-toolbox:test", pod.getContainers().get(0).getImage());
        assertEquals(10001L, pod.getSecurityContext().getRunAsUser());
        assertEquals(10001L, pod.getSecurityContext().getRunAsGroup());
        assertEquals("toolbox", mock.current("toolbox").getStatus().getTarget());
        assertEquals(List.of(), mock.current("toolbox").getStatus().getShell().getOmitted());

        Deployment rooted = app("rooted", Map.of());
        rooted.getSpec().getTemplate().getSpec().getSecurityContext().setRunAsUser(0L);
        client.resource(rooted).create();
        client.resource(shellSession("rooted", "rooted", "app")).create();
        mock.awaitPhase("rooted", SessionPhase.Provisioning);
        PodSpec rootedPod = mock.deployment("rooted").getSpec().getTemplate().getSpec();
        assertEquals(10001L, rootedPod.getSecurityContext().getRunAsUser());
        assertEquals(10001L, rootedPod.getContainers().get(0).getSecurityContext().getRunAsUser());
        assertTrue(mock.current("rooted").getStatus().getShell().getOmitted()
                .contains("user: the app runs as root, the shell as uid 10001"));
    }

    @Test
    void aMissingAppOrContainerFailsWithWhatToFix() {
        client.resource(policy("shells", List.of("app04", "ghost"), Map.of(), List.of())).create();
        client.resource(shellSession("ghost", "ghost", null)).create();
        Condition missing = ready(mock.awaitPhase("ghost", SessionPhase.Failed));
        assertEquals("AppNotFound", missing.getReason());
        assertEquals("Deployment \"ghost\" does not exist in namespace " + ns + "; create it or fix "
                + "spec.shell.fromDeployment", missing.getMessage());

        client.resource(app("app04", Map.of())).create();
        client.resource(shellSession("wrong-container", "app04", "web")).create();
        Condition wrong = ready(mock.awaitPhase("wrong-container", SessionPhase.Failed));
        assertEquals("AppContainerNotFound", wrong.getReason());
        assertEquals("Deployment \"app04\" has no container \"web\"; it has [proxy, app]. Fix spec.shell.container",
                wrong.getMessage());
        mock.assertNothingProvisioned("ghost");
        mock.assertNothingProvisioned("wrong-container");
    }

    @Test
    void aShellReachesExactlyTheDestinationsItsPolicyListsAndClusterDns() {
        client.resource(app("app05", Map.of())).create();
        // a Service port to a named container port and one to another number; the policy's 5434 is not exposed
        var db = new ServiceBuilder(targetService(ns, "postgres", 5432, 5433)).build();
        db.getSpec().getPorts().get(0).setTargetPort(new IntOrString("pg"));
        db.getSpec().getPorts().get(1).setTargetPort(new IntOrString(15433));
        client.resource(db).create();
        client.resource(targetService(ns, "unlisted", 8080)).create();
        PolicyTarget service = new PolicyTarget();
        service.setServices(List.of("postgres"));
        service.setPorts(List.of(5432, 5433, 5434));
        PolicyTarget range = new PolicyTarget();
        range.setCidrs(List.of("10.20.0.0/16"));
        range.setHosts(List.of("db.example.com"));
        range.setPorts(List.of(443));
        client.resource(policy("shells", List.of("app05"), Map.of(), List.of(service, range))).create();
        client.resource(shellSession("reach", "app05", "app")).create();
        mock.awaitPhase("reach", SessionPhase.Provisioning);

        // the Service's pods at their pod ports, the host's port anywhere but local ranges, the range's, then DNS
        ExpectedNetworkPolicy.of("reach")
                .egressToPods(Map.of("app", "postgres"), "pg", 15433)
                .egressToBlock("0.0.0.0/0", List.of("127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8"), 443)
                .egressToBlock("10.20.0.0/16", List.of(), 443)
                .assertIs(mock.networkPolicy("reach"));
    }

    /** An app with a sidecar first, then the container a shell copies: every kind of env, env source and volume. */
    private Deployment app(String name, Map<String, String> labels) {
        Container proxy = new ContainerBuilder().withName("proxy").withImage("registry.example/proxy:1.0")
                .addNewEnv().withName("PROXY_ONLY").withValue("x").endEnv().build();
        List<EnvVar> env = List.of(
                new EnvVarBuilder().withName("APP_MODE").withValue("debug").build(),
                new EnvVarBuilder().withName("DB_PASSWORD").withNewValueFrom().withNewSecretKeyRef("password", "app-db", false)
                        .endValueFrom().build(),
                new EnvVarBuilder().withName("APP_MEMORY").withNewValueFrom().withNewResourceFieldRef().withContainerName("app")
                        .withResource("limits.memory").endResourceFieldRef().endValueFrom().build(),
                new EnvVarBuilder().withName("PROXY_MEMORY").withNewValueFrom().withNewResourceFieldRef()
                        .withContainerName("proxy").withResource("limits.memory").endResourceFieldRef().endValueFrom().build(),
                new EnvVarBuilder().withName("TUNNEL_IDLE_TIMEOUT_SECONDS").withValue("999999").build(),
                new EnvVarBuilder().withName("SSHD").withValue("/bin/sh").build());
        List<VolumeMount> mounts = List.of(
                mount("config", "/etc/app", false),
                mount("secret", "/run/secrets/app", true),
                mount("config", "/etc/tunnel", true),
                mount("tokens", "/var/run/secrets/app-ca", true),
                mount("podinfo", "/etc/podinfo", true),
                mount("cache", "/cache", false),
                mount("data", "/data", false),
                mount("logs", "/host/logs", false),
                mount("kube-api", "/var/run/secrets/kubernetes.io/serviceaccount", true));
        Container main = new ContainerBuilder().withName("app").withImage("registry.example/app:1.2")
                .withCommand("/app/server").withArgs("--port", "8080").withWorkingDir("/srv/app")
                .withEnv(env).withEnvFrom(appEnvFrom()).withVolumeMounts(mounts).withResources(appResources())
                .addNewPort().withContainerPort(8080).endPort()
                .build();
        List<Volume> volumes = List.of(
                new VolumeBuilder().withName("config").withNewConfigMap().withName("app-config").endConfigMap().build(),
                new VolumeBuilder().withName("secret").withNewSecret().withSecretName("app-secret").endSecret().build(),
                new VolumeBuilder().withName("tokens").withNewProjected()
                        .addNewSource().withNewServiceAccountToken().withPath("token").withAudience("vault")
                        .endServiceAccountToken().endSource()
                        .addNewSource().withNewConfigMap().withName("app-ca").endConfigMap().endSource()
                        .endProjected().build(),
                new VolumeBuilder().withName("podinfo").withNewDownwardAPI().addNewItem().withPath("podinfo")
                        .withNewFieldRef().withFieldPath("metadata.labels").endFieldRef().endItem().endDownwardAPI().build(),
                new VolumeBuilder().withName("cache").withNewEmptyDir().withSizeLimit(new Quantity("10Mi")).endEmptyDir().build(),
                new VolumeBuilder().withName("data").withNewPersistentVolumeClaim().withClaimName("app-data")
                        .endPersistentVolumeClaim().build(),
                new VolumeBuilder().withName("logs").withNewHostPath().withPath("/var/log").endHostPath().build(),
                new VolumeBuilder().withName("kube-api").withNewProjected().addNewSource().withNewServiceAccountToken()
                        .withPath("token").endServiceAccountToken().endSource().endProjected().build());
        return new DeploymentBuilder().withNewMetadata().withNamespace(ns).withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withReplicas(2)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().withServiceAccountName("app-sa")
                .withNewSecurityContext().withRunAsUser(1000L).withFsGroup(2000L).endSecurityContext()
                .addNewImagePullSecret("regcred")
                .withNodeSelector(Map.of("kubernetes.io/arch", "amd64"))
                .withContainers(proxy, main).withVolumes(volumes)
                .endSpec().endTemplate().endSpec().build();
    }

    private static VolumeMount mount(String volume, String path, boolean readOnly) {
        return new VolumeMountBuilder().withName(volume).withMountPath(path).withReadOnly(readOnly).build();
    }

    private static List<EnvFromSource> appEnvFrom() {
        return List.of(new EnvFromSourceBuilder().withNewConfigMapRef("app-env", false).build(),
                new EnvFromSourceBuilder().withPrefix("S_").withNewSecretRef("app-secrets", true).build());
    }

    private static ResourceRequirements appResources() {
        return new ResourceRequirementsBuilder()
                .withRequests(Map.of("cpu", new Quantity("100m"), "memory", new Quantity("128Mi")))
                .withLimits(Map.of("memory", new Quantity("256Mi"))).build();
    }

    private TunnelPolicy policy(String name, List<String> apps, Map<String, String> appLabels, List<PolicyTarget> targets) {
        ShellApps shellApps = new ShellApps();
        shellApps.setDeployments(apps);
        shellApps.setDeploymentLabels(appLabels);
        TunnelPolicySpec spec = new TunnelPolicySpec();
        spec.setModes(List.of(SessionMode.Tunnel, SessionMode.Shell));
        spec.setShellApps(shellApps);
        spec.setTargets(new ArrayList<>(targets));
        TunnelPolicy policy = new TunnelPolicy();
        policy.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(ns).withName(name).build());
        policy.setSpec(spec);
        return policy;
    }

    private TunnelSession shellSession(String name, String app, String container) {
        TunnelSession session = session(ns, name).build();
        session.getSpec().setMode(SessionMode.Shell);
        if (app != null) {
            ShellSpec shell = new ShellSpec();
            shell.setFromDeployment(app);
            shell.setContainer(container);
            session.getSpec().setShell(shell);
        }
        return session;
    }
}
