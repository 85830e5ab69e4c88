package io.tunnelops.net;

/** A host, pattern or range the operator refuses; the message completes a sentence that starts with the value. */
public class InvalidHostException extends Exception {

    public InvalidHostException(String message) {
        super(message);
    }
}
