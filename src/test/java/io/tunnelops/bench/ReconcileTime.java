package io.tunnelops.bench;

import java.util.List;

/**
 * The operator's own time per reconcile pass of a TunnelSession, from the Operator SDK's timer
 * ({@code operator_sdk_controllers_execution_reconcile_seconds}): passes, the mean, and Micrometer's recent maximum.
 * What the operator spends itself, without the waits for the cluster that the latency figures include.
 */
record ReconcileTime(long passes, double meanMillis, double maxMillis) {

    private static final String TIMER = "operator_sdk_controllers_execution_reconcile_seconds";

    static ReconcileTime of(List<String> metrics) {
        double count = sum(metrics, TIMER + "_count{");
        double seconds = sum(metrics, TIMER + "_sum{");
        double max = metrics.stream().filter(l -> l.startsWith(TIMER + "_max{") && l.contains("tunnelsession"))
                .mapToDouble(ReconcileTime::value).max().orElse(0);
        return new ReconcileTime((long) count, count == 0 ? 0 : 1000 * seconds / count, 1000 * max);
    }

    private static double sum(List<String> metrics, String series) {
        return metrics.stream().filter(l -> l.startsWith(series) && l.contains("tunnelsession"))
                .mapToDouble(ReconcileTime::value).sum();
    }

    private static double value(String sample) {
        return Double.parseDouble(sample.substring(sample.lastIndexOf(' ') + 1));
    }

    @Override
    public String toString() {
        return passes == 0 ? "n/a" : "%.1f ms mean over %d passes (recent max %.0f ms)".formatted(meanMillis, passes, maxMillis);
    }
}
