package io.tunnelops.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** What sessions of this namespace may do. Everything not listed is denied. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TunnelPolicySpec {

    @JsonPropertyDescription("Allowed destinations and their ports.")
    @Size(max = 32)
    private List<PolicyTarget> targets = new ArrayList<>();

    @JsonPropertyDescription("Allowed session modes (default: Tunnel only).")
    @Size(max = 2)
    private List<SessionMode> modes = new ArrayList<>();

    @JsonPropertyDescription("Shell mode: the Deployments whose image, environment and config a shell may copy. A "
            + "Shell session without spec.shell.fromDeployment (the toolbox) needs only Shell in spec.modes.")
    private ShellApps shellApps;

    @JsonPropertyDescription("Longest spec.ttl a session may ask for, 1m to 24h (default: the operator's maximum).")
    @Pattern(TunnelSessionSpec.DURATION)
    @ValidationRule(value = "self != '' && duration(self) >= duration('1m') && duration(self) <= duration('24h')",
            message = "maxTtl must be a duration between 1m and 24h")
    private String maxTtl;

    @JsonPropertyDescription("When set, every session must set spec.idleTimeout, at most this long.")
    @Pattern(TunnelSessionSpec.DURATION)
    @ValidationRule(value = "self != '' && duration(self) >= duration('5s') && duration(self) <= duration('24h')",
            message = "maxIdleTimeout must be a duration between 5s and 24h")
    private String maxIdleTimeout;

    @JsonPropertyDescription("Allowed values of spec.access.expose (default: ClusterIP only).")
    @Size(max = 3)
    private List<Expose> allowedExpose = new ArrayList<>();

    @JsonPropertyDescription("Sessions exposed as NodePort or LoadBalancer must list spec.access.sourceRanges "
            + "(default true).")
    private Boolean requireSourceRanges;

    public List<PolicyTarget> getTargets() {
        return targets;
    }

    public void setTargets(List<PolicyTarget> targets) {
        this.targets = targets;
    }

    public List<SessionMode> getModes() {
        return modes;
    }

    public void setModes(List<SessionMode> modes) {
        this.modes = modes;
    }

    public ShellApps getShellApps() {
        return shellApps;
    }

    public void setShellApps(ShellApps shellApps) {
        this.shellApps = shellApps;
    }

    public String getMaxTtl() {
        return maxTtl;
    }

    public void setMaxTtl(String maxTtl) {
        this.maxTtl = maxTtl;
    }

    public String getMaxIdleTimeout() {
        return maxIdleTimeout;
    }

    public void setMaxIdleTimeout(String maxIdleTimeout) {
        this.maxIdleTimeout = maxIdleTimeout;
    }

    public List<Expose> getAllowedExpose() {
        return allowedExpose;
    }

    public void setAllowedExpose(List<Expose> allowedExpose) {
        this.allowedExpose = allowedExpose;
    }

    public Boolean getRequireSourceRanges() {
        return requireSourceRanges;
    }

    public void setRequireSourceRanges(Boolean requireSourceRanges) {
        this.requireSourceRanges = requireSourceRanges;
    }
}
