package io.tunnelops.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;

/** What the local runner makes of a Shell pod's user and environment, without running anything. */
class ShellContainerTest {

    private static final ConfigMap APP_ENV = new ConfigMapBuilder().withNewMetadata().withName("app-env").endMetadata()
            .addToData("DATABASE_HOST", "db").addToData("LOG_LEVEL", "info").build();
    private static final Secret APP_SECRET = new SecretBuilder().withNewMetadata().withName("app-secret").endMetadata()
            .addToData("password", "czNjcmV0").build(); // "s3cret"
    private static final ShellContainer.PodObjects OBJECTS = new ShellContainer.PodObjects("team-a", "s-sshd-local",
            name -> name.equals("app-env") ? APP_ENV : null, name -> name.equals("app-secret") ? APP_SECRET : null);

    @Test
    void theEnvironmentIsEnvFromThenEnvWithReferencesExpandedAsTheKubeletDoes() {
        Container container = new ContainerBuilder()
                .addNewEnvFrom().withNewConfigMapRef().withName("app-env").endConfigMapRef().endEnvFrom()
                .addNewEnvFrom().withPrefix("S_").withNewSecretRef().withName("app-secret").endSecretRef().endEnvFrom()
                .addNewEnvFrom().withNewConfigMapRef().withName("absent").withOptional(true).endConfigMapRef().endEnvFrom()
                .addNewEnv().withName("LOG_LEVEL").withValue("debug").endEnv()
                .addNewEnv().withName("URL").withValue("postgres://$(DATABASE_HOST)/$(UNDEFINED) $$(DATABASE_HOST)").endEnv()
                .addNewEnv().withName("PASSWORD").withNewValueFrom().withNewSecretKeyRef().withName("app-secret")
                        .withKey("password").endSecretKeyRef().endValueFrom().endEnv()
                .addNewEnv().withName("POD").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef()
                        .endValueFrom().endEnv()
                .addNewEnv().withName("IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef()
                        .endValueFrom().endEnv()
                .build();

        Map<String, String> env = ShellContainer.environment(container, OBJECTS, "100.64.0.5");

        assertEquals("db", env.get("DATABASE_HOST"));
        assertEquals("debug", env.get("LOG_LEVEL"), "env wins over envFrom");
        assertEquals("s3cret", env.get("S_password"));
        assertEquals("postgres://db/$(UNDEFINED) $(DATABASE_HOST)", env.get("URL"));
        assertEquals("s3cret", env.get("PASSWORD"));
        assertEquals("s-sshd-local", env.get("POD"));
        assertEquals("100.64.0.5", env.get("IP"));
        assertEquals("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", env.get("PATH"));
    }

    @Test
    void aMissingSourceOrAnUnsupportedOneIsAContainerConfigError() {
        var missing = assertThrows(ShellContainer.ContainerConfigException.class, () -> ShellContainer.environment(
                new ContainerBuilder().addNewEnvFrom().withNewConfigMapRef().withName("absent").endConfigMapRef()
                        .endEnvFrom().build(), OBJECTS, "100.64.0.5"));
        assertEquals("configmap \"absent\" not found", missing.getMessage());
        var key = assertThrows(ShellContainer.ContainerConfigException.class, () -> ShellContainer.environment(
                new ContainerBuilder().addNewEnv().withName("X").withNewValueFrom().withNewConfigMapKeyRef()
                        .withName("app-env").withKey("NOPE").endConfigMapKeyRef().endValueFrom().endEnv().build(),
                OBJECTS, "100.64.0.5"));
        assertEquals("couldn't find key NOPE in ConfigMap app-env", key.getMessage());
        var resource = assertThrows(ShellContainer.ContainerConfigException.class, () -> ShellContainer.environment(
                new ContainerBuilder().addNewEnv().withName("CPU").withNewValueFrom().withNewResourceFieldRef()
                        .withResource("limits.cpu").endResourceFieldRef().endValueFrom().endEnv().build(),
                OBJECTS, "100.64.0.5"));
        assertTrue(resource.getMessage().contains("resourceFieldRef"), resource.getMessage());
    }

    @Test
    void thePodsUserAndGroupsAreKeptWhenThisMachineHasNoSuchAccount() {
        var identity = ShellContainer.identity(pod(10042L, 10043L, 10044L, List.of(10045L)), shell(),
                Set.of(0L, 1000L, 10001L), Set.of(0L, 6L, 27L, 10001L));
        assertEquals(new ShellContainer.Identity(10042, 10043, 10044L, List.of(10044L, 10045L), List.of()), identity);
    }

    @Test
    void anAccountOrGroupOfThisMachineIsNeverTakenOver() {
        var identity = ShellContainer.identity(pod(1000L, 6L, 0L, List.of(27L, 10045L)), shell(),
                Set.of(0L, 1000L, 10001L), Set.of(0L, 6L, 27L, 10001L));
        assertEquals(10001, identity.uid());
        assertEquals(10001, identity.gid());
        assertEquals(10001L, identity.fsGroup());
        assertEquals(List.of(10001L, 10045L), identity.groups());
        assertEquals(List.of("uid 1000 is an account of this machine: the shell runs as uid 10001 instead",
                "runAsGroup 6 is a group of this machine: the shell uses gid 10001 instead",
                "fsGroup 0 is a group of this machine: the shell uses gid 10001 instead",
                "supplemental group 27 is a group of this machine: left out"), identity.notes());
    }

    @Test
    void theRunnersOwnUserIsTheContractsDefault() {
        var identity = ShellContainer.identity(pod(10001L, 10001L, 10001L, List.of()), shell(),
                Set.of(0L, 10001L), Set.of(0L, 10001L));
        assertEquals(new ShellContainer.Identity(10001, 10001, 10001L, List.of(10001L), List.of()), identity);
    }

    @Test
    void aShellPodIsOneThatRunsTheBundlesStartScript() {
        assertTrue(ShellContainer.isShell(pod(10001L, 10001L, 10001L, List.of())));
        assertFalse(ShellContainer.isShell(new PodSpecBuilder().addNewContainer().withName("sshd").endContainer().build()));
    }

    private static Container shell() {
        return new ContainerBuilder().withName("shell")
                .withCommand("/tunnel/bundle/busybox", "sh", "/tunnel/bundle/bundle-sshd").build();
    }

    private static PodSpec pod(Long uid, Long gid, Long fsGroup, List<Long> supplemental) {
        return new PodSpecBuilder().withNewSecurityContext().withRunAsUser(uid).withRunAsGroup(gid).withFsGroup(fsGroup)
                .withSupplementalGroups(supplemental).endSecurityContext().withContainers(shell()).build();
    }
}
