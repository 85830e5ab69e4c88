package io.tunnelops.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** What users read when a host, a policy pattern or a range is refused, case by case. */
class HostSyntaxTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            0177.0.0.1          | is 127.0.0.1 written in octal; resolvers read it as that address. Write an address in dotted decimal (127.0.0.1) or use a DNS name
            0x7f.1              | is 127.0.0.1 written in hexadecimal and in shorthand (2 parts instead of 4); resolvers read it as that address. Write an address in dotted decimal (127.0.0.1) or use a DNS name
            0251.0376.0251.0376 | is 169.254.169.254 written in octal; resolvers read it as that address. Write an address in dotted decimal (169.254.169.254) or use a DNS name
            127.1               | is 127.0.0.1 written in shorthand (2 parts instead of 4); resolvers read it as that address. Write an address in dotted decimal (127.0.0.1) or use a DNS name
            2130706433          | is 127.0.0.1 written as a single number; resolvers read it as that address. Write an address in dotted decimal (127.0.0.1) or use a DNS name
            0x7f000001          | is 127.0.0.1 written in hexadecimal and as a single number; resolvers read it as that address. Write an address in dotted decimal (127.0.0.1) or use a DNS name
            127.0.0.01          | is 127.0.0.1 written in octal; resolvers read it as that address. Write an address in dotted decimal (127.0.0.1) or use a DNS name
            010.1.1.1           | is 8.1.1.1 written in octal; resolvers read it as that address. Write an address in dotted decimal (8.1.1.1) or use a DNS name
            256.1.1.1           | is not a valid IPv4 address (four parts, each 0..255)
            08.1.1.1            | is not a valid IPv4 address (four parts, each 0..255)
            1.2.3.4.5           | ends in a number (5), so resolvers may read it as an address; a host must be an IPv4 address in dotted decimal or a DNS name whose last label is not a number
            db.123              | ends in a number (123), so resolvers may read it as an address; a host must be an IPv4 address in dotted decimal or a DNS name whose last label is not a number
            db.0x               | ends in a number (0x), so resolvers may read it as an address; a host must be an IPv4 address in dotted decimal or a DNS name whose last label is not a number
            db.0XFF             | ends in a number (0XFF), so resolvers may read it as an address; a host must be an IPv4 address in dotted decimal or a DNS name whose last label is not a number
            127.0.0.1.          | must be a DNS name or an IPv4 address, without spaces, commas, wildcards, a trailing dot or other punctuation
            %31.0.0.1           | must be a DNS name or an IPv4 address, without spaces, commas, wildcards, a trailing dot or other punctuation
            """)
    void aHostThatResolversWouldReadAsANumberIsRefusedWithTheAddressItMeans(String host, String message) {
        InvalidHostException refused = assertThrows(InvalidHostException.class, () -> HostSyntax.parse(host));
        assertEquals(message, refused.getMessage());
    }

    @Test
    void canonicalAddressesAndNamesAreAccepted() throws InvalidHostException {
        assertEquals(new HostSyntax.Host("10.0.0.5", Optional.of(new Ipv4Address(0x0a000005L))), HostSyntax.parse("10.0.0.5"));
        assertEquals(new HostSyntax.Host("127.0.0.1", Optional.of(new Ipv4Address(0x7f000001L))), HostSyntax.parse("127.0.0.1"));
        assertEquals(new HostSyntax.Host("db.corp.example", Optional.empty()), HostSyntax.parse("DB.corp.Example"));
        assertEquals(new HostSyntax.Host("0x7f.example", Optional.empty()), HostSyntax.parse("0x7f.example"));
        assertEquals(new HostSyntax.Host("db.1a", Optional.empty()), HostSyntax.parse("db.1a"));
        assertEquals(new HostSyntax.Host("db.0x1g", Optional.empty()), HostSyntax.parse("db.0x1g"));
    }

    @Test
    void policyPatternsFollowTheSameRule() throws InvalidHostException {
        assertEquals("*.corp.example", HostSyntax.parsePattern("*.Corp.example"));
        assertEquals("10.0.0.5", HostSyntax.parsePattern("10.0.0.5"));
        assertEquals("is 127.0.0.1 written in octal; resolvers read it as that address. Write an address in dotted "
                + "decimal (127.0.0.1) or use a DNS name",
                assertThrows(InvalidHostException.class, () -> HostSyntax.parsePattern("0177.0.0.1")).getMessage());
        // *.0.0.1 would match 127.0.0.1 by suffix
        assertEquals("ends in a number, so it could only match addresses; list the address itself or a range in cidrs",
                assertThrows(InvalidHostException.class, () -> HostSyntax.parsePattern("*.0.0.1")).getMessage());
        assertEquals("ends in a number, so it could only match addresses; list the address itself or a range in cidrs",
                assertThrows(InvalidHostException.class, () -> HostSyntax.parsePattern("*.example.0x1")).getMessage());
        assertThrows(InvalidHostException.class, () -> HostSyntax.parsePattern("*.*.example"));
    }

    @Test
    void rangesMustBeCanonical() {
        assertNull(Cidrs.problem("10.20.0.0/16"));
        assertNull(Cidrs.problem("0.0.0.0/0"));
        assertNull(Cidrs.problem("2001:db8::/32"));
        assertEquals("has 010.0.0.0, which is 8.0.0.0 written in octal; write the address in dotted decimal",
                Cidrs.problem("010.0.0.0/8"));
        assertEquals("has 127.1, which is 127.0.0.1 written in shorthand (2 parts instead of 4); write the address in "
                + "dotted decimal", Cidrs.problem("127.1/32"));
        assertEquals("is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32", Cidrs.problem("10.0.0.0/08"));
        assertEquals("is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32", Cidrs.problem("10.0.0.0/33"));
        assertEquals("is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32", Cidrs.problem("::ffff:010.0.0.1/128"));
        assertEquals("is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32", Cidrs.problem("1::2::3/64"));
        assertEquals("is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32", Cidrs.problem("10.0.0.0"));
        assertTrue(Ipv4Range.parse("10.20.0.0/16").orElseThrow().contains("10.20.3.4"));
        assertTrue(Ipv4Range.parse("10.20.0.0/16").orElseThrow().contains("010.20.3.4") == false);
        assertTrue(Ipv4Range.parse("0010.20.0.0/16").isEmpty());
    }
}
