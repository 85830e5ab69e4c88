package io.tunnelops.net;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An IPv4 address, and the two ways a string can denote one: the canonical dotted decimal that the operator accepts,
 * and the old {@code inet_aton} forms that glibc's resolver (and so sshd's {@code PermitOpen}) also accepts: octal
 * and hexadecimal parts, and one to three parts where the last fills the remaining bytes.
 */
public record Ipv4Address(long value) {

    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    private static final Pattern CANONICAL = Pattern.compile("^" + OCTET + "\\." + OCTET + "\\." + OCTET + "\\." + OCTET + "$");

    /** Exactly four decimal octets 0..255 with no leading zero: the only spelling the operator takes as an address. */
    public static Optional<Ipv4Address> parseCanonical(String text) {
        if (text == null || !CANONICAL.matcher(text).matches()) {
            return Optional.empty();
        }
        long value = 0;
        for (String part : text.split("\\.")) {
            value = value << 8 | Integer.parseInt(part);
        }
        return Optional.of(new Ipv4Address(value));
    }

    /** The address glibc's {@code inet_aton} reads in the whole of {@code text}, if any, with how it was written. */
    public static Optional<Loose> parseLoose(String text) {
        if (text == null || text.isEmpty() || text.length() > 256) {
            return Optional.empty();
        }
        String[] parts = text.split("\\.", -1);
        if (parts.length > 4) {
            return Optional.empty();
        }
        List<Long> values = new ArrayList<>();
        boolean octal = false;
        boolean hex = false;
        for (String part : parts) {
            int radix = 10;
            String digits = part;
            if (part.length() > 1 && (part.startsWith("0x") || part.startsWith("0X"))) {
                radix = 16;
                digits = part.substring(2);
                hex = true;
            } else if (part.length() > 1 && part.startsWith("0")) {
                radix = 8;
                digits = part.substring(1);
                octal = true;
            }
            int base = radix;
            if (digits.isEmpty() || !digits.chars().allMatch(c -> c < 128 && Character.digit(c, base) >= 0)) {
                return Optional.empty();
            }
            BigInteger value = new BigInteger(digits, radix);
            if (value.bitLength() > 32) {
                return Optional.empty();
            }
            values.add(value.longValue());
        }
        // the first parts are one byte each; the last fills the bytes that remain
        long address = 0;
        for (int i = 0; i < values.size() - 1; i++) {
            if (values.get(i) > 255) {
                return Optional.empty();
            }
            address |= values.get(i) << (24 - 8 * i);
        }
        long last = values.get(values.size() - 1);
        if (last >= 1L << (8 * (5 - values.size()))) {
            return Optional.empty();
        }
        return Optional.of(new Loose(new Ipv4Address(address | last), notation(values.size(), octal, hex)));
    }

    /** An address as inet_aton reads it, and what makes its spelling other than canonical (empty when none). */
    public record Loose(Ipv4Address address, String notation) {
    }

    private static String notation(int parts, boolean octal, boolean hex) {
        List<String> forms = new ArrayList<>();
        if (octal) {
            forms.add("in octal");
        }
        if (hex) {
            forms.add("in hexadecimal");
        }
        if (parts == 1) {
            forms.add("as a single number");
        } else if (parts < 4) {
            forms.add("in shorthand (" + parts + " parts instead of 4)");
        }
        return String.join(" and ", forms);
    }

    public boolean isLoopback() {
        return value >>> 24 == 127;
    }

    public boolean isLinkLocal() {
        return value >>> 16 == (169 << 8 | 254);
    }

    /** 0.0.0.0/8: "this network", which Linux treats as the local host. */
    public boolean isThisNetwork() {
        return value >>> 24 == 0;
    }

    @Override
    public String toString() {
        return (value >>> 24) + "." + (value >>> 16 & 255) + "." + (value >>> 8 & 255) + "." + (value & 255);
    }
}
