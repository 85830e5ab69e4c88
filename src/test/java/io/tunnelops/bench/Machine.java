package io.tunnelops.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The machine a report was measured on. */
record Machine(String cpu, int cores, long memoryKib, String kernel, String java, String kubernetes) {

    static Machine here(String kubernetes) {
        return new Machine(firstValue(Path.of("/proc/cpuinfo"), "model name"), Runtime.getRuntime().availableProcessors(),
                Long.parseLong(firstValue(Path.of("/proc/meminfo"), "MemTotal").replaceAll("[^0-9]", "")),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"), kubernetes);
    }

    private static String firstValue(Path file, String key) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.stream().filter(l -> l.startsWith(key)).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public String toString() {
        return "%d cores (%s), %.1f GiB RAM, %s, %s, Kubernetes %s".formatted(cores, cpu, memoryKib / 1048576.0, kernel,
                java, kubernetes);
    }
}
