package io.tunnelops.policy;

import java.util.ArrayList;
import java.util.List;

import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.TunnelPolicySpec;
import io.tunnelops.net.Cidrs;
import io.tunnelops.net.HostSyntax;
import io.tunnelops.net.InvalidHostException;
import io.tunnelops.net.Ipv4Range;

/**
 * What makes a TunnelPolicy unusable: a host entry that resolvers would read as a number, or a range that is not a
 * canonical IPv4 CIDR. A policy with any such entry allows nothing, so a typo can never widen what it allows.
 */
public final class PolicyProblems {

    private PolicyProblems() {
    }

    public static List<String> of(TunnelPolicySpec spec) {
        List<String> problems = new ArrayList<>();
        if (spec == null || spec.getTargets() == null) {
            return problems;
        }
        for (int i = 0; i < spec.getTargets().size(); i++) {
            PolicyTarget rule = spec.getTargets().get(i);
            List<String> hosts = rule.getHosts() == null ? List.of() : rule.getHosts();
            for (int j = 0; j < hosts.size(); j++) {
                try {
                    HostSyntax.parsePattern(hosts.get(j));
                } catch (InvalidHostException e) {
                    problems.add("spec.targets[" + i + "].hosts[" + j + "] " + hosts.get(j) + " " + e.getMessage());
                }
            }
            List<String> cidrs = rule.getCidrs() == null ? List.of() : rule.getCidrs();
            for (int j = 0; j < cidrs.size(); j++) {
                if (Ipv4Range.parse(cidrs.get(j)).isEmpty()) {
                    String problem = Cidrs.problem(cidrs.get(j));
                    problems.add("spec.targets[" + i + "].cidrs[" + j + "] " + cidrs.get(j) + " "
                            + (problem != null ? problem : "is not an IPv4 range") + " (an IPv4 range such as 10.20.0.0/16)");
                }
            }
        }
        return problems;
    }
}
