package io.tunnelops.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** CIDR ranges as Kubernetes (Go's net.ParseCIDR) reads them: IPv4 in canonical dotted decimal, or IPv6. */
public final class Cidrs {

    private static final Pattern PREFIX = Pattern.compile("^(0|[1-9][0-9]{0,2})$");
    private static final Pattern IPV6_SHAPE = Pattern.compile("^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$");

    private Cidrs() {
    }

    /** Why {@code cidr} is not an IPv4 or IPv6 range, or null when it is one. */
    public static String problem(String cidr) {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash <= 0) {
            return "is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32";
        }
        String address = cidr.substring(0, slash);
        String bits = cidr.substring(slash + 1);
        if (!address.contains(":")) {
            if (Ipv4Range.parse(cidr).isPresent()) {
                return null;
            }
            var loose = Ipv4Address.parseLoose(address);
            if (loose.isPresent() && Ipv4Address.parseCanonical(address).isEmpty()) {
                return "has " + address + ", which is " + loose.get().address() + " written " + loose.get().notation()
                        + "; write the address in dotted decimal";
            }
            return "is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32";
        }
        return ipv6Valid(address) && prefix(bits, 128).isPresent() ? null
                : "is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32";
    }

    /** An IPv6 literal; an embedded IPv4 tail (::ffff:10.0.0.1) must be canonical too. */
    private static boolean ipv6Valid(String address) {
        if (!IPV6_SHAPE.matcher(address).matches()) {
            return false;
        }
        int lastColon = address.lastIndexOf(':');
        String tail = address.substring(lastColon + 1);
        if (tail.contains(".") && Ipv4Address.parseCanonical(tail).isEmpty()) {
            return false;
        }
        try {
            // a string with ':' is parsed as an IPv6 literal, never looked up in DNS
            return InetAddress.getByName(address).getAddress().length == 16;
        } catch (UnknownHostException | IllegalArgumentException e) {
            return false;
        }
    }

    static Optional<Integer> prefix(String bits, int max) {
        if (!PREFIX.matcher(bits).matches()) {
            return Optional.empty();
        }
        int value = Integer.parseInt(bits);
        return value <= max ? Optional.of(value) : Optional.empty();
    }
}
