package io.tunnelops.session.resources;

import java.util.stream.Collectors;

import io.tunnelops.api.v1alpha1.Endpoint;
import io.tunnelops.session.SessionPlan;
import io.tunnelops.ssh.SshdLayout;

/** How a user connects: the one-line ssh command of the status, and the ssh_config snippet of the Secret. */
public final class SshCommands {

    private SshCommands() {
    }

    /** Forward each target port to the same local port; privileged ports move to 10000+port (no root needed). */
    static int localPort(int targetPort) {
        return targetPort < 1024 ? 10000 + targetPort : targetPort;
    }

    private static int port(String permitOpen) {
        return Integer.parseInt(permitOpen.substring(permitOpen.lastIndexOf(':') + 1));
    }

    public static String sshCommand(Endpoint endpoint, SessionPlan plan) {
        if (plan.isShell()) {
            return "ssh -t -p " + endpoint.getPort() + " " + SshdLayout.USERNAME + "@" + endpoint.getHost();
        }
        String forwards = plan.permitOpen().stream().map(p -> "-L " + localPort(port(p)) + ":" + p)
                .collect(Collectors.joining(" "));
        return "ssh -N " + forwards + " -p " + endpoint.getPort() + " " + SshdLayout.USERNAME + "@" + endpoint.getHost();
    }

    static String sshConfig(String name, String namespace, Endpoint endpoint, SessionPlan plan) {
        StringBuilder config = new StringBuilder()
                .append("# TunnelSession ").append(namespace).append('/').append(name).append('\n')
                .append("# Save this Secret's items in one directory, then from that directory: ssh ")
                .append(plan.isShell() ? "" : "-N ").append("-F ssh_config ").append(name).append('\n')
                .append("Host ").append(name).append('\n')
                .append("  HostName ").append(endpoint.getHost()).append('\n')
                .append("  Port ").append(endpoint.getPort()).append('\n')
                .append("  User ").append(SshdLayout.USERNAME).append('\n');
        if (plan.generatesClientKey()) {
            config.append("  IdentityFile ").append(CredentialsSecret.CLIENT_KEY).append('\n')
                    .append("  IdentitiesOnly yes\n");
        }
        config.append("  UserKnownHostsFile ").append(CredentialsSecret.KNOWN_HOSTS).append('\n')
                .append("  StrictHostKeyChecking yes\n")
                .append(plan.isShell() ? "  RequestTTY auto\n" : "  RequestTTY no\n  ExitOnForwardFailure yes\n");
        for (String permitOpen : plan.permitOpen()) {
            config.append("  LocalForward ").append(localPort(port(permitOpen))).append(' ').append(permitOpen).append('\n');
        }
        return config.toString();
    }
}
