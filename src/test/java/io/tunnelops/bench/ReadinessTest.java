package io.tunnelops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;

import org.junit.jupiter.api.Test;

class ReadinessTest {

    static final Instant T = Instant.parse("2026-11-30T20:00:00Z");

    @Test
    void createToReadyIsTheOperatorsPartPlusKubernetesPart() {
        // created at 1000, Deployment seen at 1300, available at 4300, Ready seen at 4350
        var r = new ReadyWatcher.Readiness(1000, 4350, T, T.plusSeconds(3), 1300, 4300);
        assertTrue(r.split());
        assertEquals(350, r.operatorMillis());
        assertEquals(3000, r.kubernetesMillis());
        assertEquals(r.clientMillis(), r.operatorMillis() + r.kubernetesMillis());
    }

    @Test
    void aSessionWhoseDeploymentWasNotSeenIsNotSplit() {
        assertFalse(new ReadyWatcher.Readiness(1000, 4350, T, T, -1, -1).split());
        assertFalse(new ReadyWatcher.Readiness(1000, 4350, T, T, 1300, -1).split());
    }
}
