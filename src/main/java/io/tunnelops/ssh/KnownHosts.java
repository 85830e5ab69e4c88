package io.tunnelops.ssh;

/** known_hosts lines, so clients verify the session's host key instead of trusting it on first use. */
public final class KnownHosts {

    private KnownHosts() {
    }

    /** "host type key" for port 22, "[host]:port type key" otherwise; the key's comment is left out. */
    public static String line(String host, int port, String hostPublicKeyLine) {
        String[] fields = hostPublicKeyLine.strip().split("\\s+");
        String pattern = port == 22 ? host : "[" + host + "]:" + port;
        return pattern + " " + fields[0] + " " + fields[1];
    }
}
