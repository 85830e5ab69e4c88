package io.tunnelops.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The real kubectl with its own kubeconfig and discovery cache: the one on PATH (what users commonly have), or a given
 * binary (the real cluster's own, of its minor version). Missing, it fails with what to install.
 */
public record Kubectl(Path binary, Path kubeconfig, Path cacheDir) {

    public record Result(int exitCode, String stdout, String stderr) {
    }

    /** kubectl from PATH. */
    public Kubectl(Path kubeconfig, Path cacheDir) {
        this(null, kubeconfig, cacheDir);
    }

    public static void requireInstalled() {
        boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, "kubectl")));
        if (!found) {
            fail("kubectl is missing: install the Debian package kubernetes-client (bash .ci/run does)");
        }
    }

    public Result run(String... args) {
        return runWithInput(null, args);
    }

    /** Runs kubectl with {@code input} on its standard input (for `apply -f -`). */
    public Result runWithInput(String input, String... args) {
        if (binary == null) {
            requireInstalled();
        }
        List<String> command = new ArrayList<>(List.of(binary == null ? "kubectl" : binary.toString(),
                "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            // a discovery cache of its own: the user's ~/.kube/cache may hold another server at this address
            builder.environment().put("KUBECACHEDIR", cacheDir.toString());
            Process process = builder.start();
            try (var stdin = process.getOutputStream()) {
                if (input != null) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
            byte[] stdout = process.getInputStream().readAllBytes();
            if (!process.waitFor(180, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("timed out: " + command);
            }
            return new Result(process.exitValue(), new String(stdout, StandardCharsets.UTF_8),
                    new String(stderr.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public String succeed(String... args) {
        Result result = run(args);
        if (result.exitCode() != 0) {
            fail("kubectl " + String.join(" ", args) + " exited " + result.exitCode() + ": " + result.stderr()
                    + result.stdout());
        }
        return result.stdout();
    }

    private static byte[] readAll(java.io.InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
