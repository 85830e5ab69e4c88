package io.tunnelops.session;

import java.util.Collection;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.tunnelops.session.resources.SshdDeployment;

/**
 * Why a session's sshd cannot start, read from its pods (the kubelet's waiting reasons, the scheduler's verdict) and
 * from its Deployment (a ReplicaSet that cannot create the pod, for example when PodSecurity admission forbids it).
 * Empty while nothing is wrong yet: a Pending pod or a container being created is normal.
 *
 * <p>
 * The text must be the same on every pass while the cluster's report stays the same (else the status is written on
 * every pass), so it carries no restart counts and no back-off durations; and it carries only what the kubelet and
 * the controllers report about images and pods, never Secret data.
 */
public final class SshdStartFailure {

    /** The kubelet's waiting reasons that mean the container will not run without someone fixing something. */
    static final Set<String> STUCK = Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
            "RegistryUnavailable", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
            "CrashLoopBackOff", "PreStartHookError", "PostStartHookError");
    /** Kubelet and controller messages can be long; a condition message is for a person. */
    static final int MAX_DETAIL = 400;

    private SshdStartFailure() {
    }

    public static Optional<String> of(Collection<Pod> pods, Optional<Deployment> deployment) {
        return pods.stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null)
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .map(SshdStartFailure::ofPod)
                .flatMap(Optional::stream)
                .findFirst()
                .or(() -> deployment.flatMap(SshdStartFailure::ofDeployment));
    }

    private static Optional<String> ofPod(Pod pod) {
        String name = "pod " + pod.getMetadata().getName();
        var status = pod.getStatus();
        if ("Failed".equals(status.getPhase())) {
            return Optional.of(name + " failed: " + detail(status.getReason(), status.getMessage()));
        }
        // a shell's init container (the bundle's copy) first: while it is stuck, the shell waits in PodInitializing
        Optional<String> container = Stream.concat(Stream.ofNullable(status.getInitContainerStatuses()).flatMap(Collection::stream),
                        Stream.ofNullable(status.getContainerStatuses()).flatMap(Collection::stream))
                .filter(c -> SshdDeployment.CONTAINERS.contains(c.getName()))
                .map(c -> ofContainer(name, c))
                .flatMap(Optional::stream)
                .findFirst();
        if (container.isPresent()) {
            return container;
        }
        return Stream.ofNullable(status.getConditions()).flatMap(Collection::stream)
                .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())
                        && "Unschedulable".equals(c.getReason()))
                .map(c -> name + " cannot be scheduled: " + clip(c.getMessage()))
                .findFirst();
    }

    private static Optional<String> ofContainer(String pod, ContainerStatus container) {
        ContainerStateWaiting waiting = container.getState() == null ? null : container.getState().getWaiting();
        if (waiting == null || !STUCK.contains(waiting.getReason())) {
            return Optional.empty();
        }
        String prefix = pod + ": container " + container.getName() + " is waiting: ";
        if ("CrashLoopBackOff".equals(waiting.getReason())) {
            // the kubelet's own message names a growing back-off: the last exit says more and stays the same
            ContainerStateTerminated last = container.getLastState() == null ? null
                    : container.getLastState().getTerminated();
            // what the container said as it exited: a shell's start script says why the app's image cannot run the
            // bundle (BundleUnusable), the bundle's copy says what it could not write; the same on every exit
            String said = last == null || last.getMessage() == null || last.getMessage().isBlank() ? ""
                    : ": " + clip(last.getMessage());
            return Optional.of(prefix + "CrashLoopBackOff: the sshd keeps exiting" + (last == null ? ""
                    : "; last exit code " + last.getExitCode()
                            + (last.getReason() == null ? "" : " (" + last.getReason() + ")")) + said);
        }
        return Optional.of(prefix + detail(waiting.getReason(), waiting.getMessage()));
    }

    private static Optional<String> ofDeployment(Deployment deployment) {
        if (deployment.getStatus() == null || deployment.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        String name = "Deployment " + deployment.getMetadata().getName();
        var conditions = deployment.getStatus().getConditions();
        Optional<DeploymentCondition> replicaFailure = conditions.stream()
                .filter(c -> "ReplicaFailure".equals(c.getType()) && "True".equals(c.getStatus())).findFirst();
        if (replicaFailure.isPresent()) {
            return Optional.of(name + " cannot create its pod: "
                    + detail(replicaFailure.get().getReason(), replicaFailure.get().getMessage()));
        }
        return conditions.stream()
                .filter(c -> "Progressing".equals(c.getType()) && "False".equals(c.getStatus()))
                .map(c -> name + " is not progressing: " + detail(c.getReason(), c.getMessage()))
                .findFirst();
    }

    private static String detail(String reason, String message) {
        String text = Stream.of(reason, message).filter(Objects::nonNull).filter(s -> !s.isBlank())
                .reduce((a, b) -> a + ": " + b).orElse("no reason given");
        return clip(text);
    }

    private static String clip(String text) {
        String oneLine = text == null ? "" : text.strip().replaceAll("\\s*\\n\\s*", " ");
        return oneLine.length() <= MAX_DETAIL ? oneLine : oneLine.substring(0, MAX_DETAIL) + "...";
    }
}
