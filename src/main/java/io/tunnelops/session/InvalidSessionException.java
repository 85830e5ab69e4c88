package io.tunnelops.session;

/** A session that cannot be provisioned as written; the message tells the user what to fix. */
public final class InvalidSessionException extends Exception {

    private final String reason;

    public InvalidSessionException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** CamelCase condition reason. */
    public String reason() {
        return reason;
    }
}
