package io.tunnelops.bench;

import java.util.List;

/** Bytes carried in a time. MB is 10^6 bytes, as FACTS.md and BENCHMARKS.md count. */
record Throughput(long bytes, long nanos) {

    Throughput {
        if (bytes < 0 || nanos <= 0) {
            throw new IllegalArgumentException("bytes must be at least 0 and nanos above 0: " + bytes + ", " + nanos);
        }
    }

    double megabytesPerSecond() {
        return bytes / 1e6 / (nanos / 1e9);
    }

    /** The median rate of repeated runs: the middle one, or the mean of the two middle ones for an even count. */
    static double medianMegabytesPerSecond(List<Throughput> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no runs");
        }
        double[] rates = runs.stream().mapToDouble(Throughput::megabytesPerSecond).sorted().toArray();
        int middle = rates.length / 2;
        return rates.length % 2 == 1 ? rates[middle] : (rates[middle - 1] + rates[middle]) / 2;
    }
}
