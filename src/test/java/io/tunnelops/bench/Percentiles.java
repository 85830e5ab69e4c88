package io.tunnelops.bench;

import java.util.Collection;

/** p50, p95, p99 and the maximum of a sample, by nearest rank. */
record Percentiles(long p50, long p95, long p99, long max, int count) {

    static Percentiles of(Collection<Long> values) {
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length == 0) {
            return new Percentiles(0, 0, 0, 0, 0);
        }
        return new Percentiles(rank(sorted, 50), rank(sorted, 95), rank(sorted, 99), sorted[sorted.length - 1],
                sorted.length);
    }

    private static long rank(long[] sorted, int percent) {
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    @Override
    public String toString() {
        return count == 0 ? "n/a" : p50 + " / " + p95 + " / " + p99 + " (max " + max + ")";
    }
}
