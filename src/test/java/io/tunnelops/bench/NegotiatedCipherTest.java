package io.tunnelops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;

import org.junit.jupiter.api.Test;

/** Lines as OpenSSH 9.2's client prints them with -v. */
class NegotiatedCipherTest {

    private static final String LOG = """
            debug1: kex: algorithm: curve25519-sha256
            debug1: kex: host key algorithm: ssh-ed25519
            debug1: kex: server->client cipher: %s MAC: <implicit> compression: none
            debug1: kex: client->server cipher: %s MAC: <implicit> compression: none
            debug1: expecting SSH2_MSG_KEX_ECDH_REPLY
            """;

    @Test
    void bothDirectionsAlikeGiveOneName() {
        assertEquals(Optional.of("chacha20-poly1305@openssh.com"), NegotiatedCipher.of(LOG.formatted(
                "chacha20-poly1305@openssh.com", "chacha20-poly1305@openssh.com")));
    }

    @Test
    void directionsThatDifferAreBothNamedToServerFirst() {
        assertEquals(Optional.of("aes128-gcm@openssh.com / aes256-gcm@openssh.com"), NegotiatedCipher.of(LOG.formatted(
                "aes256-gcm@openssh.com", "aes128-gcm@openssh.com")));
    }

    @Test
    void aLogWithoutKeyExchangeHasNone() {
        assertEquals(Optional.empty(), NegotiatedCipher.of("ssh: connect to host 100.64.0.2 port 2222: Connection refused"));
    }
}
