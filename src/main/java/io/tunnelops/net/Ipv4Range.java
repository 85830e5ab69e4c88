package io.tunnelops.net;

import java.util.Optional;

/** An IPv4 CIDR range written canonically (dotted decimal, no leading zeros); parses text only, never resolves. */
public record Ipv4Range(long network, int prefix) {

    public static Optional<Ipv4Range> parse(String cidr) {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash < 0) {
            return Optional.empty();
        }
        Optional<Ipv4Address> address = Ipv4Address.parseCanonical(cidr.substring(0, slash));
        Optional<Integer> prefix = Cidrs.prefix(cidr.substring(slash + 1), 32);
        if (address.isEmpty() || prefix.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Ipv4Range(address.get().value() & mask(prefix.get()), prefix.get()));
    }

    /** False for anything that is not a canonical IPv4 address: a name is never "in" a range. */
    public boolean contains(String host) {
        return Ipv4Address.parseCanonical(host).map(a -> (a.value() & mask(prefix)) == network).orElse(false);
    }

    private static long mask(int prefix) {
        return prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
    }
}
