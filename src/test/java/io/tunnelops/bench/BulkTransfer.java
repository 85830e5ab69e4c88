package io.tunnelops.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Random;

/** One bulk upload to a {@link SinkServer}, directly or through a tunnel's local port, timed until the sink's answer. */
final class BulkTransfer {

    private static final int CHUNK = 1 << 20;
    /** Random, so that nothing on the way could make it smaller (the sshd has Compression no anyway). */
    private static final byte[] DATA = new byte[CHUNK];
    static {
        new Random(12).nextBytes(DATA);
    }

    private BulkTransfer() {
    }

    /** Sends {@code bytes} and waits until the sink says it received them all. */
    static Throughput send(String host, int port, long bytes) throws IOException {
        long begin = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            for (long left = bytes; left > 0; left -= CHUNK) {
                out.write(DATA, 0, (int) Math.min(CHUNK, left));
            }
            socket.shutdownOutput();
            long received = new DataInputStream(socket.getInputStream()).readLong();
            if (received != bytes) {
                throw new IOException("the sink received " + received + " of " + bytes + " bytes");
            }
        }
        return new Throughput(bytes, System.nanoTime() - begin);
    }
}
