package io.tunnelops.security;

import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.fabric8.kubernetes.api.model.AppArmorProfileBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EphemeralContainerBuilder;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.SELinuxOptionsBuilder;
import io.fabric8.kubernetes.api.model.SeccompProfileBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.SysctlBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.WindowsSecurityContextOptionsBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.ShellSpec;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelSession;

/** The sshd pods the operator creates meet the Pod Security Standard `restricted`, control by control. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class SshdPodSecurityTest {

    @Inject
    KubernetesClient client;

    @Test
    void theSshdPodOfEverySessionKindMeetsEveryRestrictedControl() {
        String ns = "pss-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(session(ns, "generated").toService("postgres", 5432).build()).create();
        client.resource(session(ns, "own-key").toService("postgres", 5432)
                .authorizedKeys(Ed25519KeyGenerator.generate("bob@ci").publicKey()).build()).create();

        // shells (in a namespace of their own: its policy would deny the tunnels above): in an app that runs as root
        // with a hostPath and a token, none of which may reach the shell, and in the toolbox
        String shellNs = ns + "-shell";
        client.resource(new NamespaceBuilder().withNewMetadata().withName(shellNs).endMetadata().build()).create();
        client.resource(rootApp(shellNs)).create();
        client.resource(Serialization.unmarshal("""
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelPolicy
                metadata: {name: shells, namespace: %s}
                spec: {modes: [Shell], shellApps: {deployments: [rooted]}}
                """.formatted(shellNs), TunnelPolicy.class)).create();
        for (String shell : List.of("app-shell", "toolbox-shell")) {
            TunnelSession session = session(shellNs, shell).build();
            session.getSpec().setMode(SessionMode.Shell);
            if (shell.equals("app-shell")) {
                ShellSpec from = new ShellSpec();
                from.setFromDeployment("rooted");
                session.getSpec().setShell(from);
            }
            client.resource(session).create();
        }

        for (String name : List.of("generated-sshd", "own-key-sshd", "app-shell-sshd", "toolbox-shell-sshd")) {
            String in = name.contains("shell") ? shellNs : ns;
            await().atMost(10, TimeUnit.SECONDS)
                    .until(() -> client.apps().deployments().inNamespace(in).withName(name).get() != null);
            Deployment deployment = client.apps().deployments().inNamespace(in).withName(name).get();
            var template = deployment.getSpec().getTemplate();
            PodSpec pod = template.getSpec();
            assertEquals(List.of(), PodSecurityRestricted.violations(pod, template.getMetadata().getAnnotations()), name);
            // beyond the profile: no API token, no service links, a read-only root filesystem
            assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), name);
            assertEquals(Boolean.FALSE, pod.getEnableServiceLinks(), name);
            pod.getContainers().forEach(c -> assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem()));
            pod.getInitContainers().forEach(c -> assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem()));
            assertTrue(pod.getVolumes().stream().noneMatch(v -> v.getHostPath() != null
                    || v.getProjected() != null && v.getProjected().getSources().stream()
                            .anyMatch(p -> p.getServiceAccountToken() != null)), name + ": " + pod.getVolumes());
            assertNull(pod.getServiceAccountName(), name);
            // and the pod never mounts the client's private key, only listed items of the session's Secret
            pod.getVolumes().stream().filter(v -> v.getSecret() != null && v.getSecret().getSecretName()
                    .equals(name.replaceAll("-sshd$", "-ssh"))).forEach(v -> {
                assertFalse(v.getSecret().getItems() == null || v.getSecret().getItems().isEmpty(),
                        "the whole Secret is mounted: " + v);
                assertFalse(v.getSecret().getItems().stream().map(KeyToPath::getKey).anyMatch(k -> k.startsWith("id_")),
                        "a client key is mounted: " + v);
            });
        }
    }

    /** An app a shell may copy, run as root, with a node path and an API token mounted. */
    private static Deployment rootApp(String ns) {
        return Serialization.unmarshal("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: rooted, namespace: %s}
                spec:
                  selector: {matchLabels: {app: rooted}}
                  template:
                    metadata: {labels: {app: rooted}}
                    spec:
                      securityContext: {runAsUser: 0}
                      containers:
                      - name: app
                        image: registry.example/rooted:1
                        securityContext: {privileged: true, capabilities: {add: [NET_ADMIN]}}
                        volumeMounts:
                        - {name: logs, mountPath: /host/logs}
                        - {name: token, mountPath: /var/run/secrets/token}
                      volumes:
                      - {name: logs, hostPath: {path: /var/log}}
                      - name: token
                        projected: {sources: [{serviceAccountToken: {path: token}}]}
                """.formatted(ns), Deployment.class);
    }

    /** A restricted pod, like the operator's, for the checker's own tests to spoil one control at a time. */
    static PodSpec restricted() {
        return new PodSpecBuilder()
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(10001L)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addToContainers(restrictedContainer("app"))
                .addToInitContainers(restrictedContainer("init"))
                .addToEphemeralContainers(new EphemeralContainerBuilder().withName("debug").withImage("i")
                        .withSecurityContext(restrictedContext()).build())
                .addNewVolume().withName("state").withNewEmptyDir().endEmptyDir().endVolume()
                .addNewVolume().withName("config").withNewSecret().withSecretName("s").endSecret().endVolume()
                .build();
    }

    private static Container restrictedContainer(String name) {
        return new ContainerBuilder().withName(name).withImage("i").withSecurityContext(restrictedContext()).build();
    }

    private static SecurityContext restrictedContext() {
        return new SecurityContextBuilder().withAllowPrivilegeEscalation(false)
                .withNewCapabilities().withDrop("ALL").endCapabilities().build();
    }

    /** One spoiled control each: its name, the profile it belongs to, what the violation must mention, the spoiler. */
    static Stream<Arguments> spoiledControls() {
        return Stream.of(
                spoiled("hostNetwork", "baseline", "hostNetwork", p -> p.setHostNetwork(true)),
                spoiled("hostPID", "baseline", "hostPID", p -> p.setHostPID(true)),
                spoiled("hostIPC", "baseline", "hostIPC", p -> p.setHostIPC(true)),
                spoiled("privileged container", "baseline", "privileged", p -> ctx(p).setPrivileged(true)),
                spoiled("privileged init container", "baseline", "init container init: privileged",
                        p -> p.getInitContainers().get(0).getSecurityContext().setPrivileged(true)),
                spoiled("privileged ephemeral container", "baseline", "ephemeral container debug: privileged",
                        p -> p.getEphemeralContainers().get(0).getSecurityContext().setPrivileged(true)),
                spoiled("HostProcess on the pod", "baseline", "HostProcess", p -> p.getSecurityContext().setWindowsOptions(
                        new WindowsSecurityContextOptionsBuilder().withHostProcess(true).build())),
                spoiled("HostProcess on a container", "baseline", "HostProcess", p -> ctx(p).setWindowsOptions(
                        new WindowsSecurityContextOptionsBuilder().withHostProcess(true).build())),
                spoiled("capability beyond the default set", "baseline", "adds NET_ADMIN",
                        p -> ctx(p).getCapabilities().setAdd(List.of("NET_ADMIN"))),
                spoiled("default capability other than NET_BIND_SERVICE", "restricted", "adds CHOWN",
                        p -> ctx(p).getCapabilities().setAdd(List.of("CHOWN"))),
                spoiled("capabilities not dropped", "restricted", "does not drop ALL",
                        p -> ctx(p).getCapabilities().setDrop(List.of("NET_RAW"))),
                spoiled("no capabilities at all in an init container", "restricted", "init container init: does not drop ALL",
                        p -> p.getInitContainers().get(0).getSecurityContext().setCapabilities(null)),
                spoiled("hostPath volume", "baseline", "hostPath", p -> p.getVolumes().add(new VolumeBuilder().withName("h")
                        .withNewHostPath().withPath("/").endHostPath().build())),
                spoiled("other volume type", "restricted", "volume types", p -> p.getVolumes().add(new VolumeBuilder()
                        .withName("n").withNewNfs().withServer("nfs").withPath("/").endNfs().build())),
                spoiled("hostPort", "baseline", "hostPort 2222", p -> c(p).setPorts(List.of(new ContainerPortBuilder()
                        .withContainerPort(2222).withHostPort(2222).build()))),
                spoiled("hostPort on an ephemeral container", "baseline", "hostPort 22",
                        p -> p.getEphemeralContainers().get(0).setPorts(List.of(new ContainerPortBuilder()
                                .withContainerPort(22).withHostPort(22).build()))),
                spoiled("AppArmor annotation", "baseline", "AppArmor", p -> { }, Map.of(
                        "container.apparmor.security.beta.kubernetes.io/app", "unconfined")),
                spoiled("AppArmor field on the pod", "baseline", "AppArmor", p -> p.getSecurityContext().setAppArmorProfile(
                        new AppArmorProfileBuilder().withType("Unconfined").build())),
                spoiled("AppArmor field on a container", "baseline", "AppArmor", p -> ctx(p).setAppArmorProfile(
                        new AppArmorProfileBuilder().withType("Unconfined").build())),
                spoiled("SELinux type", "baseline", "seLinuxOptions.type", p -> ctx(p).setSeLinuxOptions(
                        new SELinuxOptionsBuilder().withType("spc_t").build())),
                spoiled("SELinux user on the pod", "baseline", "seLinuxOptions.user", p -> p.getSecurityContext()
                        .setSeLinuxOptions(new SELinuxOptionsBuilder().withUser("system_u").build())),
                spoiled("SELinux role", "baseline", "seLinuxOptions.role", p -> ctx(p).setSeLinuxOptions(
                        new SELinuxOptionsBuilder().withRole("sysadm_r").build())),
                spoiled("/proc mount", "baseline", "procMount", p -> ctx(p).setProcMount("Unmasked")),
                spoiled("unsafe sysctl", "baseline", "kernel.msgmax", p -> p.getSecurityContext().setSysctls(List.of(
                        new SysctlBuilder().withName("kernel.msgmax").withValue("1").build()))),
                spoiled("seccomp Unconfined on the pod", "baseline", "seccomp",
                        p -> p.getSecurityContext().getSeccompProfile().setType("Unconfined")),
                spoiled("seccomp Unconfined on a container", "baseline", "seccomp", p -> ctx(p).setSeccompProfile(
                        new SeccompProfileBuilder().withType("Unconfined").build())),
                spoiled("no seccomp profile anywhere", "restricted", "seccomp", p -> p.getSecurityContext().setSeccompProfile(null)),
                spoiled("privilege escalation unset", "restricted", "allowPrivilegeEscalation",
                        p -> ctx(p).setAllowPrivilegeEscalation(null)),
                spoiled("privilege escalation true", "restricted", "allowPrivilegeEscalation",
                        p -> ctx(p).setAllowPrivilegeEscalation(true)),
                spoiled("runAsNonRoot false on the pod", "restricted", "runAsNonRoot",
                        p -> p.getSecurityContext().setRunAsNonRoot(false)),
                spoiled("runAsNonRoot unset everywhere", "restricted", "runAsNonRoot",
                        p -> p.getSecurityContext().setRunAsNonRoot(null)),
                spoiled("runAsNonRoot false on one container", "restricted", "container app: runAsNonRoot",
                        p -> ctx(p).setRunAsNonRoot(false)),
                spoiled("runAsUser 0 on the pod", "restricted", "runAsUser", p -> p.getSecurityContext().setRunAsUser(0L)),
                spoiled("runAsUser 0 on a container", "restricted", "runAsUser", p -> ctx(p).setRunAsUser(0L)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("spoiledControls")
    void theCheckerDetectsEachControl(String control, String profile, String mentioned, Consumer<PodSpec> spoil,
            Map<String, String> annotations) {
        assertEquals(List.of(), PodSecurityRestricted.violations(restricted(), Map.of()), "the unspoiled pod is restricted");
        PodSpec pod = restricted();
        spoil.accept(pod);
        List<String> found = PodSecurityRestricted.violations(pod, annotations);
        assertTrue(found.stream().anyMatch(v -> v.startsWith(profile + ": ") && v.contains(mentioned)),
                control + " went undetected (expected a " + profile + " violation mentioning \"" + mentioned + "\"): " + found);
        if (profile.equals("restricted")) {
            assertEquals(List.of(), PodSecurityRestricted.baselineViolations(pod, annotations),
                    control + " is allowed by baseline");
        }
    }

    /** What the standard allows must not be reported: a checker that flags everything proves nothing. */
    static Stream<Arguments> allowedVariants() {
        return Stream.of(
                allowed("NET_BIND_SERVICE added", p -> ctx(p).getCapabilities().setAdd(List.of("NET_BIND_SERVICE"))),
                allowed("seccomp Localhost", p -> p.getSecurityContext().setSeccompProfile(new SeccompProfileBuilder()
                        .withType("Localhost").withLocalhostProfile("sshd.json").build())),
                allowed("seccomp on every container instead of the pod", p -> {
                    p.getSecurityContext().setSeccompProfile(null);
                    allContexts(p).forEach(sc -> sc.setSeccompProfile(new SeccompProfileBuilder().withType("RuntimeDefault").build()));
                }),
                allowed("runAsNonRoot on every container instead of the pod", p -> {
                    p.getSecurityContext().setRunAsNonRoot(null);
                    allContexts(p).forEach(sc -> sc.setRunAsNonRoot(true));
                }),
                allowed("AppArmor RuntimeDefault and localhost annotation", p -> ctx(p).setAppArmorProfile(
                        new AppArmorProfileBuilder().withType("RuntimeDefault").build()), Map.of(
                        "container.apparmor.security.beta.kubernetes.io/app", "localhost/sshd")),
                allowed("SELinux container_t with a level", p -> ctx(p).setSeLinuxOptions(
                        new SELinuxOptionsBuilder().withType("container_t").withLevel("s0:c1,c2").build())),
                allowed("safe sysctl", p -> p.getSecurityContext().setSysctls(List.of(
                        new SysctlBuilder().withName("net.ipv4.ip_unprivileged_port_start").withValue("0").build()))),
                allowed("hostPort 0 and procMount Default", p -> {
                    c(p).setPorts(List.of(new ContainerPortBuilder().withContainerPort(2222).withHostPort(0).build()));
                    ctx(p).setProcMount("Default");
                }),
                allowed("projected, configMap, downwardAPI, csi, PVC and ephemeral volumes", p -> p.getVolumes().addAll(List.of(
                        new VolumeBuilder().withName("a").withNewProjected().endProjected().build(),
                        new VolumeBuilder().withName("b").withNewConfigMap().withName("c").endConfigMap().build(),
                        new VolumeBuilder().withName("c").withNewDownwardAPI().endDownwardAPI().build(),
                        new VolumeBuilder().withName("d").withNewCsi().withDriver("x").endCsi().build(),
                        new VolumeBuilder().withName("e").withNewPersistentVolumeClaim().withClaimName("p")
                                .endPersistentVolumeClaim().build(),
                        new VolumeBuilder().withName("f").withNewEphemeral().endEphemeral().build()))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allowedVariants")
    void theCheckerAcceptsWhatRestrictedAllows(String variant, Consumer<PodSpec> change, Map<String, String> annotations) {
        PodSpec pod = restricted();
        change.accept(pod);
        assertEquals(List.of(), PodSecurityRestricted.violations(pod, annotations), variant);
    }

    private static Arguments spoiled(String control, String profile, String mentioned, Consumer<PodSpec> spoil) {
        return spoiled(control, profile, mentioned, spoil, Map.of());
    }

    private static Arguments spoiled(String control, String profile, String mentioned, Consumer<PodSpec> spoil,
            Map<String, String> annotations) {
        return Arguments.of(control, profile, mentioned, spoil, annotations);
    }

    private static Arguments allowed(String variant, Consumer<PodSpec> change) {
        return allowed(variant, change, Map.of());
    }

    private static Arguments allowed(String variant, Consumer<PodSpec> change, Map<String, String> annotations) {
        return Arguments.of(variant, change, annotations);
    }

    private static Container c(PodSpec pod) {
        return pod.getContainers().get(0);
    }

    private static SecurityContext ctx(PodSpec pod) {
        return c(pod).getSecurityContext();
    }

    private static List<SecurityContext> allContexts(PodSpec pod) {
        List<SecurityContext> contexts = new ArrayList<>();
        pod.getContainers().forEach(c -> contexts.add(c.getSecurityContext()));
        pod.getInitContainers().forEach(c -> contexts.add(c.getSecurityContext()));
        pod.getEphemeralContainers().forEach(c -> contexts.add(c.getSecurityContext()));
        return contexts;
    }
}
