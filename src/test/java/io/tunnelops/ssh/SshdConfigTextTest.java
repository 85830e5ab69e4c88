package io.tunnelops.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The whole sshd_config of each mode, line for line. SshdConfigRendererTest proves that OpenSSH accepts and enforces
 * it; this pins every directive, so that no option can be dropped or weakened without a test saying which.
 */
class SshdConfigTextTest {

    private static final String COMMON = """
            Port 2222
            HostKey /var/lib/tunnel/ssh_host_ed25519_key
            AuthorizedKeysFile /var/lib/tunnel/home/.ssh/authorized_keys
            PidFile none
            AllowUsers tunnel

            # Key authentication only.
            AuthenticationMethods publickey
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            HostbasedAuthentication no
            PermitRootLogin no
            PermitEmptyPasswords no
            StrictModes yes
            PermitUserEnvironment %s
            PermitUserRC no
            UseDNS no
            Compression no
            MaxAuthTries 3
            LoginGraceTime 30
            ClientAliveInterval 15
            ClientAliveCountMax 3
            LogLevel VERBOSE

            # Modern algorithms only (a clean ssh-audit). AES-GCM only: the client's order picks the cipher, and a
            # default client puts chacha20-poly1305 first, which tunnels at about 60 %% of AES-GCM's rate (BENCHMARKS.md).
            HostKeyAlgorithms ssh-ed25519
            KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org
            Ciphers aes128-gcm@openssh.com,aes256-gcm@openssh.com
            MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com
            PubkeyAcceptedAlgorithms ssh-ed25519,sk-ssh-ed25519@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,\
            ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256
            """;

    private static final String NO_OTHER_FORWARDING = """
            PermitListen none
            GatewayPorts no
            AllowAgentForwarding no
            AllowStreamLocalForwarding no
            X11Forwarding no
            PermitTunnel no
            """;

    @Test
    void aTunnelsConfigIsExactlyThis() {
        assertEquals("# sshd_config of TunnelSession team-a/pg, rendered by tunnel-operator. Do not edit.\n"
                + COMMON.formatted("no") + """

                        # Tunnel mode: local forwarding to the permitted target only; no session channel at all.
                        AllowTcpForwarding local
                        PermitOpen postgres.team-a.svc.cluster.local:5432 10.0.0.5:5433
                        """ + NO_OTHER_FORWARDING + """
                        PermitTTY no
                        MaxSessions 0
                        ForceCommand /bin/false
                        """,
                SshdConfigRenderer.render(new TunnelSshdConfig("team-a/pg",
                        List.of("postgres.team-a.svc.cluster.local:5432", "10.0.0.5:5433"))));
    }

    @Test
    void aShellsConfigIsExactlyThis() {
        assertEquals("# sshd_config of TunnelSession team-a/app-shell, rendered by tunnel-operator. Do not edit.\n"
                + COMMON.formatted("yes") + """

                        # Shell mode: shell, commands and sftp; no forwarding of any kind.
                        DisableForwarding yes
                        AllowTcpForwarding no
                        PermitOpen none
                        """ + NO_OTHER_FORWARDING + """
                        PermitTTY yes
                        MaxSessions 4
                        Subsystem sftp internal-sftp
                        """,
                SshdConfigRenderer.renderShell("team-a/app-shell"));
    }

    @Test
    void aTargetIsAHostOfUpTo253CharactersOrABracketedIpv6LiteralAndAPortFrom1To65535() {
        String longest = "a".repeat(253);
        assertPermitOpen(longest + ":1", longest + ":1");
        assertRefused(longest + "a:1");
        assertPermitOpen("db:65535", "db:65535");
        assertRefused("db:000022");
        assertPermitOpen("[::]:22", "[::]:22");
        String longestV6 = "[0000:0000:0000:0000:0000:ffff:255.255.255.255]:22";
        assertPermitOpen(longestV6, longestV6);
        assertRefused("[0000:0000:0000:0000:0000:ffff:255.255.255.2550]:22");
        assertRefused("[:]:22");
        assertRefused("[1.2.3.4]:22");
        assertRefused("db:0");
        assertRefused("db:65536");
        assertRefused("db:99999");
    }

    @Test
    void theSessionNameInTheHeaderIsAPlainNameOfUpTo320CharactersOrNothing() {
        String longest = "a".repeat(160) + "/" + "b".repeat(159);
        assertTrue(SshdConfigRenderer.renderShell(longest).startsWith("# sshd_config of TunnelSession " + longest + ", "));
        assertTrue(SshdConfigRenderer.renderShell(longest + "b").startsWith("# sshd_config of TunnelSession (unnamed), "));
        assertTrue(SshdConfigRenderer.renderShell(null).startsWith("# sshd_config of TunnelSession (unnamed), "));
        assertTrue(SshdConfigRenderer.renderShell("").startsWith("# sshd_config of TunnelSession (unnamed), "));
        assertTrue(SshdConfigRenderer.renderShell("Team-A/x").startsWith("# sshd_config of TunnelSession (unnamed), "));
    }

    private static void assertPermitOpen(String entry, String expected) {
        String rendered = SshdConfigRenderer.render(new TunnelSshdConfig("team-a/x", List.of(entry)));
        assertEquals(List.of("PermitOpen " + expected),
                rendered.lines().filter(l -> l.startsWith("PermitOpen")).toList());
    }

    private static void assertRefused(String entry) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> SshdConfigRenderer.render(new TunnelSshdConfig("team-a/x", List.of(entry))));
        assertTrue(refused.getMessage().endsWith(entry), refused.getMessage());
    }
}
