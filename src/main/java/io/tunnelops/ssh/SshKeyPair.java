package io.tunnelops.ssh;

/**
 * An SSH key pair in OpenSSH encodings.
 *
 * @param publicKey one line "ssh-ed25519 AAAA... comment", no trailing newline
 * @param privateKey an unencrypted "openssh-key-v1" PEM, as ssh-keygen writes it
 */
public record SshKeyPair(String publicKey, String privateKey) {

    /** Never prints the private key: records would, and key pairs end up in log lines and exceptions. */
    @Override
    public String toString() {
        return "SshKeyPair[publicKey=" + publicKey + ", privateKey=<redacted>]";
    }
}
