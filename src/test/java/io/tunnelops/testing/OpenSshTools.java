package io.tunnelops.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs Debian's OpenSSH tools, the ground truth for our encodings; a missing tool fails with the package to install. */
public final class OpenSshTools {

    private static final Map<String, String> PACKAGES = Map.of("ssh-keygen", "openssh-client", "ssh", "openssh-client",
            "/usr/sbin/sshd", "openssh-server", "ssh-audit", "ssh-audit", "shellcheck", "shellcheck", "dash", "dash",
            "busybox", "busybox-static");

    private OpenSshTools() {
    }

    /** Exit code and combined output of one command. */
    public record Result(int exitCode, String output) {
    }

    public static Result run(List<String> command) {
        requireTool(command.get(0));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("timed out: " + command);
            }
            return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("could not run " + command, e);
        }
    }

    public static String succeed(String... command) {
        Result result = run(List.of(command));
        if (result.exitCode() != 0) {
            fail(String.join(" ", command) + " exited " + result.exitCode() + ": " + result.output());
        }
        return result.output();
    }

    public static void requireTool(String tool) {
        String pkg = PACKAGES.get(tool);
        if (pkg == null) {
            return;
        }
        boolean found = tool.startsWith("/") ? Files.isExecutable(Path.of(tool))
                : List.of("/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin").stream()
                        .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
        if (!found) {
            fail(tool + " is missing: install the Debian package " + pkg + " (bash .ci/run does)");
        }
    }

    /** Writes a file with mode 0600, as ssh-keygen insists for private keys. */
    public static Path writePrivate(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
