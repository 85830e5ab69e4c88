package io.tunnelops.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tunnelops.testing.OpenSshTools;

/** The sshd image's entrypoint (images/sshd/entrypoint.sh), run with dash, the image's own sh. */
class SshdEntrypointTest {

    static final Path ENTRYPOINT = Path.of("images/sshd/entrypoint.sh");

    @TempDir
    Path dir;
    Path config;
    Path state;

    @BeforeEach
    void mountedSecret() throws Exception {
        config = Files.createDirectories(dir.resolve("config"));
        state = Files.createDirectories(dir.resolve("state"));
        SshKeyPair host = Ed25519KeyGenerator.generate("host");
        String rendered = SshdConfigRenderer.render(new TunnelSshdConfig("t/x", List.of("db.t.svc.cluster.local:5432")))
                .replace(SshdLayout.STATE_DIR, state.toString());
        Files.writeString(config.resolve(SshdLayout.SSHD_CONFIG), rendered);
        Files.writeString(config.resolve(SshdLayout.HOST_KEY), host.privateKey());
        Files.writeString(config.resolve(SshdLayout.AUTHORIZED_KEYS),
                Ed25519KeyGenerator.generate("client").publicKey() + "\n");
        // what a Secret volume with defaultMode 0440 looks like
        for (String item : List.of(SshdLayout.SSHD_CONFIG, SshdLayout.HOST_KEY, SshdLayout.AUTHORIZED_KEYS)) {
            Files.setPosixFilePermissions(config.resolve(item), PosixFilePermissions.fromString("r--r-----"));
        }
    }

    private OpenSshTools.Result run(String sshd, String... args) throws Exception {
        return runWith(List.of("dash"), sshd, args);
    }

    private OpenSshTools.Result runWith(List<String> shell, String sshd, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(shell);
        command.add(ENTRYPOINT.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(Map.of("TUNNEL_CONFIG_DIR", config.toString(), "TUNNEL_STATE_DIR", state.toString(),
                "SSHD", sshd));
        Process process = builder.start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        return new OpenSshTools.Result(process.exitValue(), new String(process.getInputStream().readAllBytes()));
    }

    /**
     * The script is POSIX sh, as its header says: shellcheck in sh mode finds nothing (a bashism such as [[, local or
     * arrays parses under dash -n but is reported here), and it parses under dash (the image's sh) and busybox sh (Shell
     * mode's bundle), and starts sshd with the same arguments under both.
     */
    @Test
    void entrypointIsPosixShell() throws Exception {
        OpenSshTools.succeed("shellcheck", "--shell=sh", "--severity=style", ENTRYPOINT.toString());
        OpenSshTools.succeed("dash", "-n", ENTRYPOINT.toString());
        OpenSshTools.succeed("busybox", "sh", "-n", ENTRYPOINT.toString());

        Path recorder = dir.resolve("fake-sshd");
        Files.writeString(recorder, "#!/bin/sh\necho \"$@\" > " + dir.resolve("args") + "\n");
        Files.setPosixFilePermissions(recorder, PosixFilePermissions.fromString("rwx------"));
        for (List<String> shell : List.of(List.of("dash"), List.of("busybox", "sh"))) {
            Files.deleteIfExists(dir.resolve("args"));
            var result = runWith(shell, recorder.toString(), "-o", "ListenAddress=127.0.0.9");
            assertEquals(0, result.exitCode(), shell + ": " + result.output());
            assertEquals("-D -e -f " + config.resolve("sshd_config") + " -o ListenAddress=127.0.0.9",
                    Files.readString(dir.resolve("args")).strip(), shell.toString());
        }
    }

    @Test
    void copiesKeysWithModesStrictModesAcceptsAndStartsSshdInTheForeground() throws Exception {
        Path recorder = dir.resolve("fake-sshd");
        Files.writeString(recorder, "#!/bin/sh\necho \"$@\" > " + dir.resolve("args") + "\n");
        Files.setPosixFilePermissions(recorder, PosixFilePermissions.fromString("rwx------"));

        var result = run(recorder.toString(), "-o", "ListenAddress=127.0.0.9");

        assertEquals(0, result.exitCode(), result.output());
        assertEquals("-D -e -f " + config.resolve("sshd_config") + " -o ListenAddress=127.0.0.9",
                Files.readString(dir.resolve("args")).strip());
        assertEquals("rw-------", mode(state.resolve(SshdLayout.HOST_KEY)));
        assertEquals("rw-------", mode(state.resolve("home/.ssh/authorized_keys")));
        assertEquals("rwx------", mode(state.resolve("home")));
        assertEquals("rwx------", mode(state.resolve("home/.ssh")));
        assertEquals(Files.readString(config.resolve(SshdLayout.AUTHORIZED_KEYS)),
                Files.readString(state.resolve("home/.ssh/authorized_keys")));
    }

    @Test
    void realSshdAcceptsTheConfigAndKeysTheEntrypointPrepared() throws Exception {
        OpenSshTools.requireTool("/usr/sbin/sshd");
        Files.createDirectories(Path.of("/run/sshd"));
        var result = run("/usr/sbin/sshd", "-t");
        assertEquals(0, result.exitCode(), result.output());
    }

    @Test
    void aMissingSecretItemFailsWithAMessageNamingIt() throws Exception {
        Files.delete(config.resolve(SshdLayout.AUTHORIZED_KEYS));
        var result = run("/bin/true");
        assertEquals(1, result.exitCode());
        assertTrue(result.output().contains("missing " + config.resolve("authorized_keys")), result.output());
    }

    private static String mode(Path file) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }
}
