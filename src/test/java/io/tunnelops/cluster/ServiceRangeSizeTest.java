package io.tunnelops.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A light-node cluster's Service range holds a Service per pod, twice over, and is never smaller than bin/cluster's /22. */
class ServiceRangeSizeTest {

    @Test
    void theDefaultSlashTwentyTwoWhileItIsLargeEnough() {
        assertEquals(22, RealCluster.servicePrefix(100));
        assertEquals(22, RealCluster.servicePrefix(461)); // 2 * 461 + 100 = 1022 addresses, a /22 has 1022
    }

    @Test
    void largerRangesForMorePods() {
        assertEquals(21, RealCluster.servicePrefix(462));
        assertEquals(21, RealCluster.servicePrefix(600));
        assertEquals(20, RealCluster.servicePrefix(1500));
        assertEquals(18, RealCluster.servicePrefix(5500));
    }
}
