package io.tunnelops.ssh;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One validated public key of a user's authorized_keys: an allowed type, a blob that really is a key of that type,
 * and no options (the operator alone decides what a key may do).
 */
public record AuthorizedKey(String type, String base64Blob, String comment) {

    /** Key types and, for ECDSA, the curve their blob must name. */
    private static final Map<String, String> TYPES = Map.of(
            "ssh-ed25519", "",
            "sk-ssh-ed25519@openssh.com", "",
            "ecdsa-sha2-nistp256", "nistp256",
            "ecdsa-sha2-nistp384", "nistp384",
            "ecdsa-sha2-nistp521", "nistp521",
            "sk-ecdsa-sha2-nistp256@openssh.com", "nistp256",
            "ssh-rsa", "");
    static final List<String> ALLOWED = List.of("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
            "ssh-rsa (3072 bits or more)");
    static final int MIN_RSA_BITS = 3072;
    private static final Pattern BASE64 = Pattern.compile("^[A-Za-z0-9+/]+={0,2}$");
    private static final Pattern SAFE_COMMENT = Pattern.compile("^[\\x20-\\x7e&&[^\"\\\\]]{1,100}$");

    /** Parses one line a user gave; the message of the exception says what to fix. */
    public static AuthorizedKey parse(String line) throws InvalidSshKeyException {
        if (line == null || line.isBlank()) {
            throw new InvalidSshKeyException("the key is empty");
        }
        if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0 || line.indexOf('\0') >= 0) {
            throw new InvalidSshKeyException("a key must be a single line");
        }
        String[] fields = line.strip().split("[ \\t]+", 3);
        String type = fields[0];
        if (!TYPES.containsKey(type)) {
            if (fields.length > 1 && TYPES.containsKey(fields[1]) || type.contains("=") || type.contains(",")
                    || type.startsWith("no-") || type.equals("restrict")) {
                throw new InvalidSshKeyException("authorized_keys options (such as command=, permitopen=, no-pty) are "
                        + "not allowed; give only \"<type> <base64> [comment]\": the operator sets what a key may do");
            }
            throw new InvalidSshKeyException("key type '" + printable(type) + "' is not allowed; use one of "
                    + String.join(", ", ALLOWED));
        }
        if (fields.length < 2 || !BASE64.matcher(fields[1]).matches()) {
            throw new InvalidSshKeyException("the " + type + " key has no valid base64 key data");
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(fields[1]);
        } catch (IllegalArgumentException e) {
            throw new InvalidSshKeyException("the " + type + " key has no valid base64 key data");
        }
        checkBlob(type, blob);
        String comment = fields.length == 3 && SAFE_COMMENT.matcher(fields[2].strip()).matches() ? fields[2].strip() : null;
        return new AuthorizedKey(type, fields[1], comment);
    }

    private static void checkBlob(String type, byte[] blob) throws InvalidSshKeyException {
        try {
            SshWire.Reader reader = new SshWire.Reader(blob);
            String inner = reader.text();
            if (!inner.equals(type)) {
                throw new InvalidSshKeyException("the key data is of type '" + printable(inner)
                        + "' but the line says '" + type + "'");
            }
            switch (type) {
                case "ssh-ed25519" -> expectLength(reader.string(), 32, type);
                case "sk-ssh-ed25519@openssh.com" -> {
                    expectLength(reader.string(), 32, type);
                    reader.string(); // application, e.g. "ssh:"
                }
                case "ssh-rsa" -> {
                    reader.mpint(); // public exponent
                    int bits = reader.mpint().bitLength();
                    if (bits < MIN_RSA_BITS) {
                        throw new InvalidSshKeyException("the ssh-rsa key has " + bits + " bits; at least "
                                + MIN_RSA_BITS + " are required (or use ssh-ed25519)");
                    }
                }
                default -> {
                    String curve = reader.text();
                    if (!curve.equals(TYPES.get(type))) {
                        throw new InvalidSshKeyException("the " + type + " key names curve '" + printable(curve) + "'");
                    }
                    if (reader.string().length == 0) {
                        throw new InvalidSshKeyException("the " + type + " key has no public point");
                    }
                    if (type.startsWith("sk-")) {
                        reader.string(); // application
                    }
                }
            }
            if (!reader.atEnd()) {
                throw new InvalidSshKeyException("the " + type + " key data has trailing bytes");
            }
        } catch (IllegalArgumentException e) {
            throw new InvalidSshKeyException("the " + type + " key data is truncated or malformed");
        }
    }

    private static void expectLength(byte[] key, int length, String type) throws InvalidSshKeyException {
        if (key.length != length) {
            throw new InvalidSshKeyException("the " + type + " key must hold " + length + " bytes, not " + key.length);
        }
    }

    /** Echoes at most a short, printable fragment of what the user wrote. */
    private static String printable(String text) {
        String cleaned = text.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 40 ? cleaned.substring(0, 40) + "..." : cleaned;
    }

    /** "type blob [comment]", safe to write into authorized_keys. */
    public String toLine() {
        return type + " " + base64Blob + (comment == null ? "" : " " + comment);
    }
}
