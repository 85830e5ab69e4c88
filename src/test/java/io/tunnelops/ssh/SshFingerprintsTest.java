package io.tunnelops.ssh;

import static io.tunnelops.testing.OpenSshTools.succeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

class SshFingerprintsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({ "ed25519,256", "rsa,3072", "ecdsa,256", "ecdsa,384", "ecdsa,521" })
    void sameFingerprintAsSshKeygenForKeysItGenerates(String type, String bits) throws Exception {
        Path key = dir.resolve("key");
        succeed("ssh-keygen", "-q", "-t", type, "-b", bits, "-N", "", "-C", "someone", "-f", key.toString());
        String publicLine = Files.readString(Path.of(key + ".pub")).strip();

        String printed = succeed("ssh-keygen", "-lf", key + ".pub");

        assertEquals(printed.split(" ")[1], SshFingerprints.sha256(publicLine));
    }

    @Test
    void anAuthorizedKeysLineWithOptionsHasTheFingerprintSshKeygenPrintsForIt() throws Exception {
        SshKeyPair pair = Ed25519KeyGenerator.generate("me");
        String line = "restrict,command=\"echo a b\",permitopen=\"db:5432\" " + pair.publicKey();
        Path authorizedKeys = dir.resolve("authorized_keys");
        Files.writeString(authorizedKeys, line + "\n");

        String printed = succeed("ssh-keygen", "-lf", authorizedKeys.toString());

        assertEquals(printed.split(" ")[1], SshFingerprints.sha256(line));
        assertEquals(SshFingerprints.sha256(pair.publicKey()), SshFingerprints.sha256(line));
    }

    @Test
    void somethingThatIsNotAKeyIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> SshFingerprints.sha256("ssh-ed25519"));
        assertThrows(IllegalArgumentException.class, () -> SshFingerprints.sha256("ssh-ed25519 !!!"));
        assertThrows(IllegalArgumentException.class, () -> SshFingerprints.sha256(""));
    }
}
