package io.tunnelops.session;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.tunnelops.net.HostSyntax;

/**
 * Destinations no session may reach, whatever a policy says: the sshd's own loopback, link-local addresses and the
 * cloud metadata services. Checked by name, by literal address, and by what a name resolves to now (the
 * NetworkPolicy's address exceptions back this up when a name later resolves elsewhere).
 */
public final class ForbiddenTargets {

    /** Resolves a host name; replaceable in tests. */
    @FunctionalInterface
    public interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;
    }

    public static final Resolver DNS = host -> List.of(InetAddress.getAllByName(host));
    private static final Set<String> METADATA_NAMES = Set.of("metadata", "metadata.google.internal",
            "metadata.goog", "instance-data", "instance-data.ec2.internal", "metadata.azure.internal");

    private ForbiddenTargets() {
    }

    /** Why the host may not be a target, or null when it may. */
    public static String reason(HostSyntax.Host host, Resolver resolver) {
        boolean isIpv4Literal = host.isAddress();
        String name = host.text().toLowerCase(Locale.ROOT);
        if (name.equals("localhost") || name.endsWith(".localhost")) {
            return "is the sshd's own loopback";
        }
        if (METADATA_NAMES.contains(name)) {
            return "is a cloud metadata service";
        }
        List<InetAddress> addresses;
        try {
            addresses = isIpv4Literal ? List.of(InetAddress.getByName(name)) : resolver.resolve(name);
        } catch (UnknownHostException e) {
            return null; // not resolvable from here: the NetworkPolicy still keeps the pod off local ranges
        }
        for (InetAddress address : addresses) {
            String problem = forbidden(address);
            if (problem != null) {
                return isIpv4Literal ? "is " + problem : "resolves to " + address.getHostAddress() + ", " + problem;
            }
        }
        return null;
    }

    private static String forbidden(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return "a loopback address";
        }
        if (address.isAnyLocalAddress()) {
            return "the unspecified address";
        }
        if (address.isLinkLocalAddress()) {
            return "a link-local address (where cloud metadata services live)";
        }
        byte[] bytes = address.getAddress();
        if (bytes.length == 4 && (bytes[0] & 0xff) == 0) {
            return "in 0.0.0.0/8";
        }
        if (bytes.length == 16 && (bytes[0] & 0xff) == 0xfd && (bytes[1] & 0xff) == 0x00
                && address.getHostAddress().startsWith("fd00:ec2:")) {
            return "the AWS IPv6 metadata service";
        }
        return null;
    }
}
