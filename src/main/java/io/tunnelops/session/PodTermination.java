package io.tunnelops.session;

import java.util.Collection;
import java.util.Optional;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.tunnelops.api.v1alpha1.EndReason;
import io.tunnelops.session.resources.SshdDeployment;

/**
 * Why an sshd pod ended its session, read from its container's termination message ("Idle: ..." or
 * "Disconnected: ..."), which the entrypoint writes when it detects an idle timeout or a closed connection.
 */
public final class PodTermination {

    /** An end the pod asked for, with the entrypoint's message. */
    public record End(EndReason reason, String message) {
    }

    private PodTermination() {
    }

    public static Optional<End> of(Collection<Pod> pods) {
        return pods.stream()
                .filter(p -> p.getStatus() != null && p.getStatus().getContainerStatuses() != null)
                .flatMap(p -> p.getStatus().getContainerStatuses().stream())
                .filter(c -> SshdDeployment.CONTAINERS.contains(c.getName()))
                .flatMap(PodTermination::terminations)
                .map(PodTermination::parse)
                .flatMap(Optional::stream)
                .findFirst();
    }

    /** The current state, or the last one if the kubelet already restarted the container. */
    private static Stream<ContainerStateTerminated> terminations(ContainerStatus status) {
        return Stream.of(status.getState(), status.getLastState())
                .filter(s -> s != null && s.getTerminated() != null)
                .map(s -> s.getTerminated());
    }

    private static Optional<End> parse(ContainerStateTerminated terminated) {
        String message = terminated.getMessage() == null ? "" : terminated.getMessage().strip();
        if (message.startsWith("Idle:")) {
            return Optional.of(new End(EndReason.Idle, message));
        }
        if (message.startsWith("Disconnected:")) {
            return Optional.of(new End(EndReason.Disconnected, message));
        }
        return Optional.empty();
    }
}
