package io.tunnelops.security;

import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.SysctlBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/** The sshd pods the operator creates meet the Pod Security Standard `restricted`, control by control. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class SshdPodSecurityTest {

    @Inject
    KubernetesClient client;

    @Test
    void theSshdPodMeetsEveryRestrictedControl() {
        String ns = "pss-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(session(ns, "pss").toService("postgres", 5432).build()).create();
        await().atMost(10, TimeUnit.SECONDS).until(() -> client.apps().deployments().inNamespace(ns).withName("pss-sshd").get() != null);

        Deployment deployment = client.apps().deployments().inNamespace(ns).withName("pss-sshd").get();
        var template = deployment.getSpec().getTemplate();
        assertEquals(List.of(), PodSecurityRestricted.violations(template.getSpec(), template.getMetadata().getAnnotations()));
        // beyond the profile: no API token, and a read-only root filesystem
        assertEquals(Boolean.FALSE, template.getSpec().getAutomountServiceAccountToken());
        assertEquals(Boolean.TRUE, template.getSpec().getContainers().get(0).getSecurityContext().getReadOnlyRootFilesystem());
    }

    /** A restricted pod, like the operator's, for the checker's own tests to spoil one control at a time. */
    static PodSpec restricted() {
        return new PodSpecBuilder()
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(10001L)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addNewContainer().withName("c").withImage("i")
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withNewCapabilities().withDrop("ALL")
                .endCapabilities().endSecurityContext().endContainer()
                .addNewVolume().withName("state").withNewEmptyDir().endEmptyDir().endVolume()
                .build();
    }

    static List<Object[]> spoilers() {
        return List.<Object[]>of(
                new Object[] { "hostNetwork", (Consumer<PodSpec>) p -> p.setHostNetwork(true) },
                new Object[] { "hostPID", (Consumer<PodSpec>) p -> p.setHostPID(true) },
                new Object[] { "hostIPC", (Consumer<PodSpec>) p -> p.setHostIPC(true) },
                new Object[] { "privileged", (Consumer<PodSpec>) p -> c(p).getSecurityContext().setPrivileged(true) },
                new Object[] { "capability", (Consumer<PodSpec>) p -> c(p).getSecurityContext().getCapabilities().setAdd(List.of("NET_ADMIN")) },
                new Object[] { "no drop ALL", (Consumer<PodSpec>) p -> c(p).getSecurityContext().getCapabilities().setDrop(List.of()) },
                new Object[] { "hostPath", (Consumer<PodSpec>) p -> p.getVolumes().add(new VolumeBuilder().withName("h")
                        .withNewHostPath().withPath("/").endHostPath().build()) },
                new Object[] { "hostPort", (Consumer<PodSpec>) p -> c(p).setPorts(List.of(new ContainerPortBuilder()
                        .withContainerPort(22).withHostPort(22).build())) },
                new Object[] { "procMount", (Consumer<PodSpec>) p -> c(p).getSecurityContext().setProcMount("Unmasked") },
                new Object[] { "seccomp", (Consumer<PodSpec>) p -> p.getSecurityContext().getSeccompProfile().setType("Unconfined") },
                new Object[] { "sysctl", (Consumer<PodSpec>) p -> p.getSecurityContext().setSysctls(List.of(new SysctlBuilder()
                        .withName("kernel.msgmax").withValue("1").build())) },
                new Object[] { "escalation", (Consumer<PodSpec>) p -> c(p).getSecurityContext().setAllowPrivilegeEscalation(null) },
                new Object[] { "root", (Consumer<PodSpec>) p -> p.getSecurityContext().setRunAsNonRoot(false) },
                new Object[] { "uid 0", (Consumer<PodSpec>) p -> c(p).getSecurityContext().setRunAsUser(0L) },
                new Object[] { "selinux", (Consumer<PodSpec>) p -> c(p).getSecurityContext().setSeLinuxOptions(
                        new io.fabric8.kubernetes.api.model.SELinuxOptionsBuilder().withType("spc_t").build()) });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("spoilers")
    void theCheckerDetectsEachControl(String control, Consumer<PodSpec> spoil) {
        assertEquals(List.of(), PodSecurityRestricted.violations(restricted(), Map.of()));
        PodSpec pod = restricted();
        spoil.accept(pod);
        assertTrue(!PodSecurityRestricted.violations(pod, Map.of()).isEmpty(), control + " went undetected");
    }

    private static io.fabric8.kubernetes.api.model.Container c(PodSpec pod) {
        return pod.getContainers().get(0);
    }
}
