package io.tunnelops.ssh;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/** Generates ed25519 key pairs with the JDK's own provider and encodes them as OpenSSH does. */
public final class Ed25519KeyGenerator {

    static final String TYPE = "ssh-ed25519";
    /**
     * One DRBG per thread: the JDK's default here, NativePRNG, serializes every draw of every instance on one global
     * lock, and a reconcile thread preempted while holding it stalls all the others (BENCHMARKS.md, "Data path and key
     * generation"). A DRBG locks only itself, and each is seeded from the system's entropy source.
     */
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(Ed25519KeyGenerator::newRandom);
    private static final int KEY_BYTES = 32;

    private Ed25519KeyGenerator() {
    }

    /**
     * A new random key pair, as `ssh-keygen -t ed25519 -N '' -C comment` would write it.
     *
     * @param comment the comment of both keys; null or blank for none; printable ASCII only (it ends the public line)
     * @throws IllegalArgumentException if the comment holds a control or non-ASCII character
     */
    public static SshKeyPair generate(String comment) {
        if (comment != null && !comment.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("a key comment must be printable ASCII on one line");
        }
        KeyPair pair;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
            generator.initialize(255, random());
            pair = generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no Ed25519 provider", e);
        }
        // X.509 and PKCS#8 encodings of Ed25519 end with the raw 32-byte public key and seed.
        byte[] x509 = pair.getPublic().getEncoded();
        byte[] pkcs8 = pair.getPrivate().getEncoded();
        byte[] publicKey = Arrays.copyOfRange(x509, x509.length - KEY_BYTES, x509.length);
        byte[] seed = Arrays.copyOfRange(pkcs8, pkcs8.length - KEY_BYTES, pkcs8.length);
        String text = comment == null || comment.isBlank() ? "" : comment;
        try {
            byte[] blob = new SshWire.Writer().string(TYPE).string(publicKey).toByteArray();
            String publicLine = TYPE + " " + Base64.getEncoder().encodeToString(blob) + (text.isEmpty() ? "" : " " + text);
            return new SshKeyPair(publicLine, privateKeyPem(blob, publicKey, seed, text));
        } finally {
            Arrays.fill(seed, (byte) 0);
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    /** The calling thread's own generator. */
    static SecureRandom random() {
        return RANDOM.get();
    }

    private static SecureRandom newRandom() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no DRBG", e);
        }
    }

    /** The "openssh-key-v1" container (PROTOCOL.key), unencrypted, with ssh-keygen's block size of 8 for padding. */
    private static String privateKeyPem(byte[] publicBlob, byte[] publicKey, byte[] seed, String comment) {
        int check = random().nextInt();
        byte[] secret = new byte[2 * KEY_BYTES];
        System.arraycopy(seed, 0, secret, 0, KEY_BYTES);
        System.arraycopy(publicKey, 0, secret, KEY_BYTES, KEY_BYTES);
        SshWire.Writer section = new SshWire.Writer().uint32(check).uint32(check)
                .string(TYPE).string(publicKey).string(secret).string(comment);
        for (int pad = 1; section.size() % 8 != 0; pad++) {
            section.raw(new byte[] { (byte) pad });
        }
        Arrays.fill(secret, (byte) 0);
        byte[] container = new SshWire.Writer()
                .raw("openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII))
                .string("none").string("none").string(new byte[0])
                .uint32(1).string(publicBlob).string(section.toByteArray())
                .toByteArray();
        String base64 = Base64.getEncoder().encodeToString(container);
        StringBuilder pem = new StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
        for (int i = 0; i < base64.length(); i += 70) {
            pem.append(base64, i, Math.min(base64.length(), i + 70)).append('\n');
        }
        return pem.append("-----END OPENSSH PRIVATE KEY-----\n").toString();
    }
}
