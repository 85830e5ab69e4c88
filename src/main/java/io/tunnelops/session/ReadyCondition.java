package io.tunnelops.session;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;

/**
 * The `Ready` condition (and any other condition type) in the Kubernetes convention: lastTransitionTime moves only when
 * status flips; conditions of other types are kept.
 */
public final class ReadyCondition {

    public static final String TYPE = "Ready";

    private ReadyCondition() {
    }

    /** The Ready condition among these, if any. */
    public static Optional<Condition> find(List<Condition> conditions) {
        return conditions == null ? Optional.empty()
                : conditions.stream().filter(c -> TYPE.equals(c.getType())).findFirst();
    }

    public static List<Condition> set(List<Condition> existing, boolean ready, String reason, String message,
            Long generation, Instant now) {
        return set(existing, TYPE, ready, reason, message, generation, now);
    }

    public static List<Condition> set(List<Condition> existing, String type, boolean isTrue, String reason,
            String message, Long generation, Instant now) {
        String status = isTrue ? "True" : "False";
        Condition previous = existing == null ? null
                : existing.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
        String since = previous != null && status.equals(previous.getStatus()) ? previous.getLastTransitionTime()
                : now.truncatedTo(ChronoUnit.SECONDS).toString();
        List<Condition> result = new ArrayList<>();
        if (existing != null) {
            existing.stream().filter(c -> !type.equals(c.getType())).forEach(result::add);
        }
        result.add(new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withObservedGeneration(generation).withLastTransitionTime(since).build());
        return result;
    }
}
