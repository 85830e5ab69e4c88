package io.tunnelops.ssh;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tunnelops.e2e.SessionUser;
import io.tunnelops.local.ShellContainer;
import io.tunnelops.testing.EchoServer;
import io.tunnelops.testing.OpenSshTools;
import io.tunnelops.testing.TcpProbe;

/**
 * The Tunnel mode's sshd_config, and not the login shell, is what refuses shells, commands, sftp and scp. The image
 * and the local runner give {@code tunnel} /usr/sbin/nologin, which would refuse a command by itself; here the real
 * sshd runs from the rendered config, started by the image's entrypoint, for a {@code tunnel} whose login shell is
 * /bin/sh (a passwd entry from nss_wrapper, as Shell mode's bundle does it). Each layer is shown on its own: the
 * whole config refuses the session channel; with sessions allowed, ForceCommand still runs no command and PermitTTY
 * still gives no terminal; and the control: without the three, the same user gets a command, a shell and scp.
 */
class TunnelSshdLayersTest {

    static final String SESSION_CHANNEL_REFUSED = SessionUser.SESSION_CHANNEL_REFUSED;
    /** The pod's uid, when this test may switch to it. */
    private static final int POD_UID = SshdLayout.UID;

    @TempDir
    Path dir;
    Path config;
    Path state;
    Path client;
    Path knownHosts;
    int port;
    EchoServer target;
    int targetPort;
    Process entrypoint;

    @BeforeEach
    void podAndUser() throws Exception {
        OpenSshTools.requireTool("/usr/sbin/sshd");
        Path nssWrapper = ShellContainer.nssWrapper();
        assertTrue(nssWrapper != null, "libnss_wrapper.so is missing: install the Debian package libnss-wrapper");
        int uid = sshdUid();
        // the sshd's user walks down to its files (JUnit makes the temporary directory 0700 and root's)
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = Files.createDirectories(dir.resolve("config"));
        state = Files.createDirectories(dir.resolve("state"));
        Files.setAttribute(state, "unix:uid", uid);
        Files.setAttribute(state, "unix:gid", uid);
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        client = Files.createDirectories(dir.resolve("client"));

        SshKeyPair host = Ed25519KeyGenerator.generate("host");
        SshKeyPair user = Ed25519KeyGenerator.generate("user");
        readable(config.resolve(SshdLayout.HOST_KEY), host.privateKey());
        readable(config.resolve(SshdLayout.AUTHORIZED_KEYS), user.publicKey() + "\n");
        OpenSshTools.writePrivate(client.resolve("id_ed25519"), user.privateKey());
        port = TcpProbe.freeLoopbackPort();
        knownHosts = Files.writeString(client.resolve("known_hosts"),
                KnownHosts.line("127.0.0.1", port, host.publicKey()) + "\n");
        targetPort = TcpProbe.freeLoopbackPort();
        target = new EchoServer("127.0.0.1", targetPort);

        // a working login shell: the only difference from the pod's user
        readable(dir.resolve("passwd"), SshdLayout.USERNAME + ":x:" + uid + ":" + uid + ":tunnel:" + state.resolve("home")
                + ":/bin/sh\n");
        readable(dir.resolve("group"), SshdLayout.USERNAME + ":x:" + uid + ":\n");
        Path sshd = dir.resolve("sshd");
        Files.writeString(sshd, """
                #!/bin/sh
                export LD_PRELOAD=%s NSS_WRAPPER_PASSWD=%s NSS_WRAPPER_GROUP=%s
                exec /usr/sbin/sshd "$@"
                """.formatted(nssWrapper, dir.resolve("passwd"), dir.resolve("group")));
        Files.setPosixFilePermissions(sshd, PosixFilePermissions.fromString("r-xr-xr-x"));
        Files.writeString(dir.resolve("entrypoint.sh"), Files.readString(SshdEntrypointTest.ENTRYPOINT));
        Files.setPosixFilePermissions(dir.resolve("entrypoint.sh"), PosixFilePermissions.fromString("r--r--r--"));
    }

    @AfterEach
    void stop() throws Exception {
        if (entrypoint != null) {
            entrypoint.destroy(); // exec'd sshd: TERM ends its listener; its sessions end with their connections
            if (!entrypoint.waitFor(5, TimeUnit.SECONDS)) {
                entrypoint.destroyForcibly();
            }
        }
        if (target != null) {
            target.close();
        }
    }

    @Test
    void theRenderedConfigRefusesEverySessionChannelThoughTheUsersShellWorks() throws Exception {
        start(rendered());
        assertTunnelWorks();

        var command = run(ssh(login(), "echo COMMAND-RAN"), "");
        assertRefusedBySshd(command, "COMMAND-RAN");
        var shell = run(ssh("-tt", login()), "echo SHELL-OPENED; exit\n");
        assertRefusedBySshd(shell, "SHELL-OPENED");
        var sftp = run(sftp("-b", "-", "-P", String.valueOf(port), login()), "ls /\n");
        assertRefusedBySshd(sftp, "SFTP-LISTED");
        Path copied = state.resolve("copied");
        for (String mode : List.of("-O", "-s")) {
            var scp = run(scp(mode, "-P", String.valueOf(port), file().toString(), login() + ":" + copied), "");
            assertRefusedBySshd(scp, "never printed");
        }
        assertFalse(Files.exists(copied), "scp wrote nothing");
        // sshd's own word for it, once per refused channel
        assertEquals(5, sshdLog().lines().filter(l -> l.equals("no more sessions")).count(), sshdLog());
    }

    @Test
    void withSessionsAllowedForceCommandStillRunsNothingAndNoTerminalIsGiven() throws Exception {
        start(replaceLine(rendered(), "MaxSessions 0", "MaxSessions 4"));
        assertTunnelWorks();

        // ForceCommand /bin/false runs instead of the command: nothing printed, exit 1
        var command = run(ssh(login(), "echo COMMAND-RAN"), "");
        assertEquals(1, command.exitCode(), command.output());
        assertFalse(command.output().contains("COMMAND-RAN"), command.output());
        assertTrue(sshdLog().contains("Starting session: forced-command (config) '/bin/false' for tunnel"), sshdLog());
        var shell = run(ssh("-T", login()), "echo SHELL-OPENED; exit\n");
        assertEquals(1, shell.exitCode(), shell.output());
        assertFalse(shell.output().contains("SHELL-OPENED"), shell.output());
        // PermitTTY no
        var terminal = run(ssh("-tt", login()), "echo SHELL-OPENED; exit\n");
        assertTrue(terminal.output().contains("PTY allocation request failed on channel 0"), terminal.output());
        assertFalse(terminal.output().contains("SHELL-OPENED"), terminal.output());
        // no Subsystem: sftp and scp's sftp mode ask for one; legacy scp is a command, so ForceCommand's
        var sftp = run(sftp("-b", "-", "-P", String.valueOf(port), login()), "ls /\n");
        assertTrue(sftp.output().contains("subsystem request failed on channel 0"), sftp.output());
        Path copied = state.resolve("copied");
        var scpSftp = run(scp("-s", "-P", String.valueOf(port), file().toString(), login() + ":" + copied), "");
        assertTrue(scpSftp.output().contains("subsystem request failed on channel 0"), scpSftp.output());
        var scpLegacy = run(scp("-O", "-P", String.valueOf(port), file().toString(), login() + ":" + copied), "");
        assertEquals(1, scpLegacy.exitCode(), scpLegacy.output());
        assertFalse(Files.exists(copied), "scp wrote nothing");
    }

    /** The control of the two tests above: the same user and sshd, the three layers taken out, gets everything. */
    @Test
    void controlWithoutTheThreeLayersTheSameUserGetsACommandAShellAndScp() throws Exception {
        // whatever the renderer says about them: a broken layer must fail the tests above, not this control
        String open = rendered().lines().filter(l -> !l.startsWith("MaxSessions ") && !l.startsWith("ForceCommand ")
                && !l.startsWith("PermitTTY ")).collect(Collectors.joining("\n", "", "\nMaxSessions 4\nPermitTTY yes\n"));
        start(open);

        var command = run(ssh(login(), "echo COMMAND-RAN"), "");
        assertEquals(0, command.exitCode(), command.output());
        assertTrue(command.output().contains("COMMAND-RAN"), command.output());
        var shell = run(ssh("-tt", login()), "echo SHELL-$((6*7)); exit\n");
        assertTrue(shell.output().contains("SHELL-42"), shell.output());
        Path copied = state.resolve("copied");
        var scp = run(scp("-O", "-P", String.valueOf(port), file().toString(), login() + ":" + copied), "");
        assertEquals(0, scp.exitCode(), scp.output());
        assertEquals("data", Files.readString(copied));
    }

    // ---- helpers

    /** A refusal by sshd itself: the client's message, said only after the key login succeeded. */
    private static void assertRefusedBySshd(OpenSshTools.Result result, String marker) {
        String seen = "exit " + result.exitCode() + ", output: " + result.output();
        assertTrue(result.output().contains(SESSION_CHANNEL_REFUSED), seen);
        assertFalse(result.output().contains(marker), seen);
        assertTrue(result.exitCode() != 0, seen);
    }

    /** The positive control on the same client settings: -W to the permitted target carries data. */
    private void assertTunnelWorks() throws Exception {
        var tunnel = run(ssh("-W", "127.0.0.1:" + targetPort, login()), "ping");
        assertEquals("ping", tunnel.output());
    }

    private String rendered() {
        return SshdConfigRenderer.render(new TunnelSshdConfig("t/layers", List.of("127.0.0.1:" + targetPort)))
                .replace(SshdLayout.STATE_DIR, state.toString());
    }

    /** The config with one line changed; the line must be there. */
    private static String replaceLine(String config, String line, String replacement) {
        assertTrue(config.lines().anyMatch(line::equals), "the rendered config has no line '" + line + "'");
        return config.replace("\n" + line + "\n", "\n" + replacement + "\n");
    }

    /** The image's entrypoint, as the pod's uid with no capabilities, from these files; waits until sshd listens. */
    private void start(String sshdConfig) throws Exception {
        readable(config.resolve(SshdLayout.SSHD_CONFIG), sshdConfig);
        List<String> command = new ArrayList<>();
        if (sshdUid() != currentUid()) {
            command.addAll(List.of("setpriv", "--reuid=" + POD_UID, "--regid=" + POD_UID, "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"));
        }
        command.addAll(List.of("env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TUNNEL_CONFIG_DIR=" + config,
                "TUNNEL_STATE_DIR=" + state, "SSHD=" + dir.resolve("sshd"), "TERMINATION_LOG=" + dir.resolve("termination-log"),
                "dash", dir.resolve("entrypoint.sh").toString(), "-o", "ListenAddress=127.0.0.1:" + port));
        entrypoint = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile())
                .start();
        await().atMost(10, TimeUnit.SECONDS).until(() -> TcpProbe.accepts("127.0.0.1", port) || !entrypoint.isAlive());
        assertTrue(entrypoint.isAlive(), sshdLog());
    }

    private String sshdLog() throws Exception {
        return Files.readString(dir.resolve("sshd.log"));
    }

    private String login() {
        return SshdLayout.USERNAME + "@127.0.0.1";
    }

    private List<String> base(String tool) {
        return new ArrayList<>(List.of(tool, "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=" + knownHosts, "-o", "IdentitiesOnly=yes",
                "-i", client.resolve("id_ed25519").toString(), "-o", "ConnectTimeout=5"));
    }

    private List<String> ssh(String... args) {
        List<String> command = base("ssh");
        command.addAll(List.of("-p", String.valueOf(port)));
        command.addAll(List.of(args));
        return command;
    }

    private List<String> sftp(String... args) {
        List<String> command = base("sftp");
        command.addAll(List.of(args));
        return command;
    }

    private List<String> scp(String... args) {
        List<String> command = base("scp");
        command.addAll(List.of(args));
        return command;
    }

    private Path file() throws Exception {
        return Files.writeString(client.resolve("file.txt"), "data");
    }

    private static OpenSshTools.Result run(List<String> command, String stdin) throws Exception {
        return SessionUser.run(command, stdin);
    }

    private static void readable(Path file, String content) throws Exception {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
    }

    /** As root, the pod's uid (non-root sshd, as in the pod); otherwise this user's own. */
    private static int sshdUid() {
        return currentUid() == 0 ? POD_UID : currentUid();
    }

    private static int currentUid() {
        return (int) new com.sun.security.auth.module.UnixSystem().getUid();
    }
}
