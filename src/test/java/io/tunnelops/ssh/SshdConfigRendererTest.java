package io.tunnelops.ssh;

import static io.tunnelops.testing.OpenSshTools.succeed;
import static io.tunnelops.testing.OpenSshTools.writePrivate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.tunnelops.testing.OpenSshTools;

class SshdConfigRendererTest {

    @TempDir
    Path dir;

    private static final TunnelSshdConfig PG = new TunnelSshdConfig("team-a/pg-debug",
            List.of("postgres.team-a.svc.cluster.local:5432", "postgres.team-a.svc.cluster.local:5433"));

    /** Keyword to value, as sshd -T prints its effective configuration (lower-case keywords). */
    private Map<String, String> effectiveConfig(String rendered) throws Exception {
        OpenSshTools.requireTool("/usr/sbin/sshd");
        SshKeyPair hostKey = Ed25519KeyGenerator.generate("host");
        Path state = Files.createDirectories(dir.resolve("state"));
        writePrivate(state.resolve(SshdLayout.HOST_KEY), hostKey.privateKey());
        // the paths a pod uses, moved into the test's directory (what a local pod runner does)
        Path config = dir.resolve("sshd_config");
        Files.writeString(config, rendered.replace(SshdLayout.STATE_DIR, state.toString()));
        // sshd -t/-T as root insists on its privilege separation directory
        Files.createDirectories(Path.of("/run/sshd"));
        succeed("/usr/sbin/sshd", "-t", "-f", config.toString());
        String effective = succeed("/usr/sbin/sshd", "-T", "-f", config.toString(),
                "-C", "user=tunnel,host=client,addr=192.0.2.1");
        return effective.lines().map(l -> l.split(" ", 2)).filter(p -> p.length == 2)
                .collect(Collectors.toMap(p -> p[0], p -> p[1], (a, b) -> a + "\n" + b));
    }

    @Test
    void opensshAcceptsTheTunnelConfigAndEnforcesTunnelOnly() throws Exception {
        Map<String, String> sshd = effectiveConfig(SshdConfigRenderer.render(PG));

        assertEquals("postgres.team-a.svc.cluster.local:5432 postgres.team-a.svc.cluster.local:5433", sshd.get("permitopen"));
        assertEquals("local", sshd.get("allowtcpforwarding"));
        assertEquals("none", sshd.get("permitlisten"));
        assertEquals("0", sshd.get("maxsessions"));
        assertEquals("no", sshd.get("permittty"));
        assertEquals("/bin/false", sshd.get("forcecommand"));
        assertEquals("no", sshd.get("x11forwarding"));
        assertEquals("no", sshd.get("allowagentforwarding"));
        assertEquals("no", sshd.get("allowstreamlocalforwarding"));
        assertEquals("no", sshd.get("permittunnel"));
        assertEquals("no", sshd.get("disableforwarding"));
        assertEquals("no", sshd.get("passwordauthentication"));
        assertEquals("no", sshd.get("kbdinteractiveauthentication"));
        assertEquals("publickey", sshd.get("authenticationmethods"));
        assertEquals("no", sshd.get("permitrootlogin"));
        assertEquals("yes", sshd.get("strictmodes"));
        assertEquals("2222", sshd.get("port"));
        assertEquals("ssh-ed25519", sshd.get("hostkeyalgorithms"));
        assertEquals("curve25519-sha256,curve25519-sha256@libssh.org", sshd.get("kexalgorithms"));
        assertEquals("aes128-gcm@openssh.com,aes256-gcm@openssh.com", sshd.get("ciphers"));
        assertEquals("hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com", sshd.get("macs"));
        assertEquals("ssh-ed25519,sk-ssh-ed25519@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
                + "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256", sshd.get("pubkeyacceptedalgorithms"));
        assertEquals("tunnel", sshd.get("allowusers"));
        assertEquals("3", sshd.get("maxauthtries"));
        assertEquals("30", sshd.get("logingracetime"));
        assertEquals("3", sshd.get("clientalivecountmax"));
        assertEquals("no", sshd.get("permituserenvironment"));
        assertEquals("no", sshd.get("permituserrc"));
        assertEquals("no", sshd.get("hostbasedauthentication"));
        assertEquals("no", sshd.get("permitemptypasswords"));
        assertEquals("no", sshd.get("compression"));
        assertEquals("no", sshd.get("usedns"));
        assertEquals("no", sshd.get("gatewayports"));
        assertEquals("VERBOSE", sshd.get("loglevel"));
        assertEquals("15", sshd.get("clientaliveinterval"));
        assertFalse(sshd.containsKey("subsystem"), "no sftp");
    }

    @Test
    void opensshAcceptsTheShellConfigWithAShellAndSftpAndNoForwarding() throws Exception {
        String rendered = SshdConfigRenderer.renderShell("team-a/app-shell");
        Map<String, String> sshd = effectiveConfig(rendered);
        Map<String, String> tunnel = effectiveConfig(SshdConfigRenderer.render(PG));

        assertEquals("yes", sshd.get("disableforwarding"));
        assertEquals("no", sshd.get("allowtcpforwarding"));
        assertEquals("none", sshd.get("permitopen"));
        assertEquals("none", sshd.get("permitlisten"));
        assertEquals("no", sshd.get("allowagentforwarding"));
        assertEquals("no", sshd.get("allowstreamlocalforwarding"));
        assertEquals("no", sshd.get("x11forwarding"));
        assertEquals("no", sshd.get("permittunnel"));
        assertEquals("no", sshd.get("gatewayports"));
        assertEquals("yes", sshd.get("permittty"));
        assertEquals("4", sshd.get("maxsessions"));
        assertEquals("sftp internal-sftp", sshd.get("subsystem"));
        assertEquals("none", sshd.get("forcecommand"), "a shell runs what the user asks");
        // the app's variables reach sessions through ~/.ssh/environment
        assertEquals("yes", sshd.get("permituserenvironment"));
        // everything else is the tunnel's: who may log in, how, and with which algorithms
        for (String keyword : List.of("port", "hostkey", "authorizedkeysfile", "allowusers", "authenticationmethods",
                "pubkeyauthentication", "passwordauthentication", "kbdinteractiveauthentication", "permitrootlogin",
                "permitemptypasswords", "hostbasedauthentication", "strictmodes", "permituserrc", "maxauthtries",
                "logingracetime", "clientaliveinterval", "clientalivecountmax", "hostkeyalgorithms", "kexalgorithms",
                "ciphers", "macs", "pubkeyacceptedalgorithms", "loglevel", "compression", "usedns")) {
            assertEquals(tunnel.get(keyword), sshd.get(keyword), keyword);
        }
        assertTrue(rendered.startsWith("# sshd_config of TunnelSession team-a/app-shell,"));
        assertEquals(rendered, SshdConfigRenderer.renderShell("team-a/app-shell"), "deterministic");
    }

    @Test
    void exactlyOnePermitOpenLineWithExactlyTheTargets() {
        String rendered = SshdConfigRenderer.render(PG);
        List<String> permitOpen = rendered.lines().filter(l -> l.startsWith("PermitOpen")).toList();
        assertEquals(List.of("PermitOpen postgres.team-a.svc.cluster.local:5432 postgres.team-a.svc.cluster.local:5433"),
                permitOpen);
        assertFalse(rendered.contains("DisableForwarding"));
        assertEquals(rendered, SshdConfigRenderer.render(PG), "deterministic");
    }

    @Test
    void opensshAcceptsIpAddressesAndAnIpv6LiteralInBrackets() throws Exception {
        List<String> targets = List.of("10.0.0.5:5432", "[fd00::5]:5432", "db-1.example.com:65535", "db:1");
        Map<String, String> sshd = effectiveConfig(SshdConfigRenderer.render(new TunnelSshdConfig("team-a/ip", targets)));
        assertEquals(String.join(" ", targets), sshd.get("permitopen"));
    }

    @ParameterizedTest
    @ValueSource(strings = { "db:5432\nPermitOpen any", "db:5432\r", "db:5432\0", "db\t:5432", "db: 5432", "'db':5432",
            "fd00::5:5432", "[fd00::5]x:5432", "[db]:5432", "db:5432:1", "any", "none", "db:*", "", "db:5432 other:22", "db:5432,other:22", "db:5432#", "*:5432",
            "db?:5432", "\"db\":5432", "db", "db:0", "db:65536", "db:-1", ":5432", "db:54a" })
    void refusesAnythingThatCouldInjectIntoTheConfig(String entry) {
        assertThrows(IllegalArgumentException.class,
                () -> SshdConfigRenderer.render(new TunnelSshdConfig("team-a/x", List.of(entry))));
    }

    @Test
    void refusesATunnelWithNoTarget() {
        assertThrows(IllegalArgumentException.class,
                () -> SshdConfigRenderer.render(new TunnelSshdConfig("team-a/x", List.of())));
        assertThrows(IllegalArgumentException.class,
                () -> SshdConfigRenderer.render(new TunnelSshdConfig("team-a/x", null)));
    }

    @Test
    void aStrangeSessionNameNeverReachesTheConfig() {
        String rendered = SshdConfigRenderer.render(new TunnelSshdConfig("a\nPermitOpen any", List.of("db:1")));
        assertTrue(rendered.lines().filter(l -> l.startsWith("PermitOpen")).allMatch(l -> l.equals("PermitOpen db:1")));
    }
}
