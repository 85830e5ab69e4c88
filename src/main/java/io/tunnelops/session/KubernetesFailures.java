package io.tunnelops.session;

import java.util.function.Predicate;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;

/**
 * The API server's answers inside a reconcile's failure. A workflow runs a session's dependents in parallel and
 * aggregates their failures, so an answer can sit in the cause chain or in any aggregated failure's own chain.
 */
final class KubernetesFailures {

    private KubernetesFailures() {
    }

    /** Whether some API server answer in this failure, at any depth, matches. */
    static boolean anyAnswer(Throwable failure, Predicate<KubernetesClientException> matches) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof KubernetesClientException k && matches.test(k)) {
                return true;
            }
            if (t instanceof AggregatedOperatorException aggregated && aggregated.getAggregatedExceptions().values()
                    .stream().anyMatch(inner -> anyAnswer(inner, matches))) {
                return true;
            }
        }
        return false;
    }

    /** Whether the failure holds a 404: something the pass read or wrote is no longer there. */
    static boolean notFound(Throwable failure) {
        return anyAnswer(failure, k -> k.getCode() == 404);
    }
}
