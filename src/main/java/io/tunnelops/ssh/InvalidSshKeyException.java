package io.tunnelops.ssh;

/** A public key a user gave that the operator will not authorize; the message says why. */
public final class InvalidSshKeyException extends Exception {

    /** @param message what is wrong with the key, for a human to act on; never the key itself */
    public InvalidSshKeyException(String message) {
        super(message);
    }
}
