package io.tunnelops.policy;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import jakarta.inject.Inject;

import io.fabric8.kubernetes.api.model.Condition;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.ShellApps;
import io.tunnelops.api.v1alpha1.TunnelPolicySpec;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelPolicyStatus;
import io.tunnelops.session.ReadyCondition;

/**
 * Writes a one-line summary of each TunnelPolicy into its status, for `kubectl get tunnelpolicies`, and an Accepted
 * condition that names any entry the operator refuses.
 */
@ControllerConfiguration(name = "tunnelpolicy")
public class TunnelPolicyReconciler implements Reconciler<TunnelPolicy> {

    static final int MAX_SUMMARY = 200;

    static final String ACCEPTED = "Accepted";

    @Inject
    Clock clock;

    @Override
    public UpdateControl<TunnelPolicy> reconcile(TunnelPolicy policy, Context<TunnelPolicy> context) {
        TunnelPolicyStatus previous = policy.getStatus() == null ? new TunnelPolicyStatus() : policy.getStatus();
        List<String> problems = PolicyProblems.of(policy.getSpec());
        TunnelPolicyStatus status = new TunnelPolicyStatus();
        String summary = problems.isEmpty() ? summary(policy) : "refused: " + String.join("; ", problems);
        status.setSummary(summary.length() > MAX_SUMMARY ? summary.substring(0, MAX_SUMMARY - 3) + "..." : summary);
        status.setObservedGeneration(policy.getMetadata().getGeneration());
        status.setConditions(accepted(previous.getConditions(), problems, policy.getMetadata().getGeneration()));
        if (status.equals(policy.getStatus())) {
            return UpdateControl.noUpdate();
        }
        policy.setStatus(status);
        return UpdateControl.patchStatus(policy);
    }

    private List<Condition> accepted(List<Condition> existing, List<String> problems, Long generation) {
        return ReadyCondition.set(existing, ACCEPTED, problems.isEmpty(), problems.isEmpty() ? "Valid" : "InvalidEntries",
                problems.isEmpty() ? "every host and range is valid"
                        : "this policy allows nothing until fixed: " + String.join("; ", problems),
                generation, clock.instant());
    }

    static String summary(TunnelPolicy policy) {
        var spec = policy.getSpec();
        String shells = spec == null ? "" : shells(spec);
        if (spec == null || spec.getTargets() == null || spec.getTargets().isEmpty()) {
            return shells.isEmpty() ? "nothing" : shells;
        }
        List<String> parts = new ArrayList<>();
        for (PolicyTarget target : spec.getTargets()) {
            List<String> what = new ArrayList<>();
            if (target.getServices() != null) {
                target.getServices().forEach(s -> what.add("svc/" + s));
            }
            if (target.getServiceLabels() != null && !target.getServiceLabels().isEmpty()) {
                what.add("svc{" + target.getServiceLabels().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining(",")) + "}");
            }
            if (target.getHosts() != null) {
                what.addAll(target.getHosts());
            }
            if (target.getCidrs() != null) {
                what.addAll(target.getCidrs());
            }
            parts.add(String.join(",", what) + ":" + (target.getPorts() == null ? "" : target.getPorts().stream()
                    .map(String::valueOf).collect(Collectors.joining(","))));
        }
        List<Expose> exposes = spec.getAllowedExpose() == null || spec.getAllowedExpose().isEmpty()
                ? List.of(Expose.ClusterIP) : spec.getAllowedExpose();
        String summary = String.join(" ", parts) + " via " + exposes.stream().map(Enum::name).collect(Collectors.joining(","))
                + (shells.isEmpty() ? "" : "; " + shells);
        return summary.length() > MAX_SUMMARY ? summary.substring(0, MAX_SUMMARY - 3) + "..." : summary;
    }

    /** "shells in toolbox,deploy/app01,deploy{team=a}" when the policy allows Shell sessions, else empty. */
    private static String shells(TunnelPolicySpec spec) {
        if (spec.getModes() == null || !spec.getModes().contains(SessionMode.Shell)) {
            return "";
        }
        List<String> where = new ArrayList<>(List.of("toolbox"));
        ShellApps apps = spec.getShellApps();
        if (apps != null && apps.getDeployments() != null) {
            apps.getDeployments().forEach(d -> where.add("deploy/" + d));
        }
        if (apps != null && apps.getDeploymentLabels() != null && !apps.getDeploymentLabels().isEmpty()) {
            where.add("deploy{" + apps.getDeploymentLabels().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(",")) + "}");
        }
        return "shells in " + String.join(",", where);
    }
}
