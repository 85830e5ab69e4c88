package io.tunnelops.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** Who may connect to the session's sshd, and from where. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Access {

    static final String PUBLIC_KEY = "^(ssh-ed25519|sk-ssh-ed25519@openssh\\.com|ecdsa-sha2-nistp(256|384|521)"
            + "|sk-ecdsa-sha2-nistp256@openssh\\.com|ssh-rsa) [A-Za-z0-9+/]+={0,3}( [^\\r\\n]*)?$";
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    static final String IPV4_CIDR = "^(" + OCTET + "\\.){3}" + OCTET + "/([0-9]|[12][0-9]|3[0-2])$";
    static final String CIDR = "^((" + OCTET + "\\.){3}" + OCTET + "/([0-9]|[12][0-9]|3[0-2])"
            + "|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$";

    @JsonPropertyDescription("The user's own OpenSSH public keys, one per entry, as in authorized_keys but without "
            + "options (for example \"ssh-ed25519 AAAA... me@laptop\"). Allowed types: ssh-ed25519, ecdsa-sha2-nistp*, "
            + "security-key variants and ssh-rsa of 3072 bits or more. When empty, the operator generates an ed25519 "
            + "client key pair and stores its private key in the credentials Secret.")
    @Size(max = 16)
    private List<@Pattern(PUBLIC_KEY) @Size(max = 16384) String> authorizedKeys = new ArrayList<>();

    @JsonPropertyDescription("How the sshd is exposed: ClusterIP (default, in-cluster only), NodePort or LoadBalancer.")
    @Default("ClusterIP")
    private Expose expose;

    @JsonPropertyDescription("CIDRs allowed to reach the sshd (NetworkPolicy ingress and the load balancer's source "
            + "ranges). Empty: any source that can route to the endpoint.")
    @Size(max = 16)
    private List<@Pattern(CIDR) @Size(max = 43) String> sourceRanges = new ArrayList<>();

    public List<@Pattern(PUBLIC_KEY) @Size(max = 16384) String> getAuthorizedKeys() {
        return authorizedKeys;
    }

    public void setAuthorizedKeys(List<String> authorizedKeys) {
        this.authorizedKeys = authorizedKeys;
    }

    public Expose getExpose() {
        return expose;
    }

    public void setExpose(Expose expose) {
        this.expose = expose;
    }

    public List<String> getSourceRanges() {
        return sourceRanges;
    }

    public void setSourceRanges(List<String> sourceRanges) {
        this.sourceRanges = sourceRanges;
    }
}
