package io.tunnelops.session;

import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.ssh.AuthorizedKey;

/**
 * Everything a valid session resolves to, computed once per reconcile by {@link SessionPlanner} and read by the
 * owned-resource classes: they never look at the raw spec for security-relevant values.
 *
 * @param permitOpen "host:port" strings, exactly as sshd's PermitOpen and the user's -L use them; empty in Shell mode
 * @param targetDisplay short description for `kubectl get`: the target, or where a shell's environment comes from
 * @param userKeys validated keys of access.authorizedKeys; empty means the operator generates a client key
 * @param egress where the sshd (or the shell) may connect to, besides cluster DNS
 * @param idleTimeoutSeconds 0 for none; enforced inside the pod by the entrypoint
 * @param shell Shell mode: what the shell's pod takes from its app; null in Tunnel mode
 */
public record SessionPlan(SessionMode mode, List<String> permitOpen, String targetDisplay, List<AuthorizedKey> userKeys,
        Expose expose, List<String> sourceRanges, List<TargetEgress> egress, String sshdImage, long idleTimeoutSeconds,
        boolean endOnDisconnect, ShellSource shell) {

    public SessionPlan {
        permitOpen = List.copyOf(permitOpen);
        egress = List.copyOf(egress);
    }

    public boolean isShell() {
        return mode == SessionMode.Shell;
    }

    /** A Shell session's egress is decided by the policy that allows it, after planning. */
    public SessionPlan withEgress(List<TargetEgress> newEgress) {
        return new SessionPlan(mode, permitOpen, targetDisplay, userKeys, expose, sourceRanges, newEgress, sshdImage,
                idleTimeoutSeconds, endOnDisconnect, shell);
    }

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
