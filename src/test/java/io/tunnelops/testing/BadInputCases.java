package io.tunnelops.testing;

import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.ShellSpec;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.ssh.Ed25519KeyGenerator;

/**
 * The bad-input table: sessions that must never get through, each with the phase and Ready condition reason it must
 * end with. BadInputTest writes them straight to the mock server (as if the CRD schema were bypassed or older);
 * RealAdmissionIT sends them to a real API server, which refuses some at admission and admits the rest to the
 * operator. The cases expect the Services of {@link #targetServices(String)} in their namespace.
 */
public final class BadInputCases {

    /** The Service every case starts from (a valid Tunnel session to it, port 5432). */
    public static final String TARGET_SERVICE = "postgres";

    private BadInputCases() {
    }

    /** One bad session: how to spoil a valid one, and the phase and condition reason it must end with. */
    public record Case(String name, Consumer<SessionFixtures> spoil, SessionPhase phase, String reason) {

        /** The session of this case in that namespace: a valid Tunnel session to postgres:5432, spoiled. */
        public TunnelSession session(String namespace) {
            SessionFixtures fixture = SessionFixtures.session(namespace, name).toService(TARGET_SERVICE, 5432);
            spoil.accept(fixture);
            return fixture.build();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final String ED25519 = Ed25519KeyGenerator.generate("me").publicKey();
    private static final String ED25519_BLOB = ED25519.split(" ")[1];

    /** Every case, in a fixed order. */
    public static List<Case> cases() {
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
        // denied before the app is read (so whether it exists is not revealed); AppNotFound: ShellSessionTest
        cases.add(denied("app-shell-without-policy", s -> {
            var spec = s.build().getSpec();
            spec.setTarget(null);
            spec.setMode(SessionMode.Shell);
            ShellSpec shell = new ShellSpec();
            shell.setFromDeployment("app01");
            spec.setShell(shell);
        }));
        cases.add(denied("toolbox-shell-without-policy", s -> {
            var spec = s.build().getSpec();
            spec.setTarget(null);
            spec.setMode(SessionMode.Shell);
        }));
        cases.add(denied("host-without-policy", s -> s.toHost("db.example.com", 5432)));
        cases.add(denied("load-balancer-without-policy", s -> s.expose(Expose.LoadBalancer, "203.0.113.0/24")));
        cases.add(denied("node-port-without-policy", s -> s.expose(Expose.NodePort)));
        cases.add(denied("ttl-over-operator-maximum", s -> s.ttl("12h")));
        return cases;
    }

    /**
     * The Services the cases expect in their namespace: postgres (a selector, port 5432), an ExternalName Service
     * "external" and a selector-less Service "manual" (pods behind postgres are not needed: no case gets that far).
     */
    public static List<Service> targetServices(String namespace) {
        return List.of(SessionFixtures.targetService(namespace, TARGET_SERVICE, 5432),
                new ServiceBuilder().withNewMetadata().withNamespace(namespace).withName("external").endMetadata()
                        .withNewSpec().withType("ExternalName").withExternalName("db.example.com").addNewPort()
                        .withPort(5432).endPort().endSpec().build(),
                new ServiceBuilder().withNewMetadata().withNamespace(namespace).withName("manual").endMetadata()
                        .withNewSpec().addNewPort().withPort(5432).endPort().endSpec().build());
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
    private static String rsaKey(int bits) {
        try {
            return rsaKeyLine(bits);
        } catch (java.security.GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String rsaKeyLine(int bits) throws java.security.GeneralSecurityException, java.io.IOException {
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
