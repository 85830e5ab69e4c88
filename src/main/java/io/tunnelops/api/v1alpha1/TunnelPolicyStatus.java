package io.tunnelops.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.kubernetes.api.model.Condition;

/** A one-line summary of what the policy allows, for `kubectl get tunnelpolicies`, and whether it is accepted. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TunnelPolicyStatus {

    @JsonPropertyDescription("What the policy allows, in one line.")
    private String summary;

    @JsonPropertyDescription("The metadata.generation the summary describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Standard conditions; type Accepted is False, with the entries to fix, when a host or "
            + "range is written in a form the operator refuses. A policy that is not accepted allows nothing.")
    private List<Condition> conditions = new ArrayList<>();

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

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TunnelPolicyStatus s && Objects.equals(summary, s.summary)
                && Objects.equals(observedGeneration, s.observedGeneration) && Objects.equals(conditions, s.conditions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(summary, observedGeneration, conditions);
    }
}
