package io.tunnelops.operator;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Leader election among the operator's replicas (TUNNEL_OPERATOR_LEADER_ELECTION_* environment variables). */
@ConfigMapping(prefix = "tunnel-operator.leader-election")
public interface LeaderElectionSettings {

    /** Off only where a single instance is certain (local mode): two unelected instances undo each other's work. */
    @WithDefault("true")
    boolean enabled();

    @WithDefault("tunnel-operator")
    String leaseName();

    /** The Lease's namespace; default: the client's (in a pod, the operator's own namespace). */
    Optional<String> leaseNamespace();

    /** How long a Lease stays held without renewal: the longest a dead leader blocks its successor. */
    @WithDefault("15s")
    Duration leaseDuration();

    /** The leader gives up (and the process exits) when it could not renew for this long. */
    @WithDefault("10s")
    Duration renewDeadline();

    /** How often a standby tries to take the Lease, and the leader renews it. */
    @WithDefault("2s")
    Duration retryPeriod();

    /** This instance's name in the Lease; default: the pod's name (HOSTNAME) with a random suffix. */
    Optional<String> identity();
}
