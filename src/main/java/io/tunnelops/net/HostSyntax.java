package io.tunnelops.net;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One meaning for a host string, shared by the operator and sshd. sshd resolves a {@code PermitOpen} host with glibc,
 * which reads {@code 0177.0.0.1}, {@code 0x7f.1}, {@code 127.1} and {@code 2130706433} as 127.0.0.1. So a host is
 * either a canonical dotted-decimal IPv4 address (and the address rules apply to it) or a DNS name that no resolver
 * could take for an address: its last label is not a number (the WHATWG URL standard's "ends in a number" rule,
 * which covers every inet_aton form). Everything else is refused, with the address it would have meant.
 */
public final class HostSyntax {

    public static final int MAX_LENGTH = 253;
    private static final String LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    private static final Pattern NAME_SHAPE = Pattern.compile("^" + LABEL + "(\\." + LABEL + ")*$");
    private static final Pattern NUMERIC_LABEL = Pattern.compile("^([0-9]+|0[xX][0-9A-Fa-f]*)$");
    private static final Pattern FOUR_DECIMALS = Pattern.compile("^[0-9]+(\\.[0-9]+){3}$");

    private HostSyntax() {
    }

    /** A host the operator accepts: an IPv4 address in canonical form, or a DNS name (lower-cased). */
    public record Host(String text, Optional<Ipv4Address> address) {
        public boolean isAddress() {
            return address.isPresent();
        }
    }

    /** Reads a target host, or says why it cannot be one. */
    public static Host parse(String host) throws InvalidHostException {
        if (host == null || host.isEmpty() || host.length() > MAX_LENGTH || !NAME_SHAPE.matcher(host).matches()) {
            throw new InvalidHostException("must be a DNS name or an IPv4 address, without spaces, commas, wildcards, "
                    + "a trailing dot or other punctuation");
        }
        Optional<Ipv4Address> canonical = Ipv4Address.parseCanonical(host);
        if (canonical.isPresent()) {
            return new Host(host, canonical);
        }
        String problem = numericProblem(host);
        if (problem != null) {
            throw new InvalidHostException(problem);
        }
        return new Host(host.toLowerCase(Locale.ROOT), Optional.empty());
    }

    /** Reads a TunnelPolicy host entry: a host as {@link #parse} takes it, or {@code *.suffix} with a name suffix. */
    public static String parsePattern(String pattern) throws InvalidHostException {
        if (pattern != null && pattern.startsWith("*.")) {
            String suffix = pattern.substring(2);
            if (NUMERIC_LABEL.matcher(suffix.substring(suffix.lastIndexOf('.') + 1)).matches()) {
                // *.0.0.1 would match 127.0.0.1 by suffix
                throw new InvalidHostException("ends in a number, so it could only match addresses; list the address "
                        + "itself or a range in cidrs");
            }
            return "*." + parse(suffix).text();
        }
        return parse(pattern).text();
    }

    /** Why a string that is not a canonical address would still be read as a number by some resolver, or null. */
    static String numericProblem(String host) {
        Optional<Ipv4Address.Loose> loose = Ipv4Address.parseLoose(host);
        if (loose.isPresent()) {
            Ipv4Address address = loose.get().address();
            return "is " + address + " written " + loose.get().notation() + "; resolvers read it as that address. "
                    + "Write an address in dotted decimal (" + address + ") or use a DNS name";
        }
        if (FOUR_DECIMALS.matcher(host).matches()) {
            return "is not a valid IPv4 address (four parts, each 0..255)";
        }
        String last = host.substring(host.lastIndexOf('.') + 1);
        if (NUMERIC_LABEL.matcher(last).matches()) {
            return "ends in a number (" + last + "), so resolvers may read it as an address; a host must be an IPv4 "
                    + "address in dotted decimal or a DNS name whose last label is not a number";
        }
        return null;
    }
}
