package io.tunnelops.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

/** Which node's address a NodePort session publishes: the one its sshd pod runs on (externalTrafficPolicy Local). */
class SessionEndpointsTest {

    @Test
    void theReadyPodsNodeWinsOverANewerPodThatIsNotReady() {
        assertEquals(Optional.of("b"), SessionEndpoints.sshdNode(List.of(
                pod("old", "2026-11-30T10:00:00Z", "b", true, "Running"),
                pod("new", "2026-11-30T10:05:00Z", "a", false, "Running"))));
    }

    @Test
    void theNewestReadyPodWinsAndANameBreaksATie() {
        assertEquals(Optional.of("a"), SessionEndpoints.sshdNode(List.of(
                pod("p1", "2026-11-30T10:00:00Z", "b", true, "Running"),
                pod("p2", "2026-11-30T10:05:00Z", "a", true, "Running"))));
        assertEquals(SessionEndpoints.sshdNode(List.of(pod("x", "2026-11-30T10:00:00Z", "b", true, "Running"),
                        pod("y", "2026-11-30T10:00:00Z", "a", true, "Running"))),
                SessionEndpoints.sshdNode(List.of(pod("y", "2026-11-30T10:00:00Z", "a", true, "Running"),
                        pod("x", "2026-11-30T10:00:00Z", "b", true, "Running"))));
    }

    @Test
    void withoutAReadyPodTheNodeALivePodIsScheduledOn() {
        assertEquals(Optional.of("c"), SessionEndpoints.sshdNode(List.of(
                pod("starting", "2026-11-30T10:00:00Z", "c", false, "Pending"))));
    }

    @Test
    void terminatingFinishedAndUnscheduledPodsGiveNoNode() {
        Pod terminating = new PodBuilder(pod("t", "2026-11-30T10:00:00Z", "a", true, "Running")).editMetadata()
                .withDeletionTimestamp("2026-11-30T10:01:00Z").endMetadata().build();
        assertEquals(Optional.empty(), SessionEndpoints.sshdNode(List.of(terminating,
                pod("done", "2026-11-30T10:00:00Z", "b", false, "Failed"),
                pod("pending", "2026-11-30T10:00:00Z", null, false, "Pending"))));
        assertEquals(Optional.empty(), SessionEndpoints.sshdNode(List.of()));
    }

    private static Pod pod(String name, String created, String node, boolean ready, String phase) {
        return new PodBuilder().withNewMetadata().withName(name).withCreationTimestamp(created).endMetadata()
                .withNewSpec().withNodeName(node).endSpec()
                .withNewStatus().withPhase(phase).addNewCondition().withType("Ready").withStatus(ready ? "True" : "False")
                .endCondition().endStatus().build();
    }
}
