package io.tunnelops.ssh;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Renders sshd_config: the one place that decides what a session's sshd allows. Every option is valid for Debian's
 * OpenSSH 9.2, the one the tests run and the one in the image (images/sshd, Debian bookworm, and the Shell bundle made
 * from it). Each mode adds its own section after the common one.
 */
public final class SshdConfigRenderer {

    /** A DNS name or IPv4 address, or an IPv6 literal (it has a colon) in brackets; then a decimal port. */
    private static final Pattern HOST_PORT =
            Pattern.compile("^([A-Za-z0-9.-]{1,253}|\\[(?=[0-9A-Fa-f.]*:)[0-9A-Fa-f:.]{2,45}\\]):(\\d{1,5})$");
    private static final Pattern SESSION_NAME = Pattern.compile("^[a-z0-9./-]{1,320}$");

    private SshdConfigRenderer() {
    }

    /**
     * The whole sshd_config of a Tunnel session: key login as {@link SshdLayout#USERNAME} only, local forwarding to
     * the permitted host:port pairs only, nothing else. Same input, same bytes.
     *
     * @throws IllegalArgumentException if the list is empty or an entry is not a plain host:port
     */
    public static String render(TunnelSshdConfig config) {
        if (config.permitOpen().isEmpty()) {
            throw new IllegalArgumentException("a tunnel needs at least one permitted host:port");
        }
        config.permitOpen().forEach(SshdConfigRenderer::checkHostPort);
        StringBuilder out = new StringBuilder();
        header(out, config.sessionName());
        common(out, false);
        tunnelMode(out, config.permitOpen());
        return out.toString();
    }

    /**
     * The whole sshd_config of a Shell session: the same login and algorithms as a tunnel; a shell, commands and sftp
     * with a PTY; no forwarding of any kind. Same input, same bytes.
     *
     * @param sessionName "namespace/name", for the header comment
     */
    public static String renderShell(String sessionName) {
        StringBuilder out = new StringBuilder();
        header(out, sessionName);
        common(out, true);
        shellMode(out);
        return out.toString();
    }

    /** Shell mode: a session channel (shell, command, sftp) with a PTY; nothing is forwarded. */
    private static void shellMode(StringBuilder out) {
        out.append("\n# Shell mode: shell, commands and sftp; no forwarding of any kind.\n");
        // overrides every forwarding option below, kept for a reader and for sshd -T
        line(out, "DisableForwarding", "yes");
        line(out, "AllowTcpForwarding", "no");
        line(out, "PermitOpen", "none");
        noOtherForwarding(out);
        line(out, "PermitTTY", "yes");
        line(out, "MaxSessions", "4");
        // in-process: the app's image may have no sftp-server (or no libc for one)
        line(out, "Subsystem", "sftp internal-sftp");
    }

    private static void header(StringBuilder out, String sessionName) {
        // the name is only a comment, but a newline in it would start a directive
        String name = sessionName != null && SESSION_NAME.matcher(sessionName).matches() ? sessionName : "(unnamed)";
        out.append("# sshd_config of TunnelSession ").append(name).append(", rendered by tunnel-operator. Do not edit.\n");
    }

    /** Tunnel mode: local forwarding to the permitted targets only; no session channel at all. */
    private static void tunnelMode(StringBuilder out, List<String> permitOpen) {
        out.append("\n# Tunnel mode: local forwarding to the permitted target only; no session channel at all.\n");
        line(out, "AllowTcpForwarding", "local");
        line(out, "PermitOpen", String.join(" ", permitOpen));
        noOtherForwarding(out);
        line(out, "PermitTTY", "no");
        // MaxSessions 0 refuses shell, exec, sftp and scp channels while -L and -W still work.
        line(out, "MaxSessions", "0");
        line(out, "ForceCommand", "/bin/false");
        // never DisableForwarding: it overrides AllowTcpForwarding and would break -L
    }

    /** Neither mode forwards back to the client, agents, X11, Unix sockets or tun devices. */
    private static void noOtherForwarding(StringBuilder out) {
        line(out, "PermitListen", "none");
        line(out, "GatewayPorts", "no");
        line(out, "AllowAgentForwarding", "no");
        line(out, "AllowStreamLocalForwarding", "no");
        line(out, "X11Forwarding", "no");
        line(out, "PermitTunnel", "no");
    }

    /**
     * What every mode shares: where things are, who may log in and how, and which algorithms.
     *
     * @param appEnvironment a shell's sessions get the app's variables from ~/.ssh/environment, written by the pod's
     *        start script; the user could rewrite it, but sshd runs as the user's own uid, so a variable set there
     *        gives nothing a shell does not already have
     */
    private static void common(StringBuilder out, boolean appEnvironment) {
        line(out, "Port", String.valueOf(SshdLayout.PORT));
        line(out, "HostKey", SshdLayout.STATE_DIR + "/" + SshdLayout.HOST_KEY);
        line(out, "AuthorizedKeysFile", SshdLayout.HOME_DIR + "/.ssh/" + SshdLayout.AUTHORIZED_KEYS);
        line(out, "PidFile", "none");
        line(out, "AllowUsers", SshdLayout.USERNAME);
        out.append("\n# Key authentication only.\n");
        line(out, "AuthenticationMethods", "publickey");
        line(out, "PubkeyAuthentication", "yes");
        line(out, "PasswordAuthentication", "no");
        line(out, "KbdInteractiveAuthentication", "no");
        line(out, "HostbasedAuthentication", "no");
        line(out, "PermitRootLogin", "no");
        line(out, "PermitEmptyPasswords", "no");
        line(out, "StrictModes", "yes");
        line(out, "PermitUserEnvironment", appEnvironment ? "yes" : "no");
        line(out, "PermitUserRC", "no");
        line(out, "UseDNS", "no");
        line(out, "Compression", "no");
        line(out, "MaxAuthTries", "3");
        line(out, "LoginGraceTime", "30");
        line(out, "ClientAliveInterval", "15");
        line(out, "ClientAliveCountMax", "3");
        line(out, "LogLevel", "VERBOSE");
        out.append("\n# Modern algorithms only (a clean ssh-audit). AES-GCM only: the client's order picks the cipher, and a\n"
                + "# default client puts chacha20-poly1305 first, which tunnels at about 60 % of AES-GCM's rate (BENCHMARKS.md).\n");
        line(out, "HostKeyAlgorithms", "ssh-ed25519");
        line(out, "KexAlgorithms", "curve25519-sha256,curve25519-sha256@libssh.org");
        line(out, "Ciphers", "aes128-gcm@openssh.com,aes256-gcm@openssh.com");
        line(out, "MACs", "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com");
        line(out, "PubkeyAcceptedAlgorithms", String.join(",", List.of("ssh-ed25519", "sk-ssh-ed25519@openssh.com",
                "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ecdsa-sha2-nistp256@openssh.com",
                "rsa-sha2-512", "rsa-sha2-256")));
    }

    /** Nothing a user wrote may reach the config unless it is a plain host:port: no spaces, commas, #, wildcards. */
    private static void checkHostPort(String entry) {
        var m = HOST_PORT.matcher(entry == null ? "" : entry);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a plain host:port: " + entry);
        }
        int port = Integer.parseInt(m.group(2));
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + entry);
        }
    }

    private static void line(StringBuilder out, String keyword, String value) {
        out.append(keyword).append(' ').append(value).append('\n');
    }
}
