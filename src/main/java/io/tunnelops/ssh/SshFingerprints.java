package io.tunnelops.ssh;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** Key fingerprints as OpenSSH prints them. */
public final class SshFingerprints {

    private SshFingerprints() {
    }

    /** "SHA256:" + unpadded base64 of SHA-256 over the key blob, identical to `ssh-keygen -lf`. */
    public static String sha256(String publicKeyLine) {
        String[] fields = publicKeyLine.strip().split("\\s+");
        if (fields.length < 2) {
            throw new IllegalArgumentException("not an OpenSSH public key line");
        }
        byte[] blob = Base64.getDecoder().decode(fields[1]);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(blob);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
