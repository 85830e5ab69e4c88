package io.tunnelops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** What the user asks for. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "(has(self.mode) && self.mode == 'Shell') || has(self.target)",
        message = "a Tunnel session needs spec.target")
@ValidationRule(value = "!has(self.mode) || self.mode != 'Shell' || !has(self.target)",
        message = "a Shell session has no spec.target; use spec.shell")
@ValidationRule(value = "(has(self.mode) && self.mode == 'Shell') || !has(self.shell)",
        message = "spec.shell is only for mode Shell")
public class TunnelSessionSpec {

    static final String DURATION = "^([0-9]{1,3}h)?([0-9]{1,4}m)?([0-9]{1,5}s)?$";

    @JsonPropertyDescription("Tunnel (default): port forwarding to spec.target only. Shell: an interactive shell "
            + "in an app's image and environment (spec.shell), or in the operator's toolbox image; needs a TunnelPolicy.")
    @Default("Tunnel")
    private SessionMode mode;

    @JsonPropertyDescription("Tunnel mode: the only destination the tunnel may reach.")
    private Target target;

    @JsonPropertyDescription("Shell mode: the app whose environment the shell copies (absent: the toolbox image).")
    private ShellSpec shell;

    @JsonPropertyDescription("Lifetime of the session, counted from its creation, as a duration such as 30m, 1h or "
            + "1h30m (1m to 24h; default 1h).")
    @Pattern(DURATION)
    @ValidationRule(value = "self != '' && duration(self) >= duration('1m') && duration(self) <= duration('24h')",
            message = "ttl must be a duration between 1m and 24h, such as 30m or 2h")
    private String ttl;

    @JsonPropertyDescription("End the session after this long without an SSH connection, such as 15m "
            + "(5s to 24h; absent: never).")
    @Pattern(DURATION)
    @ValidationRule(value = "self != '' && duration(self) >= duration('5s') && duration(self) <= duration('24h')",
            message = "idleTimeout must be a duration between 5s and 24h, such as 15m")
    private String idleTimeout;

    @JsonPropertyDescription("End the session when its first SSH connection closes (one-shot sessions).")
    private Boolean endOnDisconnect;

    @JsonPropertyDescription("Who may connect, and how the sshd is exposed.")
    private Access access;

    public SessionMode getMode() {
        return mode;
    }

    public void setMode(SessionMode mode) {
        this.mode = mode;
    }

    public Target getTarget() {
        return target;
    }

    public void setTarget(Target target) {
        this.target = target;
    }

    public ShellSpec getShell() {
        return shell;
    }

    public void setShell(ShellSpec shell) {
        this.shell = shell;
    }

    public String getTtl() {
        return ttl;
    }

    public void setTtl(String ttl) {
        this.ttl = ttl;
    }

    public String getIdleTimeout() {
        return idleTimeout;
    }

    public void setIdleTimeout(String idleTimeout) {
        this.idleTimeout = idleTimeout;
    }

    public Boolean getEndOnDisconnect() {
        return endOnDisconnect;
    }

    public void setEndOnDisconnect(Boolean endOnDisconnect) {
        this.endOnDisconnect = endOnDisconnect;
    }

    public Access getAccess() {
        return access;
    }

    public void setAccess(Access access) {
        this.access = access;
    }
}
