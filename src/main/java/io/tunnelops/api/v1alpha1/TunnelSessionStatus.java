package io.tunnelops.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.kubernetes.api.model.Condition;

/** What the operator observed and published. Never holds secret material: credentials stay in the named Secret. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TunnelSessionStatus {

    @JsonPropertyDescription("Pending, Provisioning, Ready, Ended, Expired, Denied or Failed.")
    private SessionPhase phase;

    @JsonPropertyDescription("Standard conditions; type Ready is True once the sshd accepts connections "
            + "(kubectl wait --for=condition=Ready).")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The destinations the tunnel may reach, as \"host:port\" for display; for a Shell session, where its "
            + "environment comes from (deployment/<name> or toolbox).")
    private String target;

    @JsonPropertyDescription("Shell mode: what the shell's pod took from the app, and what it left out.")
    private ShellStatus shell;

    @JsonPropertyDescription("Where to connect.")
    private Endpoint endpoint;

    @JsonPropertyDescription("The SSH user name to log in as.")
    private String username;

    @JsonPropertyDescription("SHA256 fingerprint of the session's host key, as ssh-keygen -lf prints it; verify it "
            + "instead of trusting on first use.")
    private String hostKeyFingerprint;

    @JsonPropertyDescription("Name of the Secret holding the client private key (if generated), known_hosts and an "
            + "ssh_config snippet.")
    private String credentialsSecret;

    @JsonPropertyDescription("A ready ssh command line for this session.")
    private String sshCommand;

    @JsonPropertyDescription("When the session expires: creation time plus ttl (RFC 3339).")
    private String expiresAt;

    @JsonPropertyDescription("When the session ended (RFC 3339).")
    private String endedAt;

    @JsonPropertyDescription("Why the session ended: Expired, Idle, Disconnected, Deleted or Denied.")
    private EndReason endReason;

    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    public SessionPhase getPhase() {
        return phase;
    }

    public void setPhase(SessionPhase phase) {
        this.phase = phase;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public String getTarget() {
        return target;
    }

    public void setTarget(String target) {
        this.target = target;
    }

    public Endpoint getEndpoint() {
        return endpoint;
    }

    public void setEndpoint(Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    public String getUsername() {
        return username;
    }

    public void setUsername(String username) {
        this.username = username;
    }

    public String getHostKeyFingerprint() {
        return hostKeyFingerprint;
    }

    public void setHostKeyFingerprint(String hostKeyFingerprint) {
        this.hostKeyFingerprint = hostKeyFingerprint;
    }

    public String getCredentialsSecret() {
        return credentialsSecret;
    }

    public void setCredentialsSecret(String credentialsSecret) {
        this.credentialsSecret = credentialsSecret;
    }

    public String getSshCommand() {
        return sshCommand;
    }

    public void setSshCommand(String sshCommand) {
        this.sshCommand = sshCommand;
    }

    public String getExpiresAt() {
        return expiresAt;
    }

    public void setExpiresAt(String expiresAt) {
        this.expiresAt = expiresAt;
    }

    public String getEndedAt() {
        return endedAt;
    }

    public void setEndedAt(String endedAt) {
        this.endedAt = endedAt;
    }

    public EndReason getEndReason() {
        return endReason;
    }

    public void setEndReason(EndReason endReason) {
        this.endReason = endReason;
    }

    public ShellStatus getShell() {
        return shell;
    }

    public void setShell(ShellStatus shell) {
        this.shell = shell;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TunnelSessionStatus s && phase == s.phase && Objects.equals(conditions, s.conditions)
                && Objects.equals(target, s.target) && Objects.equals(shell, s.shell) && Objects.equals(endpoint, s.endpoint)
                && Objects.equals(username, s.username) && Objects.equals(hostKeyFingerprint, s.hostKeyFingerprint)
                && Objects.equals(credentialsSecret, s.credentialsSecret) && Objects.equals(sshCommand, s.sshCommand)
                && Objects.equals(expiresAt, s.expiresAt) && Objects.equals(endedAt, s.endedAt)
                && endReason == s.endReason && Objects.equals(observedGeneration, s.observedGeneration);
    }

    @Override
    public int hashCode() {
        return Objects.hash(phase, target, endpoint, sshCommand, expiresAt, observedGeneration);
    }
}
