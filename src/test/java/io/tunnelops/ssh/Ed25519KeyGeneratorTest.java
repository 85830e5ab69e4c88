package io.tunnelops.ssh;

import static io.tunnelops.testing.OpenSshTools.succeed;
import static io.tunnelops.testing.OpenSshTools.writePrivate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Ed25519KeyGeneratorTest {

    @TempDir
    Path dir;

    @Test
    void opensshReadsTheGeneratedPrivateKeyAndDerivesTheSamePublicKey() throws Exception {
        SshKeyPair pair = Ed25519KeyGenerator.generate("team-a/pg-debug");
        assertTrue(pair.privateKey().startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
        assertTrue(pair.privateKey().endsWith("\n-----END OPENSSH PRIVATE KEY-----\n"));
        assertTrue(pair.privateKey().lines().allMatch(l -> l.length() <= 70));
        Path key = writePrivate(dir.resolve("id_ed25519"), pair.privateKey());

        String derived = succeed("ssh-keygen", "-y", "-f", key.toString()).strip();

        assertEquals(pair.publicKey(), derived);
        assertTrue(pair.publicKey().startsWith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
    }

    @Test
    void fingerprintMatchesSshKeygen() throws Exception {
        SshKeyPair pair = Ed25519KeyGenerator.generate("host");
        Path pub = dir.resolve("key.pub");
        Files.writeString(pub, pair.publicKey() + "\n");

        String printed = succeed("ssh-keygen", "-lf", pub.toString());

        assertEquals("256 " + SshFingerprints.sha256(pair.publicKey()) + " host (ED25519)", printed.strip());
    }

    @Test
    void everyGenerationIsANewKeyAndToStringHidesThePrivateKey() {
        SshKeyPair first = Ed25519KeyGenerator.generate("a");
        SshKeyPair second = Ed25519KeyGenerator.generate("a");
        assertNotEquals(first.publicKey(), second.publicKey());
        assertNotEquals(first.privateKey(), second.privateKey());
        assertFalse(first.toString().contains("PRIVATE"));
        assertFalse(first.toString().contains(first.privateKey().lines().skip(1).findFirst().orElseThrow()));
    }
}
