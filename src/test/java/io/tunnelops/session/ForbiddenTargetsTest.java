package io.tunnelops.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.tunnelops.net.HostSyntax;
import io.tunnelops.net.InvalidHostException;

class ForbiddenTargetsTest {

    /** A DNS that answers what the test says. */
    private static ForbiddenTargets.Resolver dns(Map<String, String> answers) {
        return host -> {
            String address = answers.get(host);
            if (address == null) {
                throw new UnknownHostException(host);
            }
            return List.of(InetAddress.getByName(address));
        };
    }

    private static HostSyntax.Host host(String text) {
        try {
            return HostSyntax.parse(text);
        } catch (InvalidHostException e) {
            throw new AssertionError(text + " " + e.getMessage());
        }
    }

    @Test
    void aNameThatResolvesToTheMetadataServiceOrLoopbackIsRefused() {
        var resolver = dns(Map.of("evil.example", "169.254.169.254", "sneaky.example", "127.0.0.2",
                "v6.example", "fd00:ec2::254", "db.example", "203.0.113.10"));
        assertEquals("resolves to 169.254.169.254, a link-local address (where cloud metadata services live)",
                ForbiddenTargets.reason(host("evil.example"), resolver));
        assertEquals("resolves to 127.0.0.2, a loopback address", ForbiddenTargets.reason(host("sneaky.example"), resolver));
        assertEquals("resolves to fd00:ec2:0:0:0:0:0:254, the AWS IPv6 metadata service",
                ForbiddenTargets.reason(host("v6.example"), resolver));
        assertNull(ForbiddenTargets.reason(host("db.example"), resolver));
        assertNull(ForbiddenTargets.reason(host("unknown.example"), resolver), "unresolvable now: the NetworkPolicy guards");
    }

    @Test
    void literalsAndWellKnownNamesNeedNoLookup() {
        ForbiddenTargets.Resolver noDns = host -> {
            throw new AssertionError("no lookup for " + host);
        };
        assertEquals("is a loopback address", ForbiddenTargets.reason(host("127.0.0.1"), noDns));
        assertEquals("is a cloud metadata service", ForbiddenTargets.reason(host("metadata.google.internal"), noDns));
        assertEquals("is the sshd's own loopback", ForbiddenTargets.reason(host("LOCALHOST"), noDns));
        assertNull(ForbiddenTargets.reason(host("10.20.3.4"), noDns));
    }

    @Test
    void everyLocalClassOfAddressIsRefusedWithItsName() {
        ForbiddenTargets.Resolver noDns = host -> {
            throw new AssertionError("no lookup for " + host);
        };
        assertEquals("is the unspecified address", ForbiddenTargets.reason(host("0.0.0.0"), noDns));
        assertEquals("is in 0.0.0.0/8", ForbiddenTargets.reason(host("0.1.2.3"), noDns));
        assertEquals("is a link-local address (where cloud metadata services live)",
                ForbiddenTargets.reason(host("169.254.169.254"), noDns));
        assertEquals("is a loopback address", ForbiddenTargets.reason(host("127.255.255.254"), noDns));
        assertNull(ForbiddenTargets.reason(host("1.0.0.0"), noDns));
        assertNull(ForbiddenTargets.reason(host("128.0.0.1"), noDns));
        assertNull(ForbiddenTargets.reason(host("169.255.0.1"), noDns));
        assertEquals("is the sshd's own loopback", ForbiddenTargets.reason(host("app.Localhost"), noDns));
        for (String metadata : List.of("metadata", "metadata.google.internal", "metadata.goog", "instance-data",
                "instance-data.ec2.internal", "metadata.azure.internal")) {
            assertEquals("is a cloud metadata service", ForbiddenTargets.reason(host(metadata), noDns), metadata);
        }
    }

    @Test
    void aNameIsRefusedWhenAnyOfItsAddressesIsLocal() {
        ForbiddenTargets.Resolver dns = host -> switch (host) {
            case "v6-loopback.example" -> List.of(InetAddress.getByName("::1"));
            case "v6-link-local.example" -> List.of(InetAddress.getByName("fe80::1"));
            case "v6-any.example" -> List.of(InetAddress.getByName("::"));
            case "this-network.example" -> List.of(InetAddress.getByName("0.0.0.7"));
            case "second.example" -> List.of(InetAddress.getByName("203.0.113.10"), InetAddress.getByName("127.0.0.1"));
            case "near-aws.example" -> List.of(InetAddress.getByName("fd00:ec3::254"), InetAddress.getByName("fd01:ec2::254"),
                    InetAddress.getByName("fc00:ec2::254"), InetAddress.getByName("2001:db8::1"));
            case "localhostx.example" -> List.of(InetAddress.getByName("203.0.113.11"));
            default -> throw new UnknownHostException(host);
        };
        assertEquals("resolves to 0:0:0:0:0:0:0:1, a loopback address", ForbiddenTargets.reason(host("v6-loopback.example"), dns));
        assertEquals("resolves to fe80:0:0:0:0:0:0:1, a link-local address (where cloud metadata services live)",
                ForbiddenTargets.reason(host("v6-link-local.example"), dns));
        assertEquals("resolves to 0:0:0:0:0:0:0:0, the unspecified address", ForbiddenTargets.reason(host("v6-any.example"), dns));
        assertEquals("resolves to 0.0.0.7, in 0.0.0.0/8", ForbiddenTargets.reason(host("this-network.example"), dns));
        assertEquals("resolves to 127.0.0.1, a loopback address", ForbiddenTargets.reason(host("second.example"), dns));
        assertNull(ForbiddenTargets.reason(host("near-aws.example"), dns));
        assertNull(ForbiddenTargets.reason(host("localhostx.example"), dns));
    }

    @Test
    void theRealResolverAnswersAnAddressWithItself() throws Exception {
        // an address literal: no query leaves the machine
        assertEquals(List.of(InetAddress.getByName("203.0.113.10")), ForbiddenTargets.DNS.resolve("203.0.113.10"));
    }
}
