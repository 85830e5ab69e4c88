package io.tunnelops.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.testing.OpenSshTools;
import io.tunnelops.testing.TcpProbe;

/**
 * A user holding only what a session publishes: its status, and the items of its credentials Secret. Runs the real
 * OpenSSH client with StrictHostKeyChecking=yes against the known_hosts the operator published.
 */
public final class SessionUser {

    /**
     * What the client prints when the sshd refuses a session channel (a shell, a command, sftp, scp): MaxSessions 0,
     * which sshd logs as "no more sessions". Only sshd says it, after the key login: no login shell can.
     */
    public static final String SESSION_CHANNEL_REFUSED = "channel 0: open failed: connect failed: open failed";
    /** What the client prints when the sshd refuses a forward (-W, -L, -D) that PermitOpen does not list. */
    public static final String FORWARD_REFUSED = "open failed: administratively prohibited: open failed";
    /** What /usr/sbin/nologin prints: a refusal by the login shell, not by sshd_config. */
    public static final String NOLOGIN_REFUSED = "This account is currently not available.";

    public final TunnelSession session;
    final Path dir;
    final Path key;
    final Path knownHosts;

    public SessionUser(TunnelSession session, Map<String, String> secretItems, Path dir, Path ownKey) throws IOException {
        this.session = session;
        this.dir = Files.createDirectories(dir);
        this.knownHosts = dir.resolve("known_hosts");
        Files.writeString(knownHosts, secretItems.get("known_hosts"));
        this.key = ownKey != null ? ownKey
                : OpenSshTools.writePrivate(dir.resolve("id_ed25519"), secretItems.get("id_ed25519"));
        // the published known_hosts holds exactly the published fingerprint: never trust on first use
        String printed = OpenSshTools.succeed("ssh-keygen", "-lf", knownHosts.toString());
        assertEquals(session.getStatus().getHostKeyFingerprint(), printed.split(" ")[1]);
        // and it is for the endpoint the status names, as ssh looks it up: ssh would not use a line for another
        assertEquals(List.of(knownHostsName()), knownHostsNames());
    }

    /** The name ssh looks the endpoint up by in known_hosts: "host" on port 22, "[host]:port" on any other. */
    public String knownHostsName() {
        return port().equals("22") ? host() : "[" + host() + "]:" + port();
    }

    /** The host names of the published known_hosts, one per line (its first field). */
    public List<String> knownHostsNames() throws IOException {
        return Files.readAllLines(knownHosts).stream().filter(l -> !l.isBlank()).map(l -> l.split(" ")[0]).toList();
    }

    /** ssh with the user's files, then the given arguments. */
    public List<String> ssh(String... args) {
        List<String> command = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts, "-o", "IdentitiesOnly=yes",
                "-i", key.toString(), "-o", "ConnectTimeout=5", "-o", "ExitOnForwardFailure=yes"));
        command.addAll(Arrays.asList(args));
        return command;
    }

    /** The status' sshCommand, word for word, with the user's credentials. */
    public List<String> publishedCommand() {
        String[] words = session.getStatus().getSshCommand().split(" ");
        assertEquals("ssh", words[0]);
        return ssh(Arrays.copyOfRange(words, 1, words.length));
    }

    public String host() {
        return session.getStatus().getEndpoint().getHost();
    }

    public String port() {
        return String.valueOf(session.getStatus().getEndpoint().getPort());
    }

    public static Process start(List<String> command, Path log) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Runs to the end; the exit code and all output. */
    public static OpenSshTools.Result run(List<String> command, String stdin) throws Exception {
        OpenSshTools.requireTool(command.get(0));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (OutputStream in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        } catch (IOException ignored) {
            // ssh may close stdin early
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new OpenSshTools.Result(process.exitValue(),
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** Sends bytes through a local port and returns what comes back before the other side closes or times out. */
    public static String roundTrip(int localPort, String message) throws IOException {
        return TcpProbe.roundTrip(localPort, message);
    }

    /** True when a connection through the local port gets nothing back: closed or reset by the other side. */
    public static boolean refused(int localPort) {
        try {
            return roundTrip(localPort, "ping").isEmpty();
        } catch (IOException e) {
            return true;
        }
    }

    public static boolean listening(int localPort) {
        return TcpProbe.accepts("127.0.0.1", localPort);
    }
}
