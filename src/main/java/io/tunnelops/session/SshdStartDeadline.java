package io.tunnelops.session;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/**
 * When a session whose sshd has no available replica gives up: the start timeout after the later of the sshd
 * Deployment's creation (provisioning began; a session that was first Failed for a missing target starts here) and
 * the moment the Ready condition last turned False (a Ready session whose sshd is replaced gets the full timeout
 * again). Both are stored in the API, so a restarted operator computes the same deadline.
 */
public final class SshdStartDeadline {

    private SshdStartDeadline() {
    }

    /**
     * Empty until the sshd Deployment exists (nothing is starting yet). A Ready condition that is not False yet turns
     * False in this pass, at {@code now} (seconds precision, as it is stored).
     */
    public static Optional<Instant> of(Optional<Deployment> deployment, List<Condition> previousConditions,
            Duration timeout, Instant now) {
        if (deployment.isEmpty()) {
            return Optional.empty();
        }
        Optional<Instant> created = Optional.ofNullable(deployment.get().getMetadata().getCreationTimestamp())
                .map(Instant::parse);
        Instant notReadySince = ReadyCondition.find(previousConditions)
                .filter(c -> "False".equals(c.getStatus()) && c.getLastTransitionTime() != null)
                .map(c -> Instant.parse(c.getLastTransitionTime()))
                .orElse(now.truncatedTo(ChronoUnit.SECONDS));
        Instant since = created.filter(c -> c.isAfter(notReadySince)).orElse(notReadySince);
        return Optional.of(since.plus(timeout));
    }
}
