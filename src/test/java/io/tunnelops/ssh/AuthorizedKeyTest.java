package io.tunnelops.ssh;

import static io.tunnelops.testing.OpenSshTools.succeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class AuthorizedKeyTest {

    @TempDir
    Path dir;

    private String sshKeygen(String type, String bits) throws Exception {
        Path key = dir.resolve("key-" + type + bits);
        succeed("ssh-keygen", "-q", "-t", type, "-b", bits, "-N", "", "-C", "alice@laptop", "-f", key.toString());
        return Files.readString(Path.of(key + ".pub")).strip();
    }

    @ParameterizedTest
    @CsvSource({ "ed25519,256", "ecdsa,256", "ecdsa,384", "ecdsa,521", "rsa,3072", "rsa,4096" })
    void acceptsKeysSshKeygenMakes(String type, String bits) throws Exception {
        String line = sshKeygen(type, bits);
        AuthorizedKey key = AuthorizedKey.parse(line);
        assertEquals(line, key.toLine());
    }

    @Test
    void rejectsShortRsaKeysSayingHowManyBitsAreNeeded() throws Exception {
        String line = sshKeygen("rsa", "2048");
        var e = assertThrows(InvalidSshKeyException.class, () -> AuthorizedKey.parse(line));
        assertEquals("the ssh-rsa key has 2048 bits; at least 3072 are required (or use ssh-ed25519)", e.getMessage());
    }

    static Stream<Arguments> badKeys() {
        String ed = Ed25519KeyGenerator.generate("x").publicKey();
        String blob = ed.split(" ")[1];
        byte[] raw = Base64.getDecoder().decode(blob);
        String truncated = Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(raw, raw.length - 1));
        String trailing = Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(raw, raw.length + 4));
        // well-formed wire data, but a 31-byte key
        byte[] short31 = java.util.Arrays.copyOf(raw, raw.length - 1);
        short31[18] = 31;
        String shortKey = Base64.getEncoder().encodeToString(short31);
        return Stream.of(
                Arguments.of("", "the key is empty"),
                Arguments.of("command=\"/bin/sh\" " + ed, "options"),
                Arguments.of("no-pty " + ed, "options"),
                Arguments.of("permitopen=\"10.0.0.1:22\" " + ed, "options"),
                Arguments.of("restrict " + ed, "options"),
                Arguments.of("cert-authority " + ed, "options"),
                Arguments.of("from=\"10.0.0.0/8\" " + ed, "options"),
                Arguments.of("no-port-forwarding,no-agent-forwarding " + ed, "options"),
                Arguments.of("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "key type 'ssh-dss' is not allowed"),
                Arguments.of("ssh-ed25519-cert-v01@openssh.com " + blob, "is not allowed; use one of ssh-ed25519"),
                Arguments.of("ssh-rsa-cert-v01@openssh.com " + blob, "is not allowed"),
                Arguments.of("ssh-ed448 " + blob, "key type 'ssh-ed448' is not allowed"),
                Arguments.of("ssh-ed25519 AAAA\0", "single line"),
                Arguments.of("   ", "the key is empty"),
                Arguments.of("ecdsa-sha2-nistp256 " + blob, "the key data is of type 'ssh-ed25519' but the line says"),
                Arguments.of("ssh-ed25519 !!notbase64", "no valid base64"),
                Arguments.of("ssh-ed25519", "no valid base64"),
                Arguments.of("ssh-ed25519 " + truncated, "truncated or malformed"),
                Arguments.of("ssh-ed25519 " + shortKey, "must hold 32 bytes, not 31"),
                Arguments.of("ssh-ed25519 " + trailing, "trailing bytes"),
                Arguments.of("ssh-ed25519 AAAA", "truncated or malformed"),
                Arguments.of(ed + "\nssh-ed25519 " + blob, "single line"),
                Arguments.of(ed + "\r", "single line"));
    }

    @ParameterizedTest
    @MethodSource("badKeys")
    void rejectsWhatSshdShouldNeverSee(String line, String expected) {
        var e = assertThrows(InvalidSshKeyException.class, () -> AuthorizedKey.parse(line));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void dropsACommentThatCouldConfuseAuthorizedKeys() throws Exception {
        String ed = Ed25519KeyGenerator.generate(null).publicKey();
        assertEquals(ed, AuthorizedKey.parse(ed + " \"quoted\" \\ comment").toLine());
        assertEquals(ed + " me@host", AuthorizedKey.parse(ed + " me@host").toLine());
        assertEquals(ed, AuthorizedKey.parse(ed + " " + "x".repeat(101)).toLine());
    }

    @Test
    void rejectsACertificateSshKeygenSigned() throws Exception {
        Path ca = dir.resolve("ca");
        succeed("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ca.toString());
        sshKeygen("ed25519", "256");
        Path userKey = dir.resolve("key-ed25519256.pub");
        succeed("ssh-keygen", "-q", "-s", ca.toString(), "-I", "alice", "-n", "tunnel", userKey.toString());
        String certificate = Files.readString(dir.resolve("key-ed25519256-cert.pub")).strip();

        var e = assertThrows(InvalidSshKeyException.class, () -> AuthorizedKey.parse(certificate));

        assertTrue(e.getMessage().startsWith("key type 'ssh-ed25519-cert-v01@openssh.com' is not allowed"), e.getMessage());
        assertFalse(e.getMessage().contains(certificate.split(" ")[1].substring(0, 40)), "never echoes the key");
    }

    /** Security-key public keys cannot be generated without a token; built from ordinary keys, checked by ssh-keygen. */
    @ParameterizedTest
    @CsvSource({ "ed25519,256,sk-ssh-ed25519@openssh.com", "ecdsa,256,sk-ecdsa-sha2-nistp256@openssh.com" })
    void acceptsSecurityKeyTypes(String type, String bits, String skType) throws Exception {
        String[] plain = sshKeygen(type, bits).split(" ");
        SshWire.Reader reader = new SshWire.Reader(Base64.getDecoder().decode(plain[1]));
        reader.string(); // the plain type
        SshWire.Writer sk = new SshWire.Writer().string(skType);
        if (type.equals("ecdsa")) {
            sk.string(reader.string()); // curve name
        }
        String blob = Base64.getEncoder().encodeToString(sk.string(reader.string()).string("ssh:").toByteArray());
        String line = skType + " " + blob + " yubikey";
        Path pub = dir.resolve("sk.pub");
        Files.writeString(pub, line + "\n");
        succeed("ssh-keygen", "-lf", pub.toString()); // OpenSSH reads it as a valid key

        assertEquals(line, AuthorizedKey.parse(line).toLine());
    }

    @Test
    void rejectsAnEcdsaKeyWhosePointSshdWouldRefuse() throws Exception {
        byte[] blob = Base64.getDecoder().decode(sshKeygen("ecdsa", "256").split(" ")[1]);
        byte[] offCurve = blob.clone();
        offCurve[offCurve.length - 1] ^= 1; // last byte of y
        Path pub = dir.resolve("bad.pub");
        String line = "ecdsa-sha2-nistp256 " + Base64.getEncoder().encodeToString(offCurve);
        Files.writeString(pub, line + "\n");
        assertEquals(255, io.tunnelops.testing.OpenSshTools.run(java.util.List.of("ssh-keygen", "-lf", pub.toString()))
                .exitCode(), "ssh-keygen refuses it too");

        var e = assertThrows(InvalidSshKeyException.class, () -> AuthorizedKey.parse(line));
        assertEquals("the ecdsa-sha2-nistp256 key's point is not on the nistp256 curve", e.getMessage());

        byte[] compressed = Arrays.copyOf(blob, blob.length - 32);
        compressed[compressed.length - 33] = 2; // 0x02 || x: the compressed form SSH does not use
        compressed[compressed.length - 34] = 33; // its length (last byte of the uint32)
        var e2 = assertThrows(InvalidSshKeyException.class,
                () -> AuthorizedKey.parse("ecdsa-sha2-nistp256 " + Base64.getEncoder().encodeToString(compressed)));
        assertTrue(e2.getMessage().contains("uncompressed"), e2.getMessage());
    }

    @Test
    void rejectsAnRsaKeyLargerThanSshdAccepts() {
        BigInteger modulus = BigInteger.ONE.shiftLeft(16400).add(BigInteger.ONE);
        String blob = Base64.getEncoder().encodeToString(new SshWire.Writer().string("ssh-rsa")
                .string(BigInteger.valueOf(65537).toByteArray()).string(modulus.toByteArray()).toByteArray());
        var e = assertThrows(InvalidSshKeyException.class, () -> AuthorizedKey.parse("ssh-rsa " + blob));
        assertEquals("the ssh-rsa key has 16401 bits; OpenSSH accepts at most 16384", e.getMessage());
    }

    @Test
    void writesTheBlobItCheckedInCanonicalBase64() throws Exception {
        String[] ecdsa = sshKeygen("ecdsa", "256").split(" ");
        String blob = ecdsa[1];
        assertTrue(blob.endsWith("="), blob);
        // no padding, and non-zero unused bits in the last character: the same bytes, written canonically
        char last = blob.charAt(blob.length() - 2);
        String sloppy = blob.substring(0, blob.length() - 2) + (char) (last + 1);
        assertEquals(ecdsa[0] + " " + blob, AuthorizedKey.parse(ecdsa[0] + " " + sloppy).toLine());
    }

    @Test
    void aHandBuiltKeyCannotCarryAnInjectionEither() {
        String blob = Ed25519KeyGenerator.generate(null).publicKey().split(" ")[1];
        assertNull(new AuthorizedKey("ssh-ed25519", blob, "x\nssh-ed25519 AAAA evil").comment());
        assertEquals("ssh-ed25519 " + blob, new AuthorizedKey("ssh-ed25519", blob, "x\nevil").toLine());
        assertThrows(IllegalArgumentException.class, () -> new AuthorizedKey("ssh-ed25519", blob + "\nno-pty", null));
        assertThrows(IllegalArgumentException.class, () -> new AuthorizedKey("command=\"sh\" ssh-ed25519", blob, null));
    }
}
