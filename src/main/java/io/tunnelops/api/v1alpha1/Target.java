package io.tunnelops.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The only destination a Tunnel session may forward to: a Service of the session's namespace, or a host. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.service) != has(self.host)",
        message = "set exactly one of target.service or target.host")
public class Target {

    @JsonPropertyDescription("Name of a Service in the session's namespace. The tunnel goes to its cluster DNS name "
            + "<service>.<namespace>.svc.cluster.local on the given ports, which the Service must expose.")
    @Pattern("^[a-z]([-a-z0-9]*[a-z0-9])?$")
    @Size(max = 63)
    private String service;

    @JsonPropertyDescription("A host name or IPv4 address outside the cluster's Services. Loopback, link-local and "
            + "cloud metadata addresses are refused.")
    @Pattern("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
    @Size(max = 253)
    private String host;

    @JsonPropertyDescription("The target ports the tunnel may reach: 1 to 8 distinct ports, each 1..65535.")
    @Required
    @Size(min = 1, max = 8)
    @ValidationRule(value = "self.all(p, self.exists_one(q, q == p))", message = "ports must not repeat")
    private List<@Min(1) @Max(65535) Integer> ports = new ArrayList<>();

    public String getService() {
        return service;
    }

    public void setService(String service) {
        this.service = service;
    }

    public String getHost() {
        return host;
    }

    public void setHost(String host) {
        this.host = host;
    }

    public List<Integer> getPorts() {
        return ports;
    }

    public void setPorts(List<Integer> ports) {
        this.ports = ports;
    }
}
