package io.tunnelops.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

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

    @Test
    void aNameThatResolvesToTheMetadataServiceOrLoopbackIsRefused() {
        var resolver = dns(Map.of("evil.example", "169.254.169.254", "sneaky.example", "127.0.0.2",
                "v6.example", "fd00:ec2::254", "db.example", "203.0.113.10"));
        assertEquals("resolves to 169.254.169.254, a link-local address (where cloud metadata services live)",
                ForbiddenTargets.reason("evil.example", false, resolver));
        assertEquals("resolves to 127.0.0.2, a loopback address", ForbiddenTargets.reason("sneaky.example", false, resolver));
        assertEquals("resolves to fd00:ec2:0:0:0:0:0:254, the AWS IPv6 metadata service",
                ForbiddenTargets.reason("v6.example", false, resolver));
        assertNull(ForbiddenTargets.reason("db.example", false, resolver));
        assertNull(ForbiddenTargets.reason("unknown.example", false, resolver), "unresolvable now: the NetworkPolicy guards");
    }

    @Test
    void literalsAndWellKnownNamesNeedNoLookup() {
        ForbiddenTargets.Resolver noDns = host -> {
            throw new AssertionError("no lookup for " + host);
        };
        assertEquals("is a loopback address", ForbiddenTargets.reason("127.0.0.1", true, noDns));
        assertEquals("is a cloud metadata service", ForbiddenTargets.reason("metadata.google.internal", false, noDns));
        assertEquals("is the sshd's own loopback", ForbiddenTargets.reason("LOCALHOST", false, noDns));
        assertNull(ForbiddenTargets.reason("10.20.3.4", true, noDns));
    }
}
