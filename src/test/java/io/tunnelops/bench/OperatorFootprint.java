package io.tunnelops.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.tunnelops.local.OperatorProcess;

/**
 * The operator's memory as a platform team would size it: the heap in use right after a full GC (asked for with
 * {@code jcmd <pid> GC.run}, then read from the operator's own {@code jvm_memory_used_bytes}), its maximum, and the
 * process' resident set from {@code /proc/<pid>/status}: now, and its peak (what a container's memory limit meets).
 */
record OperatorFootprint(long heapAfterGcBytes, long heapMaxBytes, long rssBytes, long rssPeakBytes) {

    static OperatorFootprint measure(OperatorProcess operator) throws IOException, InterruptedException {
        jcmd(operator, ProcessBuilder.Redirect.DISCARD, "GC.run");
        List<String> metrics = scrape(operator.managementPort());
        return new OperatorFootprint(sum(metrics, "jvm_memory_used_bytes{"), sum(metrics, "jvm_memory_max_bytes{"),
                status(operator.pid(), "VmRSS:"), status(operator.pid(), "VmHWM:"));
    }

    /** Where the resident set goes (heap, classes, threads, code, GC, ...): the JVM's native memory tracking. */
    static void nativeMemory(OperatorProcess operator, Path file) throws IOException, InterruptedException {
        jcmd(operator, ProcessBuilder.Redirect.to(file.toFile()), "VM.native_memory", "summary");
    }

    /**
     * The live objects of the operator's heap by class (after a full GC, which the histogram forces), into a file:
     * what its informers cache.
     */
    static void histogram(OperatorProcess operator, Path file) throws IOException, InterruptedException {
        jcmd(operator, ProcessBuilder.Redirect.to(file.toFile()), "GC.class_histogram");
    }

    private static void jcmd(OperatorProcess operator, ProcessBuilder.Redirect output, String... command)
            throws IOException, InterruptedException {
        List<String> line = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd")
                .toString(), String.valueOf(operator.pid())));
        line.addAll(List.of(command));
        Process process = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(output).start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", line) + " failed");
        }
    }

    /** The operator's /q/metrics, one line a sample. */
    static List<String> scrape(int managementPort) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/q/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.body().lines().filter(l -> !l.startsWith("#")).toList();
    }

    /** The sum over the heap's pools of a series (a pool without a maximum reports -1 and is left out). */
    private static long sum(List<String> metrics, String series) {
        return (long) metrics.stream().filter(l -> l.startsWith(series) && l.contains("area=\"heap\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).filter(v -> v > 0).sum();
    }

    /** A size line of /proc/<pid>/status, in bytes. */
    private static long status(long pid, String field) throws IOException {
        return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream()
                .filter(l -> l.startsWith(field)).findFirst()
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024).orElse(-1L);
    }

    static String mib(long bytes) {
        return bytes < 0 ? "n/a" : String.format("%.0f MiB", bytes / 1048576.0);
    }
}
