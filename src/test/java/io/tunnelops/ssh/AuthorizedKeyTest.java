package io.tunnelops.ssh;

import static io.tunnelops.testing.OpenSshTools.succeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
                Arguments.of("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "key type 'ssh-dss' is not allowed"),
                Arguments.of("ssh-ed25519-cert-v01@openssh.com " + blob, "is not allowed"),
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
}
