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
 * end with, and a phrase of the condition's message that names what is wrong with that case (its value where the
 * message repeats it): {@link Case#matches} tells whether a message says it. A phrase is this case's own: no message of
 * another case contains it, except of cases the same check refuses in the same words (such as the three
 * authorized_keys options, or nine ports and a repeated one), whose messages are identical. BadInputTest writes them
 * straight to the mock server (as if the CRD schema were bypassed or older); RealAdmissionIT sends them to a real API
 * server, which refuses some at admission and admits the rest to the operator. The cases expect the Services of
 * {@link #targetServices(String)} in their namespace.
 */
public final class BadInputCases {

    /** The Service every case starts from (a valid Tunnel session to it, port 5432). */
    public static final String TARGET_SERVICE = "postgres";

    private BadInputCases() {
    }

    /**
     * One bad session: how to spoil a valid one, and the phase, condition reason and message phrase it must end with.
     *
     * @param phrase what the message must contain; one that starts with "…" must end the message (a message that is
     *        the start of another case's message can only be told apart by where it ends)
     */
    public record Case(String name, String phrase, Consumer<SessionFixtures> spoil, SessionPhase phase, String reason) {

        /** Whether the condition's message says this case's phrase. */
        public boolean matches(String message) {
            return message != null && (phrase.startsWith("…") ? message.endsWith(phrase.substring(1))
                    : message.contains(phrase));
        }

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
    private static final String KEY_OPTIONS =
            "authorized_keys options (such as command=, permitopen=, no-pty) are not allowed";

    /** Every case, in a fixed order. */
    public static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        // structure the schema would reject
        cases.add(invalid("no-target", "spec.target with at least one port is required in Tunnel mode",
                s -> s.build().getSpec().setTarget(null)));
        cases.add(invalid("no-ports", "spec.target with at least one port is required in Tunnel mode",
                s -> s.toService("postgres")));
        cases.add(invalid("port-zero", "spec.target.ports: 0 is not a port (1..65535)",
                s -> s.toService("postgres", 0)));
        cases.add(invalid("port-too-big", "spec.target.ports: 70000 is not a port (1..65535)",
                s -> s.toService("postgres", 70000)));
        cases.add(invalid("nine-ports", "spec.target.ports must list 1 to 8 distinct ports",
                s -> s.toService("postgres", 1, 2, 3, 4, 5, 6, 7, 8, 9)));
        cases.add(invalid("repeated-port", "spec.target.ports must list 1 to 8 distinct ports",
                s -> s.toService("postgres", 5432, 5432)));
        cases.add(invalid("service-and-host", "set exactly one of spec.target.service or spec.target.host",
                s -> s.build().getSpec().getTarget().setHost("db.internal")));
        cases.add(invalid("neither-service-nor-host", "set exactly one of spec.target.service or spec.target.host",
                s -> s.build().getSpec().getTarget().setService(null)));
        cases.add(invalid("service-uppercase", "spec.target.service must be a Service name",
                s -> s.toService("Postgres", 5432)));
        cases.add(invalid("service-path", "spec.target.service must be a Service name",
                s -> s.toService("../postgres", 5432)));
        // strings that could inject into sshd_config
        cases.add(invalid("host-newline", "host db.internal\nPermitOpen any must be a DNS name or an IPv4 address",
                s -> s.toHost("db.internal\nPermitOpen any", 5432)));
        cases.add(invalid("host-space", "host db internal must be a DNS name or an IPv4 address",
                s -> s.toHost("db internal", 5432)));
        cases.add(invalid("host-comma", "host db.internal,evil.example must be a DNS name or an IPv4 address",
                s -> s.toHost("db.internal,evil.example", 5432)));
        cases.add(invalid("host-hash", "host db.internal# must be a DNS name or an IPv4 address",
                s -> s.toHost("db.internal#", 5432)));
        cases.add(invalid("host-star", "host * must be a DNS name or an IPv4 address", s -> s.toHost("*", 5432)));
        cases.add(invalid("host-wildcard", "host *.corp.example must be a DNS name or an IPv4 address",
                s -> s.toHost("*.corp.example", 5432)));
        cases.add(invalid("host-question", "host db?.internal must be a DNS name or an IPv4 address",
                s -> s.toHost("db?.internal", 5432)));
        cases.add(invalid("host-quote", "host \"db\" must be a DNS name or an IPv4 address",
                s -> s.toHost("\"db\"", 5432)));
        cases.add(invalid("host-ipv6-metadata", "host fd00:ec2::254 must be a DNS name or an IPv4 address",
                s -> s.toHost("fd00:ec2::254", 80)));
        cases.add(invalid("host-ipv6-loopback", "host ::1 must be a DNS name or an IPv4 address",
                s -> s.toHost("::1", 22)));
        cases.add(invalid("host-bad-ipv4", "host 999.1.1.1 is not a valid IPv4 address",
                s -> s.toHost("999.1.1.1", 22)));
        // numbers that resolvers read as addresses (sshd resolves PermitOpen hosts with glibc)
        cases.add(invalid("host-octal-loopback", "host 0177.0.0.1 is 127.0.0.1 written in octal",
                s -> s.toHost("0177.0.0.1", 7000)));
        cases.add(invalid("host-hex-shorthand", "host 0x7f.1 is 127.0.0.1 written in hexadecimal and in shorthand",
                s -> s.toHost("0x7f.1", 7000)));
        cases.add(invalid("host-octal-metadata", "host 0251.0376.0251.0376 is 169.254.169.254 written in octal",
                s -> s.toHost("0251.0376.0251.0376", 80)));
        cases.add(invalid("host-shorthand", "host 127.1 is 127.0.0.1 written in shorthand",
                s -> s.toHost("127.1", 22)));
        cases.add(invalid("host-single-number", "host 2130706433 is 127.0.0.1 written as a single number",
                s -> s.toHost("2130706433", 22)));
        cases.add(invalid("host-leading-zero", "host 10.0.0.05 is 10.0.0.5 written in octal",
                s -> s.toHost("10.0.0.05", 22)));
        cases.add(invalid("host-ends-in-number", "host db.123 ends in a number (123)", s -> s.toHost("db.123", 22)));
        // places no tunnel may go
        cases.add(notAllowed("host-loopback", "host 127.0.0.1 is a loopback address", s -> s.toHost("127.0.0.1", 22)));
        cases.add(notAllowed("host-loopback-other", "host 127.1.2.3 is a loopback address",
                s -> s.toHost("127.1.2.3", 5432)));
        cases.add(notAllowed("host-localhost", "host localhost is the sshd's own loopback",
                s -> s.toHost("localhost", 5432)));
        cases.add(notAllowed("host-dot-localhost", "host app.localhost is the sshd's own loopback",
                s -> s.toHost("app.localhost", 5432)));
        cases.add(notAllowed("host-metadata-ip", "host 169.254.169.254 is a link-local address",
                s -> s.toHost("169.254.169.254", 80)));
        cases.add(notAllowed("host-link-local", "host 169.254.1.1 is a link-local address",
                s -> s.toHost("169.254.1.1", 80)));
        cases.add(notAllowed("host-unspecified", "host 0.0.0.0 is the unspecified address",
                s -> s.toHost("0.0.0.0", 22)));
        cases.add(notAllowed("host-metadata-name", "host metadata.google.internal is a cloud metadata service",
                s -> s.toHost("metadata.google.internal", 80)));
        // targets the operator cannot confine
        cases.add(new Case("missing-service", "Service \"nosuchdb\" does not exist in namespace",
                s -> s.toService("nosuchdb", 5432), SessionPhase.Failed, "TargetServiceNotFound"));
        cases.add(new Case("port-not-exposed", "Service \"postgres\" does not expose TCP port 5433",
                s -> s.toService("postgres", 5433), SessionPhase.Failed, "TargetPortNotExposed"));
        cases.add(new Case("external-name", "Service \"external\" is of type ExternalName",
                s -> s.toService("external", 5432), SessionPhase.Failed, "UnsupportedTarget"));
        cases.add(new Case("no-selector", "Service \"manual\" has no pod selector",
                s -> s.toService("manual", 5432), SessionPhase.Failed, "UnsupportedTarget"));
        // keys
        cases.add(badKey("key-command", KEY_OPTIONS, "command=\"/bin/sh\" " + ED25519));
        cases.add(badKey("key-permitopen", KEY_OPTIONS, "permitopen=\"10.0.0.1:22\" " + ED25519));
        cases.add(badKey("key-no-pty", KEY_OPTIONS, "no-pty " + ED25519));
        cases.add(badKey("key-dss", "key type 'ssh-dss' is not allowed", "ssh-dss AAAAB3NzaC1kc3MAAACBAP"));
        cases.add(badKey("key-cert", "key type 'ssh-ed25519-cert-v01@openssh.com' is not allowed",
                "ssh-ed25519-cert-v01@openssh.com " + ED25519_BLOB));
        cases.add(badKey("key-type-mismatch",
                "the key data is of type 'ssh-ed25519' but the line says 'ecdsa-sha2-nistp256'",
                "ecdsa-sha2-nistp256 " + ED25519_BLOB));
        cases.add(badKey("key-newline", "a key must be a single line", ED25519 + "\nssh-ed25519 " + ED25519_BLOB));
        cases.add(badKey("key-base64", "the ssh-ed25519 key has no valid base64 key data", "ssh-ed25519 !!!"));
        cases.add(badKey("key-rsa-1024", "the ssh-rsa key has 1024 bits; at least 3072 are required", rsaKey(1024)));
        cases.add(invalid("seventeen-keys", "spec.access takes at most 16 authorizedKeys",
                s -> s.authorizedKeys(Collections.nCopies(17, ED25519).toArray(String[]::new))));
        // durations and ranges
        cases.add(invalid("ttl-zero", "spec.ttl \"0\" is not a duration", s -> s.ttl("0")));
        cases.add(invalid("ttl-seconds", "spec.ttl \"30s\" must be between 1m and 24h", s -> s.ttl("30s")));
        cases.add(invalid("ttl-days", "spec.ttl \"1d\" is not a duration", s -> s.ttl("1d")));
        cases.add(invalid("ttl-over-24h", "spec.ttl \"25h\" must be between 1m and 24h", s -> s.ttl("25h")));
        cases.add(invalid("idle-too-short", "spec.idleTimeout \"1s\" must be between 5s and 24h",
                s -> s.build().getSpec().setIdleTimeout("1s")));
        cases.add(invalid("idle-garbage", "spec.idleTimeout \"soon\" is not a duration",
                s -> s.build().getSpec().setIdleTimeout("soon")));
        cases.add(invalid("range-ipv6-garbage", "sourceRanges[0] \"1::2::3/64\" is not a CIDR",
                s -> s.expose(Expose.ClusterIP, "1::2::3/64")));
        cases.add(invalid("range-prefix", "sourceRanges[0] \"10.0.0.0/33\" is not a CIDR",
                s -> s.expose(Expose.ClusterIP, "10.0.0.0/33")));
        cases.add(invalid("range-name", "sourceRanges[0] \"office/24\" is not a CIDR",
                s -> s.expose(Expose.ClusterIP, "office/24")));
        cases.add(invalid("range-octal",
                "sourceRanges[0] \"010.0.0.0/8\" has 010.0.0.0, which is 8.0.0.0 written in octal",
                s -> s.expose(Expose.ClusterIP, "010.0.0.0/8")));
        cases.add(invalid("range-prefix-leading-zero", "sourceRanges[0] \"10.0.0.0/08\" is not a CIDR",
                s -> s.expose(Expose.ClusterIP, "10.0.0.0/08")));
        // modes and policy
        // denied before the app is read (so whether it exists is not revealed); AppNotFound: ShellSessionTest
        cases.add(denied("app-shell-without-policy",
                "mode Shell needs a TunnelPolicy listing it in spec.modes and Deployment app01 in spec.shellApps",
                s -> {
            var spec = s.build().getSpec();
            spec.setTarget(null);
            spec.setMode(SessionMode.Shell);
            ShellSpec shell = new ShellSpec();
            shell.setFromDeployment("app01");
            spec.setShell(shell);
        }));
        // its message is the start of the one above: told apart by where it ends
        cases.add(denied("toolbox-shell-without-policy", "…mode Shell needs a TunnelPolicy listing it in spec.modes",
                s -> {
            var spec = s.build().getSpec();
            spec.setTarget(null);
            spec.setMode(SessionMode.Shell);
        }));
        cases.add(denied("host-without-policy", "host db.example.com needs a TunnelPolicy",
                s -> s.toHost("db.example.com", 5432)));
        cases.add(denied("load-balancer-without-policy",
                "expose LoadBalancer needs a TunnelPolicy listing it in spec.allowedExpose",
                s -> s.expose(Expose.LoadBalancer, "203.0.113.0/24")));
        cases.add(denied("node-port-without-policy",
                "expose NodePort needs a TunnelPolicy listing it in spec.allowedExpose",
                s -> s.expose(Expose.NodePort)));
        cases.add(denied("ttl-over-operator-maximum", "ttl 12h exceeds the operator's maximum 8h", s -> s.ttl("12h")));
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

    private static Case invalid(String name, String phrase, Consumer<SessionFixtures> spoil) {
        return new Case(name, phrase, spoil, SessionPhase.Failed, "InvalidSpec");
    }

    private static Case notAllowed(String name, String phrase, Consumer<SessionFixtures> spoil) {
        return new Case(name, phrase, spoil, SessionPhase.Failed, "TargetNotAllowed");
    }

    private static Case badKey(String name, String phrase, String key) {
        return new Case(name, phrase, s -> s.authorizedKeys(key), SessionPhase.Failed, "InvalidAuthorizedKey");
    }

    private static Case denied(String name, String phrase, Consumer<SessionFixtures> spoil) {
        return new Case(name, phrase, spoil, SessionPhase.Denied, "Denied");
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
