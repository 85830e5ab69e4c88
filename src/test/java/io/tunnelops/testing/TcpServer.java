package io.tunnelops.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A listening socket on one address and port that hands each connection, on its own thread, to a handler. */
public final class TcpServer implements AutoCloseable {

    /** What is done with one connection; it closes the socket when done. */
    @FunctionalInterface
    public interface Connection {
        void handle(Socket client) throws IOException;
    }

    private final ServerSocket socket;

    public TcpServer(String name, String address, int port, Connection connection) {
        try {
            socket = new ServerSocket(port, 50, InetAddress.getByName(address));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address + ":" + port, e);
        }
        Thread acceptor = new Thread(() -> serve(connection), name + "-" + address + ":" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void serve(Connection connection) {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                Thread worker = new Thread(() -> {
                    try (client) {
                        connection.handle(client);
                    } catch (IOException ignored) {
                        // the client went away: the client side reports its own failure
                    }
                });
                worker.setDaemon(true);
                worker.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
