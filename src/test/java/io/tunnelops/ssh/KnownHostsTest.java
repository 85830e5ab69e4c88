package io.tunnelops.ssh;

import static io.tunnelops.testing.OpenSshTools.succeed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnownHostsTest {

    @TempDir
    Path dir;

    @Test
    void sshKeygenFindsTheSessionHostUnderItsPort() throws Exception {
        SshKeyPair host = Ed25519KeyGenerator.generate("host key");
        Path knownHosts = dir.resolve("known_hosts");
        Files.writeString(knownHosts, KnownHosts.line("10.96.12.7", 2222, host.publicKey()) + "\n");

        String found = succeed("ssh-keygen", "-F", "[10.96.12.7]:2222", "-f", knownHosts.toString());

        assertTrue(found.contains(host.publicKey().split(" ")[1]), found);
        assertEquals("[10.96.12.7]:2222 ssh-ed25519 " + host.publicKey().split(" ")[1],
                KnownHosts.line("10.96.12.7", 2222, host.publicKey()));
        assertEquals("db.example ssh-ed25519 " + host.publicKey().split(" ")[1],
                KnownHosts.line("db.example", 22, host.publicKey()));
    }
}
