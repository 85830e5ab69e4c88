package io.tunnelops.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.tunnelops.e2e.SessionUser;
import io.tunnelops.testing.TcpProbe;

/**
 * The user's {@code ssh -N -L} to a session, running: the published command word for word with the user's
 * credentials, plus {@code -v} (for the negotiated cipher) and any extra client options.
 */
final class SshForward implements AutoCloseable {

    private final Process process;
    private final Path log;

    private SshForward(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts the forward and waits until {@code localPort} accepts on 127.0.0.1. */
    static SshForward open(SessionUser user, List<String> clientOptions, int localPort, Path log) throws Exception {
        List<String> command = new ArrayList<>(user.publishedCommand());
        command.addAll(1, clientOptions);
        command.add(1, "-v");
        SshForward forward = new SshForward(SessionUser.start(command, log), log);
        for (int i = 0; i < 200; i++) {
            if (!forward.process.isAlive()) {
                throw new IllegalStateException("ssh exited with " + forward.process.exitValue() + ": " + Files.readString(log));
            }
            // the probe's empty connection reaches the sink, which answers 0 bytes received: harmless
            if (TcpProbe.accepts("127.0.0.1", localPort)) {
                return forward;
            }
            Thread.sleep(25);
        }
        forward.close();
        throw new IllegalStateException("ssh -L does not listen on " + localPort + ": " + Files.readString(log));
    }

    String negotiatedCipher() throws IOException {
        return NegotiatedCipher.of(Files.readString(log)).orElse("unknown");
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
