package io.tunnelops.ssh;

import static io.tunnelops.testing.OpenSshTools.succeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KnownHostsTest {

    private static final SshKeyPair HOST = Ed25519KeyGenerator.generate("host key");
    private static final String KEY = HOST.publicKey().split(" ")[1];

    @TempDir
    Path dir;

    /** ssh-keygen -F looks a host up exactly as ssh does before it connects. */
    @ParameterizedTest
    @CsvSource({
            "127.0.0.1, 2222, [127.0.0.1]:2222, [127.0.0.1]:2222",
            "10.96.12.7, 2222, [10.96.12.7]:2222, [10.96.12.7]:2222",
            "db.example, 22, db.example, db.example",
            "fd00::7, 2222, [fd00::7]:2222, [fd00::7]:2222",
            "[fd00::7], 22, fd00::7, fd00::7" })
    void sshKeygenFindsTheSessionHost(String host, int port, String lookup, String pattern) throws Exception {
        String line = KnownHosts.line(host, port, HOST.publicKey());
        Path knownHosts = dir.resolve("known_hosts");
        Files.writeString(knownHosts, line + "\n");

        String found = succeed("ssh-keygen", "-F", lookup, "-f", knownHosts.toString());

        assertTrue(found.contains(line), found);
        assertEquals(pattern + " ssh-ed25519 " + KEY, line, "no comment");
    }

    @ParameterizedTest
    @ValueSource(strings = { "db example", "db\nevil", "*", "db,other", "@cert-authority", "!db", "db?", "|1|hash", "" })
    void refusesAHostKnownHostsWouldReadAsSomethingElse(String host) {
        assertThrows(IllegalArgumentException.class, () -> KnownHosts.line(host, 2222, HOST.publicKey()));
    }

    @Test
    void refusesABadPortOrKey() {
        assertThrows(IllegalArgumentException.class, () -> KnownHosts.line("db", 0, HOST.publicKey()));
        assertThrows(IllegalArgumentException.class, () -> KnownHosts.line("db", 65536, HOST.publicKey()));
        assertThrows(IllegalArgumentException.class, () -> KnownHosts.line("db", 2222, "ssh-ed25519"));
    }
}
