package io.tunnelops.testing;

import java.io.IOException;

/** Stands in for a database: echoes every byte back, on one address and port. */
public final class EchoServer implements AutoCloseable {

    private final TcpServer server;

    public EchoServer(String address, int port) {
        server = new TcpServer("echo", address, port, client -> client.getInputStream().transferTo(client.getOutputStream()));
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
