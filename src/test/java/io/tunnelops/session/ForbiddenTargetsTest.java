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
}
