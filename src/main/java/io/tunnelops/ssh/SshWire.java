package io.tunnelops.ssh;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.BufferUnderflowException;
import java.nio.charset.StandardCharsets;

/** The SSH wire encoding (RFC 4251): uint32 and length-prefixed strings, both ways. */
final class SshWire {

    private SshWire() {
    }

    /** Writes SSH wire data. */
    static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer uint32(int value) {
            out.write(value >>> 24);
            out.write(value >>> 16);
            out.write(value >>> 8);
            out.write(value);
            return this;
        }

        Writer string(byte[] value) {
            uint32(value.length);
            out.writeBytes(value);
            return this;
        }

        Writer string(String value) {
            return string(value.getBytes(StandardCharsets.UTF_8));
        }

        Writer raw(byte[] value) {
            out.writeBytes(value);
            return this;
        }

        int size() {
            return out.size();
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }

    /** Reads SSH wire data; any malformed length ends in {@link IllegalArgumentException}. */
    static final class Reader {
        private final ByteBuffer buffer;

        Reader(byte[] data) {
            this.buffer = ByteBuffer.wrap(data);
        }

        byte[] string() {
            try {
                int length = buffer.getInt();
                if (length < 0 || length > buffer.remaining()) {
                    throw new IllegalArgumentException("truncated key data");
                }
                byte[] value = new byte[length];
                buffer.get(value);
                return value;
            } catch (BufferUnderflowException e) {
                throw new IllegalArgumentException("truncated key data");
            }
        }

        String text() {
            return new String(string(), StandardCharsets.US_ASCII);
        }

        BigInteger mpint() {
            return new BigInteger(string());
        }

        boolean atEnd() {
            return !buffer.hasRemaining();
        }
    }
}
