package io.tunnelops.operator;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The Operator SDK's own metrics per controller, not per session. The Quarkus extension's default keeps a set of
 * meters for every resource it ever reconciled, until a while after its deletion: with thousands of sessions that is
 * the largest part of the operator's heap after the informers' caches (the benchmark at N = 1000 counted six
 * histograms per session), and one time series per session for Prometheus to store. Per-session detail is in the log
 * (one line per transition) and in our own {@code tunnel_operator_*} metrics, which are per phase and reason.
 */
public class OperatorSdkMetrics {

    @Produces
    @Singleton
    Metrics perController(MeterRegistry registry) {
        return MicrometerMetrics.withoutPerResourceMetrics(registry);
    }
}
