package io.tunnelops.ssh;

/** A public key a user gave that the operator will not authorize; the message says why. */
public final class InvalidSshKeyException extends Exception {

    public InvalidSshKeyException(String message) {
        super(message);
    }
}
