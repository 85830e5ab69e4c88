package io.tunnelops.session;

import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.ssh.AuthorizedKey;

/**
 * Everything a valid session resolves to, computed once per reconcile by {@link SessionPlanner} and read by the
 * owned-resource classes: they never look at the raw spec for security-relevant values.
 *
 * @param permitOpen "host:port" strings, exactly as sshd's PermitOpen and the user's -L use them
 * @param targetDisplay short description for `kubectl get`
 * @param userKeys validated keys of access.authorizedKeys; empty means the operator generates a client key
 * @param egress where the sshd may connect to
 * @param idleTimeoutSeconds 0 for none; enforced inside the pod by the entrypoint
 */
public record SessionPlan(List<String> permitOpen, String targetDisplay, List<AuthorizedKey> userKeys, Expose expose,
        List<String> sourceRanges, TargetEgress egress, String sshdImage, long idleTimeoutSeconds,
        boolean endOnDisconnect) {

    /** Key of the plan in the workflow's context. */
    public static final String KEY = "tunnelops.io/plan";

    public boolean generatesClientKey() {
        return userKeys.isEmpty();
    }

    /** Egress the sshd needs to reach its target: pods of a Service, or an address block. */
    public record TargetEgress(Map<String, String> podSelector, String cidr, List<String> exceptCidrs,
            List<PortRule> ports) {

        public static TargetEgress toPods(Map<String, String> selector, List<PortRule> ports) {
            return new TargetEgress(selector, null, List.of(), ports);
        }

        public static TargetEgress toAddresses(String cidr, List<String> except, List<PortRule> ports) {
            return new TargetEgress(null, cidr, except, ports);
        }
    }

    public record PortRule(IntOrString port, String protocol) {
    }
}
