package io.tunnelops.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Stands in for a database: echoes every byte back, on one address and port. */
public final class EchoServer implements AutoCloseable {

    private final ServerSocket socket;

    public EchoServer(String address, int port) {
        try {
            socket = new ServerSocket(port, 50, InetAddress.getByName(address));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot listen on " + address + ":" + port, e);
        }
        Thread acceptor = new Thread(this::serve, "echo-" + address + ":" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void serve() {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                Thread worker = new Thread(() -> echo(client));
                worker.setDaemon(true);
                worker.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void echo(Socket client) {
        try (client; InputStream in = client.getInputStream(); OutputStream out = client.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the client went away
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
