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

    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    /** A canonical dotted-decimal address, or a name whose last label no resolver reads as a number. */
    static final String CANONICAL_IPV4 = "'^" + OCTET + "([.]" + OCTET + "){3}$'";
    static final String ENDS_IN_A_NUMBER = "'(^|[.])([0-9]+|0[xX][0-9A-Fa-f]*)$'";
    static final String HOST_NOT_NUMERIC = "self.matches(" + CANONICAL_IPV4 + ") || !self.matches(" + ENDS_IN_A_NUMBER + ")";
    /** What the API server says of a host a resolver would read as a number; quoted by the tests. */
    public static final String HOST_NOT_NUMERIC_MESSAGE = "must be an IPv4 address in dotted decimal (10.0.0.5) or a DNS "
            + "name whose last label is not a number: resolvers read 0177.0.0.1, 0x7f.1, 127.1 and 2130706433 as "
            + "addresses";

    @JsonPropertyDescription("Name of a Service in the session's namespace. The tunnel goes to its cluster DNS name "
            + "<service>.<namespace>.svc.cluster.local on the given ports, which the Service must expose.")
    @Pattern("^[a-z]([-a-z0-9]*[a-z0-9])?$")
    @Size(max = 63)
    private String service;

    @JsonPropertyDescription("A host name or IPv4 address outside the cluster's Services. An address is written in "
            + "dotted decimal (10.0.0.5); a name's last label is not a number, since resolvers read forms such as "
            + "0177.0.0.1, 0x7f.1, 127.1 or 2130706433 as addresses. Loopback, link-local and cloud metadata addresses "
            + "are refused.")
    @ValidationRule(value = HOST_NOT_NUMERIC, message = HOST_NOT_NUMERIC_MESSAGE)
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
