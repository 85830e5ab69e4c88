package io.tunnelops.cluster;

import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/**
 * Stops the real clusters when the test plan ends, before the test JVM exits: a node's teardown (its pods, containerd,
 * network namespace) takes longer than the time a forked JVM gets for its shutdown hooks.
 */
public final class StopClustersWhenTestsEnd implements TestExecutionListener {

    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        RealNodeCluster.stopShared();
        RealCluster.stopShared();
    }
}
