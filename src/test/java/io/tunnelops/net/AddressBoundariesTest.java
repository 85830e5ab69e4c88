package io.tunnelops.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

/**
 * The exact edges of the address rules: where inet_aton's forms stop, how long a host may be, what a range holds.
 * Each case sits on a limit, so that moving the limit by one (as a mutation test does) changes a verdict.
 */
class AddressBoundariesTest {

    private static final String NOT_A_CIDR = "is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32";

    private static Ipv4Address loose(String text, String notation) {
        Ipv4Address.Loose read = Ipv4Address.parseLoose(text).orElseThrow(() -> new AssertionError(text + " not read"));
        assertEquals(notation, read.notation(), text);
        return read.address();
    }

    @Test
    void theLastPartFillsExactlyTheBytesThatRemain() {
        assertEquals("1.2.3.255", loose("1.2.3.255", "").toString());
        assertEquals(Optional.empty(), Ipv4Address.parseLoose("1.2.3.256"));
        assertEquals("1.2.255.255", loose("1.2.65535", "in shorthand (3 parts instead of 4)").toString());
        assertEquals(Optional.empty(), Ipv4Address.parseLoose("1.2.65536"));
        assertEquals("1.255.255.255", loose("1.16777215", "in shorthand (2 parts instead of 4)").toString());
        assertEquals(Optional.empty(), Ipv4Address.parseLoose("1.16777216"));
        assertEquals("255.255.255.255", loose("4294967295", "as a single number").toString());
        assertEquals(Optional.empty(), Ipv4Address.parseLoose("4294967296"));
    }

    @Test
    void theLeadingPartsAreOneByteEach() {
        assertEquals("255.0.0.1", loose("255.1", "in shorthand (2 parts instead of 4)").toString());
        assertEquals(Optional.empty(), Ipv4Address.parseLoose("256.1"));
        assertEquals("255.255.255.0", loose("0377.0xff.255.0", "in octal and in hexadecimal").toString());
        assertEquals("0.0.0.0", loose("0.0.0.0", "").toString());
        assertEquals(Optional.empty(), Ipv4Address.parseLoose("1.2.3.4.5"));
        assertEquals(Optional.empty(), Ipv4Address.parseLoose("1..2"));
        assertEquals(Optional.empty(), Ipv4Address.parseLoose("0x"));
        assertEquals(Optional.empty(), Ipv4Address.parseLoose("08"));
        assertEquals(Optional.empty(), Ipv4Address.parseLoose("１２７.0.0.1"), "only ASCII digits are digits");
    }

    @Test
    void aLooseAddressIsReadUpTo256CharactersLong() {
        // glibc reads any number of leading zeros: 0000...01 is octal 1
        String longest = "0".repeat(255) + "1";
        assertEquals("0.0.0.1", loose(longest, "in octal and as a single number").toString());
        assertEquals(Optional.empty(), Ipv4Address.parseLoose("0" + longest));
        assertEquals(Optional.empty(), Ipv4Address.parseLoose(""));
        assertEquals(Optional.empty(), Ipv4Address.parseLoose(null));
    }

    @Test
    void theAddressClassesAreTheirExactRanges() {
        assertTrue(address("127.0.0.0").isLoopback());
        assertTrue(address("127.255.255.255").isLoopback());
        assertFalse(address("126.255.255.255").isLoopback());
        assertFalse(address("128.0.0.0").isLoopback());
        assertTrue(address("169.254.0.0").isLinkLocal());
        assertTrue(address("169.254.255.255").isLinkLocal());
        assertFalse(address("169.253.255.255").isLinkLocal());
        assertFalse(address("169.255.0.0").isLinkLocal());
        assertTrue(address("0.255.255.255").isThisNetwork());
        assertFalse(address("1.0.0.0").isThisNetwork());
        assertEquals("203.0.113.7", address("203.0.113.7").toString());
    }

    @Test
    void aHostMayBe253CharactersLongAndNoMore() throws InvalidHostException {
        String longest = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);
        assertEquals(253, longest.length());
        assertEquals(longest, HostSyntax.parse(longest).text());
        assertEquals("must be a DNS name or an IPv4 address, without spaces, commas, wildcards, a trailing dot or other "
                + "punctuation", assertThrows(InvalidHostException.class, () -> HostSyntax.parse(longest + "d")).getMessage());
        assertThrows(InvalidHostException.class, () -> HostSyntax.parse(""));
        assertThrows(InvalidHostException.class, () -> HostSyntax.parse(null));
        assertThrows(InvalidHostException.class, () -> HostSyntax.parsePattern(null));
    }

    @Test
    void aRangeHoldsExactlyItsAddresses() {
        Ipv4Range range = Ipv4Range.parse("10.20.3.4/16").orElseThrow();
        assertEquals(new Ipv4Range(0x0a140000L, 16), range, "the host bits are cleared");
        assertTrue(range.contains("10.20.0.0"));
        assertTrue(range.contains("10.20.255.255"));
        assertFalse(range.contains("10.21.0.0"));
        assertFalse(range.contains("10.19.255.255"));
        assertFalse(range.contains("db.example"), "a name is never in a range");

        Ipv4Range single = Ipv4Range.parse("203.0.113.7/32").orElseThrow();
        assertTrue(single.contains("203.0.113.7"));
        assertFalse(single.contains("203.0.113.6"));
        assertFalse(single.contains("203.0.113.8"));

        Ipv4Range wide = Ipv4Range.parse("128.0.0.0/1").orElseThrow();
        assertTrue(wide.contains("255.255.255.255"));
        assertFalse(wide.contains("127.255.255.255"));

        Ipv4Range everything = Ipv4Range.parse("0.0.0.0/0").orElseThrow();
        assertTrue(everything.contains("0.0.0.0"));
        assertTrue(everything.contains("255.255.255.255"));

        assertEquals(Optional.empty(), Ipv4Range.parse("10.0.0.0/33"));
        assertEquals(Optional.empty(), Ipv4Range.parse("10.0.0.0"));
        assertEquals(Optional.empty(), Ipv4Range.parse("/8"));
        assertEquals(Optional.empty(), Ipv4Range.parse(null));
    }

    @Test
    void prefixesRunFromZeroToTheAddressLength() {
        assertNull(Cidrs.problem("10.0.0.1/32"));
        assertNull(Cidrs.problem("2001:db8::1/128"));
        assertNull(Cidrs.problem("::/0"));
        assertEquals(NOT_A_CIDR, Cidrs.problem("2001:db8::1/129"));
        assertEquals(NOT_A_CIDR, Cidrs.problem("2001:db8::/032"));
        assertEquals(NOT_A_CIDR, Cidrs.problem("/24"));
        assertEquals(NOT_A_CIDR, Cidrs.problem(null));
        assertEquals(NOT_A_CIDR, Cidrs.problem("2001:db8::g/32"), "not hexadecimal");
        assertEquals(NOT_A_CIDR, Cidrs.problem("2001:db8::1%eth0/128"), "no zone");
    }

    @Test
    void anIpv6RangeMayEndInACanonicalIpv4Address() {
        // NAT64's well-known prefix, written with its IPv4 tail
        assertNull(Cidrs.problem("64:ff9b::192.0.2.0/120"));
        assertEquals(NOT_A_CIDR, Cidrs.problem("64:ff9b::192.0.02.0/120"));
        // Java reads an IPv4-mapped address as the IPv4 address: the IPv4 range is the one to write
        assertEquals(NOT_A_CIDR, Cidrs.problem("::ffff:10.0.0.1/128"));
    }

    private static Ipv4Address address(String text) {
        return Ipv4Address.parseCanonical(text).orElseThrow();
    }
}
