package io.tunnelops.api.v1alpha1;

import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A one-line summary of what the policy allows, for `kubectl get tunnelpolicies`. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TunnelPolicyStatus {

    @JsonPropertyDescription("What the policy allows, in one line.")
    private String summary;

    @JsonPropertyDescription("The metadata.generation the summary describes.")
    private Long observedGeneration;

    public String getSummary() {
        return summary;
    }

    public void setSummary(String summary) {
        this.summary = summary;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TunnelPolicyStatus s && Objects.equals(summary, s.summary)
                && Objects.equals(observedGeneration, s.observedGeneration);
    }

    @Override
    public int hashCode() {
        return Objects.hash(summary, observedGeneration);
    }
}
