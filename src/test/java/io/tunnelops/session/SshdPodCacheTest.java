package io.tunnelops.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

class SshdPodCacheTest {

    @Test
    void keepsMetadataStatusAndTheNodeOnly() {
        Pod pod = new PodBuilder().withNewMetadata().withName("pg-sshd-1").withNamespace("team")
                .addToLabels("tunnelops.io/session", "pg")
                .withManagedFields(new ManagedFieldsEntryBuilder().withManager("kubelet").build()).endMetadata()
                .withNewSpec().withNodeName("node-a").addNewContainer().withName("sshd").withImage("sshd:1").endContainer()
                .endSpec()
                .withNewStatus().withPhase("Running").addNewContainerStatus().withName("sshd").withNewState()
                .withNewTerminated().withMessage("Idle: no connection for 10m").withExitCode(0).endTerminated()
                .endState().endContainerStatus().endStatus().build();
        SshdPodCache cache = new SshdPodCache();

        cache.put(cache.getKey(pod), pod);

        Pod kept = cache.get("team/pg-sshd-1");
        assertEquals("node-a", kept.getSpec().getNodeName());
        assertTrue(kept.getSpec().getContainers().isEmpty(), "the containers are the Deployment's business");
        assertNull(kept.getMetadata().getManagedFields());
        assertEquals("pg", kept.getMetadata().getLabels().get("tunnelops.io/session"));
        assertEquals("Idle: no connection for 10m",
                kept.getStatus().getContainerStatuses().get(0).getState().getTerminated().getMessage());
    }
}
