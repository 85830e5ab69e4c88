package io.tunnelops.ssh;

import java.util.regex.Pattern;

/** known_hosts lines, so clients verify the session's host key instead of trusting it on first use. */
public final class KnownHosts {

    private static final int DEFAULT_SSH_PORT = 22;
    /** A DNS name, an IPv4 address or an IPv6 literal: nothing known_hosts would read as a pattern, list or marker. */
    private static final Pattern HOST = Pattern.compile("^([A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$");
    private static final Pattern KEY = Pattern.compile("^[A-Za-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}$");

    private KnownHosts() {
    }

    /**
     * A known_hosts line: "host type key" for port 22, "[host]:port type key" otherwise, without the key's comment.
     *
     * @param host the host name or address clients connect to (an IPv6 address with or without brackets)
     * @param port the port clients connect to
     * @param hostPublicKeyLine the host's public key line, "type base64 [comment]"
     * @throws IllegalArgumentException if the host, port or key could not be written safely
     */
    public static String line(String host, int port, String hostPublicKeyLine) {
        String bare = host != null && host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (bare == null || !HOST.matcher(bare).matches()) {
            throw new IllegalArgumentException("not a host name or address: " + host);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        String[] fields = hostPublicKeyLine == null ? new String[0] : hostPublicKeyLine.strip().split("\\s+");
        String key = fields.length >= 2 ? fields[0] + " " + fields[1] : "";
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("not an OpenSSH public key line");
        }
        // ssh looks a host up as "host" on port 22 and as "[host]:port" elsewhere
        String pattern = port == DEFAULT_SSH_PORT ? bare : "[" + bare + "]:" + port;
        return pattern + " " + key;
    }
}
