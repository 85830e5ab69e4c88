package io.tunnelops.ssh;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** Key fingerprints as OpenSSH prints them. */
public final class SshFingerprints {

    private SshFingerprints() {
    }

    /**
     * "SHA256:" + unpadded base64 of SHA-256 over the key blob, identical to what `ssh-keygen -lf` prints.
     *
     * @param publicKeyLine a public-key or authorized_keys line: "type base64 [comment]", options before it allowed
     * @throws IllegalArgumentException if the line holds no key blob of the type it names
     */
    public static String sha256(String publicKeyLine) {
        byte[] blob = keyBlob(publicKeyLine);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(blob);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** The first "type base64" pair whose blob names that type: skips options as ssh-keygen does. */
    private static byte[] keyBlob(String line) {
        String[] fields = line == null ? new String[0] : line.strip().split("\\s+");
        for (int i = 0; i + 1 < fields.length; i++) {
            try {
                byte[] blob = Base64.getDecoder().decode(fields[i + 1]);
                if (new SshWire.Reader(blob).text().equals(fields[i])) {
                    return blob;
                }
            } catch (IllegalArgumentException notThisField) {
                // an option, a comment or a damaged key: look further
            }
        }
        throw new IllegalArgumentException("not an OpenSSH public key line");
    }
}
