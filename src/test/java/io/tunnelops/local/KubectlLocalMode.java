package io.tunnelops.local;


import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.tunnelops.testing.Kubectl;
import io.tunnelops.testing.OpenSshTools;

/**
 * Local mode ({@link LocalCluster}) as the ITs that drive it with kubectl and ssh set it up and tear it down
 * (CiExamplesIT, KubectlTunnelPluginIT): the tools they need, the cluster on any free port with the checkout as its
 * working directory, and kubectl on its kubeconfig. Needs root, kubectl and OpenSSH.
 */
record KubectlLocalMode(LocalCluster cluster, Kubectl kubectl, Path pods) implements AutoCloseable {

    /**
     * @param state the IT's own directory (kubeconfig, kubectl's cache, whatever else the IT keeps)
     * @param pods where the pods' directories go (not under /tmp: see {@link LocalPodRunner})
     */
    static KubectlLocalMode start(Path state, Path pods) throws IOException {
        Kubectl.requireInstalled();
        OpenSshTools.requireTool("ssh");
        Files.createDirectories(state);
        LocalCluster cluster = LocalCluster.start(new LocalCluster.Options(0, Path.of("").toAbsolutePath(), state, pods));
        return new KubectlLocalMode(cluster, new Kubectl(cluster.kubeconfig(), state.resolve("kube-cache")), pods);
    }

    @Override
    public void close() {
        RunnerFootprint footprint = cluster.runnerFootprint();
        cluster.close();
        footprint.assertGone();
        SshdContainer.deleteTree(pods);
    }
}
