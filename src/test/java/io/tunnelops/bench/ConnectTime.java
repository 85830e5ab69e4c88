package io.tunnelops.bench;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.tunnelops.e2e.SessionUser;

/**
 * The connect time of a first {@code ssh -W} to a session's echoing target: from the start of the ssh process to the
 * first byte echoed back through the tunnel (TCP connect, key exchange, host key check against the published
 * known_hosts, key authentication, the direct-tcpip channel, the sshd's connect to the target). Every connection is a
 * new process with a new SSH connection, as a user's first command is.
 */
final class ConnectTime {

    private ConnectTime() {
    }

    /** Milliseconds per connection, in the order made. */
    static List<Long> measure(SessionUser user, String target, int connections, Path log) throws Exception {
        List<String> command = user.ssh("-p", user.port(), "-W", target, "tunnel@" + user.host());
        once(command, log); // the first one pays for disk caches, not for the protocol: not counted
        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            millis.add(once(command, log));
        }
        return millis;
    }

    private static long once(List<String> command, Path log) throws Exception {
        long begin = System.nanoTime();
        Process ssh = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        try (OutputStream in = ssh.getOutputStream(); InputStream out = ssh.getInputStream()) {
            in.write('x'); // waits in the pipe until the channel is open
            in.flush();
            if (out.read() != 'x') {
                throw new IllegalStateException("nothing echoed through ssh -W; see " + log);
            }
            long elapsed = System.nanoTime() - begin;
            in.close(); // EOF: the target closes, and ssh -W ends
            if (!ssh.waitFor(10, TimeUnit.SECONDS)) {
                ssh.destroyForcibly();
            }
            return TimeUnit.NANOSECONDS.toMillis(elapsed);
        }
    }
}
