package io.tunnelops.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelPolicyStatus;

/** Writes a one-line summary of each TunnelPolicy into its status, for `kubectl get tunnelpolicies`. */
@ControllerConfiguration(name = "tunnelpolicy")
public class TunnelPolicyReconciler implements Reconciler<TunnelPolicy> {

    static final int MAX_SUMMARY = 200;

    @Override
    public UpdateControl<TunnelPolicy> reconcile(TunnelPolicy policy, Context<TunnelPolicy> context) {
        TunnelPolicyStatus status = new TunnelPolicyStatus();
        status.setSummary(summary(policy));
        status.setObservedGeneration(policy.getMetadata().getGeneration());
        if (status.equals(policy.getStatus())) {
            return UpdateControl.noUpdate();
        }
        policy.setStatus(status);
        return UpdateControl.patchStatus(policy);
    }

    static String summary(TunnelPolicy policy) {
        var spec = policy.getSpec();
        if (spec == null || spec.getTargets() == null || spec.getTargets().isEmpty()) {
            return "nothing";
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
        String summary = String.join(" ", parts) + " via " + exposes.stream().map(Enum::name).collect(Collectors.joining(","));
        return summary.length() > MAX_SUMMARY ? summary.substring(0, MAX_SUMMARY - 3) + "..." : summary;
    }
}
