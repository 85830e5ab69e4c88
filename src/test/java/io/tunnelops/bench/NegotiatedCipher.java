package io.tunnelops.bench;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The cipher an OpenSSH client agreed on, read from its {@code -v} output (the "kex: ... cipher:" lines). */
final class NegotiatedCipher {

    private static final Pattern KEX = Pattern.compile("kex: (client->server|server->client) cipher: (\\S+)");

    private NegotiatedCipher() {
    }

    /** One name when both directions agree (as they do unless asked otherwise), else "to server / to client". */
    static Optional<String> of(String verboseLog) {
        String toServer = null;
        String toClient = null;
        Matcher m = KEX.matcher(verboseLog);
        while (m.find()) {
            if (m.group(1).equals("client->server")) {
                toServer = m.group(2);
            } else {
                toClient = m.group(2);
            }
        }
        if (toServer == null || toClient == null) {
            return Optional.empty();
        }
        return Optional.of(toServer.equals(toClient) ? toServer : toServer + " / " + toClient);
    }
}
