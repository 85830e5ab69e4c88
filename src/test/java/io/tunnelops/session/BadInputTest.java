package io.tunnelops.session;

import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.ShellSpec;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.tunnelops.testing.FakeKubelet;
import io.tunnelops.testing.SessionFixtures;

/**
 * Input that must never get through, written straight to the API (as if the CRD schema were bypassed or older):
 * each case ends with its exact reason and nothing provisioned, and the operator keeps serving a good session.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class BadInputTest {

    @Inject
    KubernetesClient client;

    /** One bad session: how to spoil a valid one, and the phase and condition reason it must end with. */
    record Case(String name, Consumer<SessionFixtures> spoil, SessionPhase phase, String reason) {
    }

    private static final String ED25519 = Ed25519KeyGenerator.generate("me").publicKey();
    private static final String ED25519_BLOB = ED25519.split(" ")[1];

    static List<Case> cases() throws Exception {
        List<Case> cases = new ArrayList<>();
        // structure the schema would reject
        cases.add(invalid("no-target", s -> s.build().getSpec().setTarget(null)));
        cases.add(invalid("no-ports", s -> s.toService("postgres")));
        cases.add(invalid("port-zero", s -> s.toService("postgres", 0)));
        cases.add(invalid("port-too-big", s -> s.toService("postgres", 70000)));
        cases.add(invalid("nine-ports", s -> s.toService("postgres", 1, 2, 3, 4, 5, 6, 7, 8, 9)));
        cases.add(invalid("repeated-port", s -> s.toService("postgres", 5432, 5432)));
        cases.add(invalid("service-and-host", s -> s.build().getSpec().getTarget().setHost("db.internal")));
        cases.add(invalid("neither-service-nor-host", s -> s.build().getSpec().getTarget().setService(null)));
        cases.add(invalid("service-uppercase", s -> s.toService("Postgres", 5432)));
        cases.add(invalid("service-path", s -> s.toService("../postgres", 5432)));
        // strings that could inject into sshd_config
        cases.add(invalid("host-newline", s -> s.toHost("db.internal\nPermitOpen any", 5432)));
        cases.add(invalid("host-space", s -> s.toHost("db internal", 5432)));
        cases.add(invalid("host-comma", s -> s.toHost("db.internal,evil.example", 5432)));
        cases.add(invalid("host-hash", s -> s.toHost("db.internal#", 5432)));
        cases.add(invalid("host-star", s -> s.toHost("*", 5432)));
        cases.add(invalid("host-wildcard", s -> s.toHost("*.corp.example", 5432)));
        cases.add(invalid("host-question", s -> s.toHost("db?.internal", 5432)));
        cases.add(invalid("host-quote", s -> s.toHost("\"db\"", 5432)));
        cases.add(invalid("host-ipv6-metadata", s -> s.toHost("fd00:ec2::254", 80)));
        cases.add(invalid("host-ipv6-loopback", s -> s.toHost("::1", 22)));
        cases.add(invalid("host-bad-ipv4", s -> s.toHost("999.1.1.1", 22)));
        // numbers that resolvers read as addresses (sshd resolves PermitOpen hosts with glibc)
        cases.add(invalid("host-octal-loopback", s -> s.toHost("0177.0.0.1", 7000)));
        cases.add(invalid("host-hex-shorthand", s -> s.toHost("0x7f.1", 7000)));
        cases.add(invalid("host-octal-metadata", s -> s.toHost("0251.0376.0251.0376", 80)));
        cases.add(invalid("host-shorthand", s -> s.toHost("127.1", 22)));
        cases.add(invalid("host-single-number", s -> s.toHost("2130706433", 22)));
        cases.add(invalid("host-leading-zero", s -> s.toHost("10.0.0.05", 22)));
        cases.add(invalid("host-ends-in-number", s -> s.toHost("db.123", 22)));
        // places no tunnel may go
        cases.add(notAllowed("host-loopback", s -> s.toHost("127.0.0.1", 22)));
        cases.add(notAllowed("host-loopback-other", s -> s.toHost("127.1.2.3", 5432)));
        cases.add(notAllowed("host-localhost", s -> s.toHost("localhost", 5432)));
        cases.add(notAllowed("host-dot-localhost", s -> s.toHost("app.localhost", 5432)));
        cases.add(notAllowed("host-metadata-ip", s -> s.toHost("169.254.169.254", 80)));
        cases.add(notAllowed("host-link-local", s -> s.toHost("169.254.1.1", 80)));
        cases.add(notAllowed("host-unspecified", s -> s.toHost("0.0.0.0", 22)));
        cases.add(notAllowed("host-metadata-name", s -> s.toHost("metadata.google.internal", 80)));
        // targets the operator cannot confine
        cases.add(new Case("missing-service", s -> s.toService("nosuchdb", 5432), SessionPhase.Failed, "TargetServiceNotFound"));
        cases.add(new Case("port-not-exposed", s -> s.toService("postgres", 5433), SessionPhase.Failed, "TargetPortNotExposed"));
        cases.add(new Case("external-name", s -> s.toService("external", 5432), SessionPhase.Failed, "UnsupportedTarget"));
        cases.add(new Case("no-selector", s -> s.toService("manual", 5432), SessionPhase.Failed, "UnsupportedTarget"));
        // keys
        cases.add(badKey("key-command", "command=\"/bin/sh\" " + ED25519));
        cases.add(badKey("key-permitopen", "permitopen=\"10.0.0.1:22\" " + ED25519));
        cases.add(badKey("key-no-pty", "no-pty " + ED25519));
        cases.add(badKey("key-dss", "ssh-dss AAAAB3NzaC1kc3MAAACBAP"));
        cases.add(badKey("key-cert", "ssh-ed25519-cert-v01@openssh.com " + ED25519_BLOB));
        cases.add(badKey("key-type-mismatch", "ecdsa-sha2-nistp256 " + ED25519_BLOB));
        cases.add(badKey("key-newline", ED25519 + "\nssh-ed25519 " + ED25519_BLOB));
        cases.add(badKey("key-base64", "ssh-ed25519 !!!"));
        cases.add(badKey("key-rsa-1024", rsaKey(1024)));
        cases.add(invalid("seventeen-keys", s -> s.authorizedKeys(Collections.nCopies(17, ED25519).toArray(String[]::new))));
        // durations and ranges
        cases.add(invalid("ttl-zero", s -> s.ttl("0")));
        cases.add(invalid("ttl-seconds", s -> s.ttl("30s")));
        cases.add(invalid("ttl-days", s -> s.ttl("1d")));
        cases.add(invalid("ttl-over-24h", s -> s.ttl("25h")));
        cases.add(invalid("idle-too-short", s -> s.build().getSpec().setIdleTimeout("1s")));
        cases.add(invalid("idle-garbage", s -> s.build().getSpec().setIdleTimeout("soon")));
        cases.add(invalid("range-ipv6-garbage", s -> s.expose(Expose.ClusterIP, "1::2::3/64")));
        cases.add(invalid("range-prefix", s -> s.expose(Expose.ClusterIP, "10.0.0.0/33")));
        cases.add(invalid("range-name", s -> s.expose(Expose.ClusterIP, "office/24")));
        cases.add(invalid("range-octal", s -> s.expose(Expose.ClusterIP, "010.0.0.0/8")));
        cases.add(invalid("range-prefix-leading-zero", s -> s.expose(Expose.ClusterIP, "10.0.0.0/08")));
        // modes and policy
        cases.add(new Case("shell-mode", s -> {
            var spec = s.build().getSpec();
            spec.setTarget(null);
            spec.setMode(SessionMode.Shell);
            ShellSpec shell = new ShellSpec();
            shell.setFromDeployment("app01");
            spec.setShell(shell);
        }, SessionPhase.Failed, "UnsupportedMode"));
        cases.add(denied("host-without-policy", s -> s.toHost("db.example.com", 5432)));
        cases.add(denied("load-balancer-without-policy", s -> s.expose(Expose.LoadBalancer, "203.0.113.0/24")));
        cases.add(denied("node-port-without-policy", s -> s.expose(Expose.NodePort)));
        cases.add(denied("ttl-over-operator-maximum", s -> s.ttl("12h")));
        return cases;
    }

    @Test
    void everyBadInputEndsWithItsReasonAndNothingIsProvisionedWhileAGoodSessionStillWorks() throws Exception {
        String ns = "bad-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        client.resource(targetService(ns, "postgres", 5432)).create();
        client.resource(new ServiceBuilder().withNewMetadata().withNamespace(ns).withName("external").endMetadata()
                .withNewSpec().withType("ExternalName").withExternalName("db.example.com").addNewPort().withPort(5432)
                .endPort().endSpec().build()).create();
        client.resource(new ServiceBuilder().withNewMetadata().withNamespace(ns).withName("manual").endMetadata()
                .withNewSpec().addNewPort().withPort(5432).endPort().endSpec().build()).create();

        List<Case> cases = cases();
        for (Case c : cases) {
            SessionFixtures fixture = session(ns, c.name()).toService("postgres", 5432);
            c.spoil().accept(fixture);
            client.resource(fixture.build()).create();
        }
        client.resource(session(ns, "good").toService("postgres", 5432).build()).create();

        List<String> wrong = new ArrayList<>();
        for (Case c : cases) {
            await().atMost(15, TimeUnit.SECONDS).until(() -> phase(ns, c.name()) != null
                    && phase(ns, c.name()) != SessionPhase.Provisioning);
            TunnelSession s = client.resources(TunnelSession.class).inNamespace(ns).withName(c.name()).get();
            String reason = s.getStatus().getConditions().get(0).getReason();
            if (s.getStatus().getPhase() != c.phase() || !reason.equals(c.reason())) {
                wrong.add(c.name() + ": expected " + c.phase() + "/" + c.reason() + " but got " + s.getStatus().getPhase()
                        + "/" + reason + " (" + s.getStatus().getConditions().get(0).getMessage() + ")");
            }
        }
        assertEquals(List.of(), wrong);
        assertTrue(cases.size() >= 40, "the table has " + cases.size() + " cases");
        for (Case c : cases) {
            assertNull(client.apps().deployments().inNamespace(ns).withName(c.name() + "-sshd").get(), c.name());
            assertNull(client.services().inNamespace(ns).withName(c.name() + "-sshd").get(), c.name());
            assertNull(client.secrets().inNamespace(ns).withName(c.name() + "-ssh").get(), c.name());
            assertNull(client.network().v1().networkPolicies().inNamespace(ns).withName(c.name() + "-sshd").get(), c.name());
        }

        // the operator keeps serving
        FakeKubelet.sshdAvailable(client, ns, "good", "10.96.9.9");
        await().atMost(10, TimeUnit.SECONDS).until(() -> phase(ns, "good") == SessionPhase.Ready);
    }

    private SessionPhase phase(String ns, String name) {
        TunnelSession s = client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
        return s == null || s.getStatus() == null ? null : s.getStatus().getPhase();
    }

    private static Case invalid(String name, Consumer<SessionFixtures> spoil) {
        return new Case(name, spoil, SessionPhase.Failed, "InvalidSpec");
    }

    private static Case notAllowed(String name, Consumer<SessionFixtures> spoil) {
        return new Case(name, spoil, SessionPhase.Failed, "TargetNotAllowed");
    }

    private static Case badKey(String name, String key) {
        return new Case(name, s -> s.authorizedKeys(key), SessionPhase.Failed, "InvalidAuthorizedKey");
    }

    private static Case denied(String name, Consumer<SessionFixtures> spoil) {
        return new Case(name, spoil, SessionPhase.Denied, "Denied");
    }

    /** An RSA public key line of the given size, encoded as OpenSSH does. */
    private static String rsaKey(int bits) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(bits);
        RSAPublicKey key = (RSAPublicKey) generator.generateKeyPair().getPublic();
        var out = new java.io.ByteArrayOutputStream();
        var data = new java.io.DataOutputStream(out);
        for (byte[] field : List.of("ssh-rsa".getBytes(), key.getPublicExponent().toByteArray(),
                key.getModulus().toByteArray())) {
            data.writeInt(field.length);
            data.write(field);
        }
        return "ssh-rsa " + Base64.getEncoder().encodeToString(out.toByteArray()) + " old";
    }

}
