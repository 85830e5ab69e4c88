package io.tunnelops.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;

/** What the kubelet and the controllers report about an sshd that does not run, turned into one stable sentence. */
class SshdStartFailureTest {

    @Test
    void everyWaitingReasonThatNeedsAFixIsReportedWithTheKubeletsMessage() {
        for (String reason : List.of("InvalidImageName", "CreateContainerConfigError", "CreateContainerError",
                "RunContainerError", "ErrImageNeverPull")) {
            assertEquals(Optional.of("pod s-sshd-1: container sshd is waiting: " + reason + ": what the kubelet said"),
                    SshdStartFailure.of(List.of(waiting("s-sshd-1", "sshd", reason, "what the kubelet said")),
                            Optional.empty()), reason);
        }
    }

    @Test
    void aContainerBeingCreatedOrAPodNotYetScheduledIsNoProblem() {
        assertEquals(Optional.empty(), SshdStartFailure.of(List.of(waiting("s-sshd-1", "sshd", "ContainerCreating", null),
                new PodBuilder().withNewMetadata().withName("s-sshd-2").endMetadata().withNewStatus().withPhase("Pending")
                        .endStatus().build()), Optional.of(new Deployment())));
    }

    @Test
    void otherContainersAndTerminatingPodsAreIgnored() {
        Pod terminating = waiting("s-sshd-old", "sshd", "ErrImagePull", "old image");
        terminating.getMetadata().setDeletionTimestamp("2026-11-30T10:00:00Z");
        assertEquals(Optional.empty(), SshdStartFailure.of(List.of(terminating,
                waiting("s-sshd-1", "sidecar", "ErrImagePull", "not ours")), Optional.empty()));
    }

    @Test
    void anUnschedulablePodSaysWhyTheSchedulerRefused() {
        Pod pod = new PodBuilder().withNewMetadata().withName("s-sshd-1").endMetadata().withNewStatus().withPhase("Pending")
                .addNewCondition().withType("PodScheduled").withStatus("False").withReason("Unschedulable")
                .withMessage("0/1 nodes are available: 1 Insufficient memory.").endCondition().endStatus().build();
        assertEquals(Optional.of("pod s-sshd-1 cannot be scheduled: 0/1 nodes are available: 1 Insufficient memory."),
                SshdStartFailure.of(List.of(pod), Optional.empty()));
    }

    @Test
    void anEvictedPodAndAStalledDeploymentAreReported() {
        Pod evicted = new PodBuilder().withNewMetadata().withName("s-sshd-1").endMetadata().withNewStatus()
                .withPhase("Failed").withReason("Evicted").withMessage("The node was low on resource: memory.")
                .endStatus().build();
        assertEquals(Optional.of("pod s-sshd-1 failed: Evicted: The node was low on resource: memory."),
                SshdStartFailure.of(List.of(evicted), Optional.empty()));

        Deployment stalled = new DeploymentBuilder().withNewMetadata().withName("s-sshd").endMetadata().withNewStatus()
                .addNewCondition().withType("Progressing").withStatus("False").withReason("ProgressDeadlineExceeded")
                .withMessage("ReplicaSet \"s-sshd-5d8f\" has timed out progressing.").endCondition().endStatus().build();
        assertEquals(Optional.of("Deployment s-sshd is not progressing: ProgressDeadlineExceeded: ReplicaSet "
                + "\"s-sshd-5d8f\" has timed out progressing."), SshdStartFailure.of(List.of(), Optional.of(stalled)));
    }

    @Test
    void aShellsStuckInitContainerAndAnAppImageThatCannotRunTheBundleAreReported() {
        Pod initStuck = new PodBuilder().withNewMetadata().withName("s-sshd-1").endMetadata().withNewStatus()
                .withPhase("Pending")
                .addNewInitContainerStatus().withName("bundle").withNewState().withNewWaiting().withReason("ErrImagePull")
                .withMessage("pull access denied").endWaiting().endState().endInitContainerStatus()
                .addNewContainerStatus().withName("shell").withNewState().withNewWaiting().withReason("PodInitializing")
                .endWaiting().endState().endContainerStatus()
                .endStatus().build();
        assertEquals(Optional.of("pod s-sshd-1: container bundle is waiting: ErrImagePull: pull access denied"),
                SshdStartFailure.of(List.of(initStuck), Optional.empty()));

        // another CPU architecture: the start script says so in its termination message, and the kubelet restarts it
        Pod unusable = new PodBuilder().withNewMetadata().withName("s-sshd-2").endMetadata().withNewStatus()
                .withPhase("Running")
                .addNewContainerStatus().withName("shell").withRestartCount(3)
                .withNewState().withNewWaiting().withReason("CrashLoopBackOff").withMessage("back-off 40s").endWaiting()
                .endState()
                .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error")
                .withMessage("BundleUnusable: the bundled loader cannot run sshd here (CPU architecture aarch64)\n")
                .endTerminated().endLastState()
                .endContainerStatus().endStatus().build();
        assertEquals(Optional.of("pod s-sshd-2: container shell is waiting: CrashLoopBackOff: the sshd keeps exiting; "
                + "last exit code 1 (Error): BundleUnusable: the bundled loader cannot run sshd here (CPU architecture "
                + "aarch64)"), SshdStartFailure.of(List.of(unusable), Optional.empty()));
    }

    @Test
    void aLongMultiLineMessageBecomesOneBoundedLine() {
        String kubelet = "line one\n   line two\n" + "x".repeat(1000);
        String message = SshdStartFailure.of(List.of(waiting("s-sshd-1", "sshd", "CreateContainerError", kubelet)),
                Optional.empty()).orElseThrow();
        assertTrue(message.contains("CreateContainerError: line one line two xxx"), message);
        assertTrue(message.endsWith("..."), message);
        assertTrue(message.length() < SshdStartFailure.MAX_DETAIL + 100, message);
    }

    private static Pod waiting(String name, String container, String reason, String message) {
        return new PodBuilder().withNewMetadata().withName(name).endMetadata().withNewStatus().withPhase("Pending")
                .withContainerStatuses(new ContainerStatusBuilder().withName(container).withNewState().withNewWaiting()
                        .withReason(reason).withMessage(message).endWaiting().endState().build())
                .endStatus().build();
    }
}
