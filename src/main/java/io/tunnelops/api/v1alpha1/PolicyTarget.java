package io.tunnelops.api.v1alpha1;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Destinations a policy allows, and on which ports. A session's target must match one rule with all its ports. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PolicyTarget {

    @JsonPropertyDescription("Services of this namespace, by name.")
    @Size(max = 64)
    private List<@Pattern("^[a-z]([-a-z0-9]*[a-z0-9])?$") @Size(max = 63) String> services = new ArrayList<>();

    @JsonPropertyDescription("Services of this namespace whose labels include all of these.")
    @Size(max = 16)
    private Map<String, String> serviceLabels = new LinkedHashMap<>();

    @JsonPropertyDescription("Host names, exactly (db.internal) or by suffix (*.corp.example matches a.corp.example, "
            + "not corp.example), or IPv4 addresses in dotted decimal. A name's last label is not a number.")
    @Size(max = 64)
    @ValidationRule(value = "self.all(h, h.matches(" + Target.CANONICAL_IPV4 + ") || !h.matches("
            + Target.ENDS_IN_A_NUMBER + "))", message = "each host "
            + Target.HOST_NOT_NUMERIC_MESSAGE)
    private List<@Pattern("^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
            @Size(max = 253) String> hosts = new ArrayList<>();

    @JsonPropertyDescription("IPv4 ranges a target.host address may be in, such as 10.20.0.0/16.")
    @Size(max = 64)
    private List<@Pattern(Access.IPV4_CIDR) @Size(max = 18) String> cidrs = new ArrayList<>();

    @JsonPropertyDescription("The ports allowed on these destinations (1 to 32 ports).")
    @Required
    @Size(min = 1, max = 32)
    private List<@Min(1) @Max(65535) Integer> ports = new ArrayList<>();

    public List<String> getServices() {
        return services;
    }

    public void setServices(List<String> services) {
        this.services = services;
    }

    public Map<String, String> getServiceLabels() {
        return serviceLabels;
    }

    public void setServiceLabels(Map<String, String> serviceLabels) {
        this.serviceLabels = serviceLabels;
    }

    public List<String> getHosts() {
        return hosts;
    }

    public void setHosts(List<String> hosts) {
        this.hosts = hosts;
    }

    public List<String> getCidrs() {
        return cidrs;
    }

    public void setCidrs(List<String> cidrs) {
        this.cidrs = cidrs;
    }

    public List<Integer> getPorts() {
        return ports;
    }

    public void setPorts(List<Integer> ports) {
        this.ports = ports;
    }
}
