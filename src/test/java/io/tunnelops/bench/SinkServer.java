package io.tunnelops.bench;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

import io.tunnelops.testing.TcpServer;

/**
 * A tunnel's target that takes a bulk upload: it discards what it reads and, at the end of the stream, answers with
 * the number of bytes it received (8 bytes, big-endian), so the sender's clock stops only when every byte arrived.
 */
final class SinkServer implements AutoCloseable {

    private final TcpServer server;

    SinkServer(String address, int port) {
        server = new TcpServer("sink", address, port, SinkServer::drain);
    }

    private static void drain(Socket client) throws IOException {
        InputStream in = client.getInputStream();
        DataOutputStream out = new DataOutputStream(client.getOutputStream());
        byte[] buffer = new byte[1 << 16];
        long received = 0;
        for (int n; (n = in.read(buffer)) >= 0;) {
            received += n;
        }
        out.writeLong(received);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
