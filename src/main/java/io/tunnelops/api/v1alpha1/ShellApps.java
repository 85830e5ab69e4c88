package io.tunnelops.api.v1alpha1;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;

/**
 * The Deployments of a namespace whose environment a Shell session may copy. A shell holds the app's variables and
 * mounted Secrets, so each app is allowed by name or label, never by default.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ShellApps {

    @JsonPropertyDescription("Deployments of this namespace, by name.")
    @Size(max = 64)
    private List<@Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$") @Size(max = 253) String> deployments = new ArrayList<>();

    @JsonPropertyDescription("Deployments of this namespace whose labels include all of these.")
    @Size(max = 16)
    private Map<String, String> deploymentLabels = new LinkedHashMap<>();

    public List<String> getDeployments() {
        return deployments;
    }

    public void setDeployments(List<String> deployments) {
        this.deployments = deployments;
    }

    public Map<String, String> getDeploymentLabels() {
        return deploymentLabels;
    }

    public void setDeploymentLabels(Map<String, String> deploymentLabels) {
        this.deploymentLabels = deploymentLabels;
    }
}
