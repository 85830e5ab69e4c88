package io.tunnelops.policy;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An IPv4 CIDR range; parses text only, never resolves names. */
record Ipv4Range(long network, int prefix) {

    private static final Pattern ADDRESS = Pattern.compile("^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$");

    static Optional<Ipv4Range> parse(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            return Optional.empty();
        }
        Optional<Long> address = address(cidr.substring(0, slash));
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (address.isEmpty() || prefix < 0 || prefix > 32) {
            return Optional.empty();
        }
        return Optional.of(new Ipv4Range(address.get() & mask(prefix), prefix));
    }

    /** False for anything that is not an IPv4 literal: a name is never "in" a range. */
    boolean contains(String host) {
        return address(host).map(a -> (a & mask(prefix)) == network).orElse(false);
    }

    static Optional<Long> address(String text) {
        Matcher m = ADDRESS.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        long value = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255) {
                return Optional.empty();
            }
            value = (value << 8) | octet;
        }
        return Optional.of(value);
    }

    private static long mask(int prefix) {
        return prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
    }
}
