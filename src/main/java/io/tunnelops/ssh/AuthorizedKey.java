package io.tunnelops.ssh;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One validated public key of a user's authorized_keys: an allowed type, a blob that really is a key of that type,
 * and no options (the operator alone decides what a key may do).
 *
 * @param type the key type, one of the allowed ones
 * @param base64Blob the key blob in canonical base64
 * @param comment a harmless comment, or null
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
    /** OpenSSH's curve names and their JDK names. */
    private static final Map<String, String> CURVES = Map.of(
            "nistp256", "secp256r1", "nistp384", "secp384r1", "nistp521", "secp521r1");
    static final List<String> ALLOWED = List.of("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
            "ssh-rsa (3072 bits or more)");
    static final int MIN_RSA_BITS = 3072;
    /** sshd refuses larger moduli (SSHBUF_MAX_BIGNUM): better to say so now than fail at login. */
    static final int MAX_RSA_BITS = 16384;
    private static final int ED25519_KEY_BYTES = 32;
    private static final Pattern BASE64 = Pattern.compile("^[A-Za-z0-9+/]+={0,2}$");
    private static final Pattern SAFE_COMMENT = Pattern.compile("^[\\x20-\\x7e&&[^\"\\\\]]{1,100}$");

    /** Even a hand-built instance can never write more than one harmless line into authorized_keys. */
    public AuthorizedKey {
        if (type == null || !TYPES.containsKey(type)) {
            throw new IllegalArgumentException("key type is not allowed");
        }
        if (base64Blob == null || !BASE64.matcher(base64Blob).matches()) {
            throw new IllegalArgumentException("key data is not base64");
        }
        comment = harmless(comment);
    }

    /**
     * Parses one line a user gave, in the form "type base64 [comment]".
     *
     * @throws InvalidSshKeyException with a message that says what to fix and never echoes the key
     */
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
            if (looksLikeOptions(fields)) {
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
        // re-encoded, so what reaches authorized_keys is exactly the blob that was checked
        return new AuthorizedKey(type, Base64.getEncoder().encodeToString(blob), fields.length == 3 ? fields[2] : null);
    }

    /** "type blob" or "type blob comment", safe to write into authorized_keys. */
    public String toLine() {
        return type + " " + base64Blob + (comment == null ? "" : " " + comment);
    }

    /** An options prefix (`command="..." ssh-ed25519 ...`, `no-pty,restrict ...`) rather than an unknown type. */
    private static boolean looksLikeOptions(String[] fields) {
        String first = fields[0];
        boolean keyTypeFollows = fields.length > 1 && fields[1].matches("(sk-)?(ssh|ecdsa)-\\S+");
        return keyTypeFollows || first.contains("=") || first.contains(",") || first.startsWith("no-")
                || first.equals("restrict") || first.equals("cert-authority");
    }

    /** The comment trimmed if it is printable ASCII without quotes or backslashes and at most 100 chars, else null. */
    private static String harmless(String comment) {
        if (comment == null) {
            return null;
        }
        String trimmed = comment.strip();
        return SAFE_COMMENT.matcher(trimmed).matches() ? trimmed : null;
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
                case "ssh-ed25519" -> expectLength(reader.string(), ED25519_KEY_BYTES, type);
                case "sk-ssh-ed25519@openssh.com" -> {
                    expectLength(reader.string(), ED25519_KEY_BYTES, type);
                    reader.string(); // application, e.g. "ssh:"
                }
                case "ssh-rsa" -> checkRsa(reader);
                default -> {
                    String curve = reader.text();
                    if (!curve.equals(TYPES.get(type))) {
                        throw new InvalidSshKeyException("the " + type + " key names curve '" + printable(curve) + "'");
                    }
                    checkEcPoint(type, curve, reader.string());
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

    private static void checkRsa(SshWire.Reader reader) throws InvalidSshKeyException {
        BigInteger exponent = reader.mpint();
        BigInteger modulus = reader.mpint();
        if (exponent.signum() <= 0 || modulus.signum() <= 0) {
            throw new InvalidSshKeyException("the ssh-rsa key data is malformed");
        }
        int bits = modulus.bitLength();
        if (bits < MIN_RSA_BITS) {
            throw new InvalidSshKeyException("the ssh-rsa key has " + bits + " bits; at least " + MIN_RSA_BITS
                    + " are required (or use ssh-ed25519)");
        }
        if (bits > MAX_RSA_BITS) {
            throw new InvalidSshKeyException("the ssh-rsa key has " + bits + " bits; OpenSSH accepts at most "
                    + MAX_RSA_BITS);
        }
    }

    /** sshd refuses a point that is not on the curve, so a session with one would never let anybody in. */
    private static void checkEcPoint(String type, String curve, byte[] point) throws InvalidSshKeyException {
        ECParameterSpec params = curveParameters(CURVES.get(curve));
        BigInteger p = ((ECFieldFp) params.getCurve().getField()).getP();
        int size = (p.bitLength() + 7) / 8;
        // only the uncompressed form (0x04 || x || y) is valid in SSH (RFC 5656)
        if (point.length != 1 + 2 * size || point[0] != 4) {
            throw new InvalidSshKeyException("the " + type + " key does not hold an uncompressed " + curve + " point");
        }
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(point, 1, 1 + size));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(point, 1 + size, point.length));
        BigInteger a = params.getCurve().getA();
        BigInteger b = params.getCurve().getB();
        boolean inField = x.compareTo(p) < 0 && y.compareTo(p) < 0;
        boolean onCurve = y.modPow(BigInteger.TWO, p).equals(x.pow(3).add(a.multiply(x)).add(b).mod(p));
        if (!inField || !onCurve) {
            throw new InvalidSshKeyException("the " + type + " key's point is not on the " + curve + " curve");
        }
    }

    private static ECParameterSpec curveParameters(String jdkName) {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec(jdkName));
            return parameters.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK does not know the curve " + jdkName, e);
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
}
