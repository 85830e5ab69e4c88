package io.tunnelops.session;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.tunnelops.operator.CacheWithoutManagedFields;

/**
 * The sshd pods as the reconciler reads them: their metadata, their status (why a container waits or ended, its
 * termination message) and the node they run on (a NodePort endpoint). The rest of the spec, which the Deployment
 * already holds, is not kept: one pod per session, thousands of sessions.
 */
public class SshdPodCache extends CacheWithoutManagedFields<Pod> {

    @Override
    protected Pod slim(Pod pod) {
        if (pod.getSpec() != null) {
            PodSpec kept = new PodSpec();
            kept.setNodeName(pod.getSpec().getNodeName());
            pod.setSpec(kept);
        }
        return pod;
    }
}
