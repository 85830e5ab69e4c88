package io.tunnelops.bench;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A tunnel's target that takes a bulk upload: it discards what it reads and, at the end of the stream, answers with
 * the number of bytes it received (8 bytes, big-endian), so the sender's clock stops only when every byte arrived.
 */
final class SinkServer implements AutoCloseable {

    private final ServerSocket socket;

    SinkServer(String address, int port) {
        try {
            socket = new ServerSocket(port, 50, InetAddress.getByName(address));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address + ":" + port, e);
        }
        Thread acceptor = new Thread(this::serve, "sink-" + address + ":" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void serve() {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                Thread worker = new Thread(() -> drain(client), "sink-connection");
                worker.setDaemon(true);
                worker.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void drain(Socket client) {
        try (client; InputStream in = client.getInputStream();
                DataOutputStream out = new DataOutputStream(client.getOutputStream())) {
            byte[] buffer = new byte[1 << 16];
            long received = 0;
            for (int n; (n = in.read(buffer)) >= 0;) {
                received += n;
            }
            out.writeLong(received);
        } catch (IOException ignored) {
            // the sender went away: it reports its own failure
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
