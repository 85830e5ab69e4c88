package io.tunnelops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where the session's sshd listens, as seen by the user. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Endpoint {

    @JsonPropertyDescription("Host name or IP address to connect to.")
    private String host;

    @JsonPropertyDescription("TCP port to connect to.")
    private Integer port;

    @JsonPropertyDescription("host:port, for display.")
    private String address;

    public Endpoint() {
    }

    public Endpoint(String host, int port) {
        this.host = host;
        this.port = port;
        this.address = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    public String getHost() {
        return host;
    }

    public void setHost(String host) {
        this.host = host;
    }

    public Integer getPort() {
        return port;
    }

    public void setPort(Integer port) {
        this.port = port;
    }

    public String getAddress() {
        return address;
    }

    public void setAddress(String address) {
        this.address = address;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Endpoint e && java.util.Objects.equals(host, e.host) && java.util.Objects.equals(port, e.port)
                && java.util.Objects.equals(address, e.address);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(host, port, address);
    }
}
