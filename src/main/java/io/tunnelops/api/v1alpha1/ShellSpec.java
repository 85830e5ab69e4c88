package io.tunnelops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Shell mode: where the shell's environment comes from. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.container) || has(self.fromDeployment)",
        message = "spec.shell.container needs spec.shell.fromDeployment")
public class ShellSpec {

    @JsonPropertyDescription("Name of a Deployment in the session's namespace whose container image, env, envFrom and "
            + "config volumes the shell copies, read once when the shell is provisioned (absent: the toolbox image). The "
            + "live pods are never touched.")
    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    @Size(max = 253)
    private String fromDeployment;

    @JsonPropertyDescription("Which container of that Deployment to copy (default: the first).")
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    @Size(max = 63)
    private String container;

    public String getFromDeployment() {
        return fromDeployment;
    }

    public void setFromDeployment(String fromDeployment) {
        this.fromDeployment = fromDeployment;
    }

    public String getContainer() {
        return container;
    }

    public void setContainer(String container) {
        this.container = container;
    }
}
