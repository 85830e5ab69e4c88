package io.tunnelops.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/kubectl-tunnel} without a cluster: it is POSIX sh (dash parses and runs it, shellcheck finds nothing), each
 * command has its help, bad arguments and missing tools fail before anything is asked of a cluster, with their exit
 * codes, and the README documents those codes as the script defines them. KubectlTunnelPluginIT runs it against sessions.
 */
class KubectlTunnelScriptTest {

    private static final Path SCRIPT = Path.of("bin/kubectl-tunnel").toAbsolutePath();
    private static final List<String> COMMANDS = List.of("create", "connect", "shell", "ssh-config", "list");

    record Result(int exitCode, String stdout, String stderr) {
    }

    @Test
    void itIsPosixShThatDashParsesAndShellcheckFindsNothingIn() throws Exception {
        assertEquals("#!/bin/sh", Files.readAllLines(SCRIPT).get(0));
        assertTrue(Files.isExecutable(SCRIPT));
        assertEquals(0, run(List.of("sh", "-n", SCRIPT.toString()), Map.of()).exitCode());
        assertEquals(0, run(List.of("dash", "-n", SCRIPT.toString()), Map.of()).exitCode());
        requireTool("shellcheck", "shellcheck");
        Result shellcheck = run(List.of("shellcheck", "--shell=sh", "--severity=style", SCRIPT.toString()), Map.of());
        assertEquals(0, shellcheck.exitCode(), shellcheck.stdout() + shellcheck.stderr());
    }

    @Test
    void eachCommandHasItsHelpUnderDash() throws Exception {
        requireTool("dash", "dash");
        Result main = dash("--help");
        assertEquals(0, main.exitCode(), main.stderr());
        for (String command : COMMANDS) {
            assertTrue(main.stdout().contains("kubectl tunnel " + command + " "), command);
            Result help = dash(command, "--help");
            assertEquals(0, help.exitCode(), command + ": " + help.stderr());
            assertTrue(help.stdout().contains("Usage: kubectl tunnel " + command), command + ": " + help.stdout());
            assertEquals(help.stdout(), dash("help", command).stdout(), command);
        }
        Result none = dash();
        assertEquals(2, none.exitCode());
        assertEquals(main.stdout(), none.stderr(), "no command: the help, on standard error");
    }

    @Test
    void badArgumentsFailWithExitCode2AndSayWhatIsWrongInDashBashAndBusybox() throws Exception {
        Map<List<String>, String> cases = new LinkedHashMap<>();
        cases.put(List.of("frobnicate"), "unknown command frobnicate: create, connect, shell, ssh-config or list");
        cases.put(List.of("connect"), "connect needs the session's name (see: kubectl tunnel connect --help)");
        cases.put(List.of("connect", "a", "b"), "unexpected argument b");
        cases.put(List.of("connect", "a", "--bogus"), "unknown option --bogus");
        cases.put(List.of("connect", "a", "--local-port"), "--local-port needs a value");
        cases.put(List.of("connect", "a", "--local-port", "70000"), "--local-port 70000 is not within 1..65535");
        cases.put(List.of("connect", "a", "--local-port", "abc"), "--local-port abc: a port number");
        cases.put(List.of("connect", "a", "--ttl", "1h"), "--ttl is for create");
        cases.put(List.of("connect", "a", "--timeout", "soon"), "--timeout soon: e.g. 90s, 2m, 1h");
        cases.put(List.of("list", "-n"), "-n needs a value");
        cases.put(List.of("list", "a"), "list takes no name (got a)");
        cases.put(List.of("create"), "create needs a target: svc/NAME:PORT or HOST:PORT");
        cases.put(List.of("create", "svc/echo"), "target svc/echo has no port: svc/NAME:PORT or HOST:PORT");
        cases.put(List.of("create", "deploy/app:80"), "target deploy/app:80: use svc/NAME:PORT for a Service, or HOST:PORT");
        cases.put(List.of("create", "svc/Echo:7000"), "Echo is not a Service name");
        cases.put(List.of("create", "svc/echo:0"), "port 0 is not within 1..65535");
        cases.put(List.of("create", "svc/echo:7000,"), "ports 7000,: one or more port numbers, comma-separated");
        cases.put(List.of("create", "db\"x:5432"), "db\"x is not a host name or IPv4 address");
        cases.put(List.of("create", "svc/echo:7000", "--ttl", "1h\"}"), "duration 1h\"}: e.g. 30m, 1h30m, 90s");
        cases.put(List.of("create", "svc/echo:7000", "--name", "Bad_Name"), "--name Bad_Name: lower-case letters");
        cases.put(List.of("shell", "a", "--local-port", "1"), "--local-port is for create, connect and ssh-config");
        cases.put(List.of("connect", "a", "--", "ls"), "-- is for shell (a command to run)");
        requireTool("busybox", "busybox-static");
        // dash is Debian's /bin/sh (KubectlTunnelPluginIT runs it so against sessions); bash and busybox read it alike
        for (List<String> shell : List.of(List.of("dash"), List.of("bash", "--posix"), List.of("busybox", "sh"))) {
            for (Map.Entry<List<String>, String> c : cases.entrySet()) {
                List<String> command = new ArrayList<>(shell);
                command.add(SCRIPT.toString());
                command.addAll(c.getKey());
                Result result = run(command, Map.of());
                assertEquals(2, result.exitCode(), command + ": " + result.stderr());
                assertTrue(result.stderr().startsWith("kubectl tunnel: error: ") && result.stderr().contains(c.getValue()),
                        command + ": " + result.stderr());
                assertEquals("", result.stdout(), command.toString());
            }
        }
    }

    @Test
    void aMissingKubectlOrSshFailsWithExitCode7AndWhatToInstall(@TempDir Path dir) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        // the tools the script needs before it contacts a cluster, and neither kubectl nor ssh
        for (String tool : List.of("mktemp", "chmod", "rm", "cat", "sed", "grep", "tr", "date")) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of(onPath(tool)));
        }
        Result noKubectl = run(List.of("/bin/sh", SCRIPT.toString(), "list"), Map.of("PATH", bin.toString(), "TMPDIR",
                dir.toString()));
        assertEquals(7, noKubectl.exitCode(), noKubectl.stderr());
        assertTrue(noKubectl.stderr().contains("kubectl not found on PATH: install it"), noKubectl.stderr());

        Files.createSymbolicLink(bin.resolve("kubectl"), Path.of(onPath("kubectl")));
        for (List<String> command : List.of(List.of("connect", "a"), List.of("shell", "a"), List.of("create", "svc/a:1"))) {
            List<String> line = new ArrayList<>(List.of("/bin/sh", SCRIPT.toString()));
            line.addAll(command);
            Result noSsh = run(line, Map.of("PATH", bin.toString(), "TMPDIR", dir.toString()));
            assertEquals(7, noSsh.exitCode(), command + ": " + noSsh.stderr());
            assertTrue(noSsh.stderr().contains("ssh not found on PATH. Install OpenSSH's client"), noSsh.stderr());
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(bin), left.toList(), "no temporary directory left behind");
        }
    }

    @Test
    void theReadmeDocumentsEveryCommandAndTheExitCodesTheScriptDefines() throws Exception {
        String script = Files.readString(SCRIPT);
        Map<Integer, String> codes = new LinkedHashMap<>();
        Matcher defined = Pattern.compile("(?m)^EX_\\w+=(\\d+)\\s+# (.+)$").matcher(script);
        while (defined.find()) {
            codes.put(Integer.parseInt(defined.group(1)), defined.group(2));
        }
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8), List.copyOf(codes.keySet()));

        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("\n## kubectl tunnel");
        assertTrue(section > 0, "README has a section \"kubectl tunnel\"");
        String text = readme.substring(section, readme.indexOf("\n## ", section + 1));
        assertTrue(text.contains("install -m 0755 bin/kubectl-tunnel /usr/local/bin/"), "the install command");
        for (String command : COMMANDS) {
            assertTrue(text.contains("kubectl tunnel " + command), command);
        }
        for (int code : codes.keySet()) {
            assertTrue(text.contains("\n| " + code + " | "), "exit code " + code + " (" + codes.get(code) + ") in the README");
        }
        assertTrue(text.contains("\n| 130 | "), "Ctrl-C's exit code in the README");
    }

    // ---- helpers

    private static Result dash(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("dash", SCRIPT.toString()));
        command.addAll(Arrays.asList(args));
        return run(command, Map.of());
    }

    private static Result run(List<String> command, Map<String, String> environment) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Path out = Files.createTempFile("kubectl-tunnel-test", ".out");
        Path err = Files.createTempFile("kubectl-tunnel-test", ".err");
        try {
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            process.getOutputStream().close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("timed out: " + command);
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static String onPath(String tool) {
        return Arrays.stream(System.getenv("PATH").split(":")).map(d -> Path.of(d, tool)).filter(Files::isExecutable)
                .findFirst().orElseThrow(() -> new AssertionError(tool + " is not on the PATH")).toString();
    }

    private static void requireTool(String tool, String debianPackage) {
        boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
        if (!found) {
            fail(tool + " is missing: install the Debian package " + debianPackage + " (bash .ci/run does)");
        }
    }
}
