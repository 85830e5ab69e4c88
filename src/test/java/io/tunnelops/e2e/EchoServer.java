package io.tunnelops.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;

/** Stands in for a database: echoes every byte back, on one address and port. */
final class EchoServer implements AutoCloseable {

    private final ServerSocket socket;

    EchoServer(String address, int port) throws IOException {
        socket = new ServerSocket(port, 50, InetAddress.getByName(address));
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
        } catch (SocketException ignored) {
            // client went away
        } catch (IOException ignored) {
            // client went away
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
