package io.tunnelops.policy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.ShellApps;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelPolicySpec;
import io.tunnelops.net.Ipv4Range;

/**
 * Default deny, in the spirit of Consul's ACLs. Without any TunnelPolicy in its namespace a session may only tunnel to
 * a Service of that namespace, exposed as ClusterIP, in Tunnel mode, for at most the operator's maximum ttl. With
 * policies, only they decide, and a session is allowed when one policy allows all of it.
 */
public final class PolicyEvaluator {

    private PolicyEvaluator() {
    }

    public static PolicyDecision evaluate(List<TunnelPolicy> policies, SessionRequest request, String namespace,
            Duration operatorMaxTtl) {
        if (policies.isEmpty()) {
            return byDefault(request, namespace, operatorMaxTtl);
        }
        List<Verdict> verdicts = policies.stream()
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .map(p -> new Verdict(p.getMetadata().getName(), p.getSpec(),
                        violations(p.getSpec(), request, operatorMaxTtl)))
                .toList();
        for (Verdict verdict : verdicts) {
            if (verdict.violations().isEmpty()) {
                return PolicyDecision.allow("TunnelPolicy " + verdict.policy(), verdict.spec());
            }
        }
        // the policy that comes closest tells the user what is missing
        Verdict closest = verdicts.stream().min(Comparator.comparingInt(v -> v.violations().size())).orElseThrow();
        String prefix = verdicts.size() == 1 ? "denied by TunnelPolicy " + closest.policy() + ": "
                : "no TunnelPolicy in namespace " + namespace + " allows this session; the closest, " + closest.policy()
                        + ", says: ";
        return PolicyDecision.deny(closest.violations().get(0).reason(), prefix + texts(closest.violations()));
    }

    /** Whether some accepted policy lists the mode (no policy allows anything but Tunnel). */
    public static boolean anyAllows(List<TunnelPolicy> policies, SessionMode mode) {
        return policies.stream().map(TunnelPolicy::getSpec).anyMatch(spec -> spec != null && spec.getModes() != null
                && spec.getModes().contains(mode) && PolicyProblems.of(spec).isEmpty());
    }

    private record Verdict(String policy, TunnelPolicySpec spec, List<Violation> violations) {
    }

    /** A rule the session breaks: what to tell the user, and which kind of rule it is (the denial's reason). */
    private record Violation(DenialReason reason, String text) {
    }

    private static String texts(List<Violation> violations) {
        return violations.stream().map(Violation::text).collect(Collectors.joining("; "));
    }

    private static PolicyDecision byDefault(SessionRequest request, String namespace, Duration operatorMaxTtl) {
        List<Violation> missing = new ArrayList<>();
        if (request.mode() != SessionMode.Tunnel) {
            missing.add(new Violation(DenialReason.Mode, "mode " + request.mode() + " needs a TunnelPolicy listing it in spec.modes"
                    + (request.shellApp() != null ? " and Deployment " + request.shellApp() + " in spec.shellApps" : "")));
        }
        if (request.host() != null) {
            missing.add(new Violation(DenialReason.Target, "host " + request.host() + " needs a TunnelPolicy in namespace "
                    + namespace + " listing it in spec.targets[].hosts (or a range holding it in spec.targets[].cidrs) with ports "
                    + ports(request.ports())));
        }
        if (request.expose() != Expose.ClusterIP) {
            missing.add(new Violation(DenialReason.Expose, "expose " + request.expose()
                    + " needs a TunnelPolicy listing it in spec.allowedExpose"));
        }
        if (request.ttl().compareTo(operatorMaxTtl) > 0) {
            missing.add(new Violation(DenialReason.Ttl, "ttl " + text(request.ttl()) + " exceeds the operator's maximum "
                    + text(operatorMaxTtl) + " (a TunnelPolicy's spec.maxTtl can allow up to 24h)"));
        }
        return missing.isEmpty() ? PolicyDecision.allow("default", null)
                : PolicyDecision.deny(missing.get(0).reason(), "namespace " + namespace + " has no TunnelPolicy, so only its "
                        + "own Services, exposed as ClusterIP, are allowed: " + texts(missing));
    }

    private static List<Violation> violations(TunnelPolicySpec spec, SessionRequest request, Duration operatorMaxTtl) {
        List<Violation> violations = new ArrayList<>();
        if (spec == null) {
            return List.of(new Violation(DenialReason.InvalidPolicy, "the policy has no spec"));
        }
        List<String> problems = PolicyProblems.of(spec);
        if (!problems.isEmpty()) {
            return List.of(new Violation(DenialReason.InvalidPolicy,
                    "the policy is refused and allows nothing until fixed: " + String.join("; ", problems)));
        }
        List<SessionMode> modes = spec.getModes() == null || spec.getModes().isEmpty() ? List.of(SessionMode.Tunnel)
                : spec.getModes();
        if (!modes.contains(request.mode())) {
            violations.add(new Violation(DenialReason.Mode, "mode " + request.mode() + " is not allowed; add it to spec.modes"));
        }
        if (request.mode() == SessionMode.Shell) {
            violations.addAll(shellViolations(spec.getShellApps(), request));
        } else {
            violations.addAll(targetViolations(spec.getTargets() == null ? List.of() : spec.getTargets(), request));
        }
        Duration maxTtl = spec.getMaxTtl() == null ? operatorMaxTtl : parse(spec.getMaxTtl());
        if (request.ttl().compareTo(maxTtl) > 0) {
            violations.add(new Violation(DenialReason.Ttl, "ttl " + text(request.ttl()) + " exceeds spec.maxTtl " + text(maxTtl)));
        }
        if (spec.getMaxIdleTimeout() != null) {
            Duration maxIdle = parse(spec.getMaxIdleTimeout());
            if (request.idleTimeout() == null) {
                violations.add(new Violation(DenialReason.IdleTimeout, "spec.idleTimeout is required, at most " + text(maxIdle)
                        + " (spec.maxIdleTimeout)"));
            } else if (request.idleTimeout().compareTo(maxIdle) > 0) {
                violations.add(new Violation(DenialReason.IdleTimeout, "idleTimeout " + text(request.idleTimeout())
                        + " exceeds spec.maxIdleTimeout " + text(maxIdle)));
            }
        }
        List<Expose> exposes = spec.getAllowedExpose() == null || spec.getAllowedExpose().isEmpty()
                ? List.of(Expose.ClusterIP) : spec.getAllowedExpose();
        if (!exposes.contains(request.expose())) {
            violations.add(new Violation(DenialReason.Expose, "expose " + request.expose()
                    + " is not allowed; add it to spec.allowedExpose"));
        }
        if (request.expose() != Expose.ClusterIP && !Boolean.FALSE.equals(spec.getRequireSourceRanges())
                && request.sourceRanges().isEmpty()) {
            violations.add(new Violation(DenialReason.SourceRanges, "a session exposed as " + request.expose()
                    + " must list spec.access.sourceRanges (spec.requireSourceRanges)"));
        }
        return violations;
    }

    /** A shell holds its app's variables and mounted Secrets: each app must be allowed by name or label. */
    private static List<Violation> shellViolations(ShellApps apps, SessionRequest request) {
        if (request.shellApp() == null) {
            return List.of(); // the toolbox copies no app
        }
        if (apps != null && apps.getDeployments() != null && apps.getDeployments().contains(request.shellApp())) {
            return List.of();
        }
        Map<String, String> wanted = apps == null ? null : apps.getDeploymentLabels();
        if (wanted != null && !wanted.isEmpty() && request.shellAppLabels() != null
                && request.shellAppLabels().entrySet().containsAll(wanted.entrySet())) {
            return List.of();
        }
        return List.of(new Violation(DenialReason.ShellApp, "a shell in Deployment " + request.shellApp()
                + " is not allowed; add it to spec.shellApps.deployments (or match its labels with "
                + "spec.shellApps.deploymentLabels)"));
    }

    private static List<Violation> targetViolations(List<PolicyTarget> rules, SessionRequest request) {
        List<PolicyTarget> matching = rules.stream().filter(rule -> matches(rule, request)).toList();
        if (matching.isEmpty()) {
            String field = request.service() != null ? "spec.targets[].services (or serviceLabels)"
                    : "spec.targets[].hosts (or cidrs)";
            return List.of(new Violation(DenialReason.Target, request.targetDisplay() + " is not an allowed target; add it to "
                    + field + " with ports " + ports(request.ports())));
        }
        for (PolicyTarget rule : matching) {
            if (rule.getPorts() != null && rule.getPorts().containsAll(request.ports())) {
                return List.of();
            }
        }
        List<Integer> missing = request.ports().stream()
                .filter(p -> matching.stream().noneMatch(r -> r.getPorts() != null && r.getPorts().contains(p))).toList();
        return List.of(new Violation(DenialReason.Port, "port" + (missing.size() == 1 ? " " : "s ")
                + ports(missing.isEmpty() ? request.ports() : missing) + " of " + request.targetDisplay()
                + (missing.size() == 1 ? " is" : " are") + " not allowed; add to spec.targets[].ports of the rule that lists it"));
    }

    private static boolean matches(PolicyTarget rule, SessionRequest request) {
        if (request.service() != null) {
            if (rule.getServices() != null && rule.getServices().contains(request.service())) {
                return true;
            }
            Map<String, String> wanted = rule.getServiceLabels();
            return wanted != null && !wanted.isEmpty() && request.serviceLabels() != null
                    && request.serviceLabels().entrySet().containsAll(wanted.entrySet());
        }
        String host = request.host().toLowerCase(Locale.ROOT);
        for (String allowed : rule.getHosts() == null ? List.<String>of() : rule.getHosts()) {
            String pattern = allowed.toLowerCase(Locale.ROOT);
            if (pattern.startsWith("*.") ? host.endsWith(pattern.substring(1)) && host.length() > pattern.length() - 1
                    : host.equals(pattern)) {
                return true;
            }
        }
        return (rule.getCidrs() == null ? List.<String>of() : rule.getCidrs()).stream()
                .anyMatch(cidr -> Ipv4Range.parse(cidr).map(r -> r.contains(host)).orElse(false));
    }

    private static Duration parse(String duration) {
        try {
            return io.tunnelops.session.SessionDurations.parse("policy duration", duration);
        } catch (io.tunnelops.session.InvalidSessionException e) {
            return Duration.ZERO; // an unreadable limit allows nothing
        }
    }

    static String text(Duration d) {
        if (d.toSecondsPart() == 0 && d.toMinutesPart() == 0) {
            return d.toHours() + "h";
        }
        return d.toSeconds() % 60 == 0 ? (d.toHours() > 0 ? d.toHours() + "h" : "") + d.toMinutesPart() + "m"
                : d.toSeconds() + "s";
    }

    private static String ports(List<Integer> ports) {
        return ports.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
