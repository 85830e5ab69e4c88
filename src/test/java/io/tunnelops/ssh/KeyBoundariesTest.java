package io.tunnelops.ssh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

/**
 * The edges of key parsing and key writing, checked without OpenSSH (the OpenSSH-backed tests are beside this one):
 * each limit on both sides, and keys whose bytes are what they must be.
 */
class KeyBoundariesTest {

    private static final String ED25519 = Ed25519KeyGenerator.generate(null).publicKey();
    private static final String ALLOWED = "ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, "
            + "sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com, ssh-rsa (3072 bits or more)";

    // --- AuthorizedKey

    @Test
    void aLineBreakOrNulAnywhereEvenFirstIsRefused() {
        for (String bad : new String[] { "\n" + ED25519, "\r" + ED25519, "\0" + ED25519, ED25519 + "\n" }) {
            assertEquals("a key must be a single line", refusal(bad));
        }
    }

    @Test
    void anRsaKeyHasFrom3072To16384Bits() throws Exception {
        assertEquals("ssh-rsa", AuthorizedKey.parse(rsa(BigInteger.valueOf(65537), bits(3072))).type());
        assertEquals("ssh-rsa", AuthorizedKey.parse(rsa(BigInteger.valueOf(65537), bits(16384))).type());
        assertEquals("the ssh-rsa key has 3071 bits; at least 3072 are required (or use ssh-ed25519)",
                refusal(rsa(BigInteger.valueOf(65537), bits(3071))));
        assertEquals("the ssh-rsa key has 16385 bits; OpenSSH accepts at most 16384",
                refusal(rsa(BigInteger.valueOf(65537), bits(16385))));
        assertEquals("the ssh-rsa key data is malformed", refusal(rsa(BigInteger.ZERO, bits(3072))));
        assertEquals("the ssh-rsa key data is malformed", refusal(rsa(BigInteger.valueOf(-3), bits(3072))));
        assertEquals("the ssh-rsa key data is malformed", refusal(rsa(BigInteger.valueOf(65537), BigInteger.ZERO)));
        assertEquals("the ssh-rsa key data is malformed", refusal(rsa(BigInteger.valueOf(65537), bits(3072).negate())));
    }

    @Test
    void aSecurityKeysEd25519KeyIs32BytesAndNamesItsApplication() throws Exception {
        String type = "sk-ssh-ed25519@openssh.com";
        assertEquals(type, AuthorizedKey.parse(line(type, new SshWire.Writer().string(type).string(new byte[32])
                .string("ssh:"))).type());
        assertEquals("the sk-ssh-ed25519@openssh.com key must hold 32 bytes, not 31",
                refusal(line(type, new SshWire.Writer().string(type).string(new byte[31]).string("ssh:"))));
        assertEquals("the sk-ssh-ed25519@openssh.com key data is truncated or malformed",
                refusal(line(type, new SshWire.Writer().string(type).string(new byte[32]))));
    }

    @Test
    void anEcdsaPointMustLieInTheField() throws Exception {
        ECParameterSpec curve = curve("secp256r1");
        BigInteger p = ((ECFieldFp) curve.getCurve().getField()).getP();
        BigInteger b = curve.getCurve().getB();
        // x = p is 0 modulo p, and (0, sqrt(b)) is on the curve: only the field check refuses (p, sqrt(b))
        BigInteger y = b.modPow(p.add(BigInteger.ONE).shiftRight(2), p);
        assertEquals(b.mod(p), y.modPow(BigInteger.TWO, p));
        String type = "ecdsa-sha2-nistp256";
        assertEquals(type, AuthorizedKey.parse(line(type, ecdsa(type, BigInteger.ZERO, y))).type());
        assertEquals("the ecdsa-sha2-nistp256 key's point is not on the nistp256 curve",
                refusal(line(type, ecdsa(type, p, y))));
    }

    @Test
    void anUnknownTypeIsEchoedUpTo40PrintableCharacters() {
        String forty = "t".repeat(39) + "\u0001";
        assertEquals("key type '" + "t".repeat(39) + "?' is not allowed; use one of " + ALLOWED, refusal(forty + " AAAA"));
        assertEquals("key type '" + "t".repeat(40) + "...' is not allowed; use one of " + ALLOWED,
                refusal("t".repeat(41) + " AAAA"));
        assertEquals("key type 'ssh-dss' is not allowed; use one of " + ALLOWED, refusal("ssh-dss"));
    }

    @Test
    void aWordBeforeAKeyTypeIsAnOptionsPrefix() {
        String options = "authorized_keys options (such as command=, permitopen=, no-pty) are not allowed; give only "
                + "\"<type> <base64> [comment]\": the operator sets what a key may do";
        assertEquals(options, refusal("tunnel " + ED25519));
        assertEquals(options, refusal("x sk-ecdsa-sha2-nistp256@openssh.com AAAA"));
        assertEquals(options, refusal("x=1"));
        assertEquals(options, refusal("a,b"));
        assertEquals(options, refusal("no-x11-forwarding"));
        assertEquals(options, refusal("restrict"));
        assertEquals(options, refusal("cert-authority"));
    }

    // --- writing keys

    @Test
    void theWireFormatIsBigEndian() {
        assertArrayEquals(new byte[] { 1, 2, 3, 4, (byte) 0xfe, (byte) 0xdc, (byte) 0xba, (byte) 0x98 },
                new SshWire.Writer().uint32(0x01020304).uint32(0xfedcba98).toByteArray());
        assertArrayEquals(new byte[] { 0, 0, 0, 2, 'h', 'i' }, new SshWire.Writer().string("hi").toByteArray());
    }

    @Test
    void aStringMayBeEmptyOrFillTheRestButNotMore() {
        SshWire.Reader reader = new SshWire.Reader(new byte[] { 0, 0, 0, 0, 0, 0, 0, 2, 'h', 'i' });
        assertEquals("", reader.text());
        assertEquals("hi", reader.text());
        assertTrue(reader.atEnd());
        assertThrows(IllegalArgumentException.class, () -> new SshWire.Reader(new byte[] { 0, 0, 0, 3, 'h', 'i' }).string());
        assertThrows(IllegalArgumentException.class,
                () -> new SshWire.Reader(new byte[] { (byte) 0x80, 0, 0, 0, 'h', 'i' }).string(), "a negative length");
        assertThrows(IllegalArgumentException.class, () -> new SshWire.Reader(new byte[] { 0, 0, 2 }).string());
    }

    @Test
    void thePrivateKeyHoldsTheSeedOfThePublicKeyInOpensshsContainer() throws Exception {
        SshKeyPair pair = Ed25519KeyGenerator.generate("alice@laptop");
        byte[] publicBlob = Base64.getDecoder().decode(pair.publicKey().split(" ")[1]);
        byte[] publicKey = Arrays.copyOfRange(publicBlob, publicBlob.length - 32, publicBlob.length);

        ByteBuffer container = ByteBuffer.wrap(pem(pair.privateKey()));
        byte[] magic = new byte[15];
        container.get(magic);
        assertEquals("openssh-key-v1\0", new String(magic, StandardCharsets.US_ASCII));
        assertEquals("none", text(container));
        assertEquals("none", text(container));
        assertEquals(0, string(container).length);
        assertEquals(1, container.getInt());
        assertArrayEquals(publicBlob, string(container));
        ByteBuffer section = ByteBuffer.wrap(string(container));
        assertEquals(0, container.remaining());

        assertEquals(0, section.capacity() % 8, "padded to ssh-keygen's block size");
        assertEquals(section.getInt(), section.getInt(), "the two check numbers match");
        assertEquals("ssh-ed25519", text(section));
        assertArrayEquals(publicKey, string(section));
        byte[] secret = string(section);
        assertEquals(64, secret.length);
        assertArrayEquals(publicKey, Arrays.copyOfRange(secret, 32, 64), "the secret ends with the public key");
        assertTrue(signsForPublicKey(Arrays.copyOf(secret, 32), publicKey), "the seed is the public key's");
        assertEquals("alice@laptop", text(section));
        for (int pad = 1; section.hasRemaining(); pad++) {
            assertEquals(pad, section.get(), "padding 1, 2, 3...");
        }
        for (int length = 0; length < 8; length++) {
            assertPaddedLikeSshKeygen(Ed25519KeyGenerator.generate("c".repeat(length)).privateKey(), length);
        }
        assertEquals("SshKeyPair[publicKey=" + pair.publicKey() + ", privateKey=<redacted>]", pair.toString());
    }

    @Test
    void thePemHas70CharacterLinesAndNoEmptyOne() {
        boolean sawExactMultiple = false;
        for (int length = 0; length < 120; length++) {
            String pem = Ed25519KeyGenerator.generate("c".repeat(length)).privateKey();
            String[] lines = pem.split("\n", -1);
            assertEquals("", lines[lines.length - 1], "ends with a newline");
            String base64 = String.join("", Arrays.copyOfRange(lines, 1, lines.length - 2));
            sawExactMultiple |= base64.length() % 70 == 0;
            for (int i = 1; i < lines.length - 2; i++) {
                assertTrue(!lines[i].isEmpty(), "comment of " + length + ": an empty line " + i);
                assertEquals(i < lines.length - 3 ? 70 : Math.min(70, base64.length() - 70 * (i - 1)), lines[i].length(),
                        "comment of " + length + ", line " + i);
            }
        }
        assertTrue(sawExactMultiple, "some key's base64 fills its last line exactly");
    }

    @Test
    void aKeyCommentIsPrintableAscii() {
        assertTrue(Ed25519KeyGenerator.generate(" ~").publicKey().endsWith("  ~"));
        assertThrows(IllegalArgumentException.class, () -> Ed25519KeyGenerator.generate("a\u001f"));
        assertThrows(IllegalArgumentException.class, () -> Ed25519KeyGenerator.generate("a\u007f"));
    }

    // --- comments, trailing bytes, fingerprints

    @Test
    void aHarmlessCommentIsKeptAndAnyOtherDropped() throws Exception {
        assertEquals(ED25519 + " me@host", AuthorizedKey.parse(ED25519 + "   me@host  ").toLine());
        assertEquals("me@host", AuthorizedKey.parse(ED25519 + " me@host").comment());
        assertEquals(ED25519, AuthorizedKey.parse(ED25519 + " say \"hi\"").toLine());
        assertEquals(ED25519, AuthorizedKey.parse(ED25519).toLine());
        String[] fields = ED25519.split(" ");
        assertEquals(null, new AuthorizedKey(fields[0], fields[1], null).comment());
        assertEquals(null, new AuthorizedKey(fields[0], fields[1], "  ").comment());
        assertEquals(ED25519 + " x", new AuthorizedKey(fields[0], fields[1], " x ").toLine());
    }

    @Test
    void anEd25519KeyIsExactly32BytesAndNothingAfter() {
        byte[] blob = Base64.getDecoder().decode(ED25519.split(" ")[1]);
        SshWire.Writer short31 = new SshWire.Writer().string("ssh-ed25519").string(Arrays.copyOf(blob, 31));
        assertEquals("the ssh-ed25519 key must hold 32 bytes, not 31", refusal(line("ssh-ed25519", short31)));
        SshWire.Writer trailing = new SshWire.Writer().raw(blob).raw(new byte[] { 0 });
        assertEquals("the ssh-ed25519 key data has trailing bytes", refusal(line("ssh-ed25519", trailing)));
    }

    @Test
    void theFingerprintIsSshKeygensForTheFirstKeyOnTheLine() {
        // ssh-keygen -lf prints SHA256:ZkAslGjFiUHdGf/WUL8rQvkib4PTvQatUV0OUQSncCA for this key (bytes 0..31)
        String key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f";
        String expected = "SHA256:ZkAslGjFiUHdGf/WUL8rQvkib4PTvQatUV0OUQSncCA";
        assertEquals(expected, SshFingerprints.sha256(key));
        assertEquals(expected, SshFingerprints.sha256(key + " zero@test"));
        assertEquals(expected, SshFingerprints.sha256("command=\"x\",no-pty " + key + " zero@test"));
        assertEquals(expected, SshFingerprints.sha256("ssh-rsa " + key.split(" ")[1] + " " + key),
                "a blob of another type than its line says is skipped");
        assertEquals("not an OpenSSH public key line",
                assertThrows(IllegalArgumentException.class, () -> SshFingerprints.sha256("ssh-ed25519")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> SshFingerprints.sha256(null));
        assertThrows(IllegalArgumentException.class, () -> SshFingerprints.sha256("ssh-ed25519 !!"));
    }

    // --- known_hosts

    @Test
    void anIpv6HostMayComeInBracketsButNotHalfBracketed() {
        String key = String.join(" ", Arrays.copyOf(ED25519.split(" "), 2));
        assertEquals("fd00::7 " + key, KnownHosts.line("[fd00::7]", 22, key));
        assertEquals("[fd00::7]:2222 " + key, KnownHosts.line("[fd00::7]", 2222, key));
        assertEquals("[fd00::7]:2222 " + key, KnownHosts.line("fd00::7", 2222, key));
        assertThrows(IllegalArgumentException.class, () -> KnownHosts.line("[fd00::7", 22, key));
        assertThrows(IllegalArgumentException.class, () -> KnownHosts.line("fd00::7]", 22, key));
        assertThrows(IllegalArgumentException.class, () -> KnownHosts.line("[]", 22, key));
        assertThrows(IllegalArgumentException.class, () -> KnownHosts.line(null, 22, key));
        assertThrows(IllegalArgumentException.class, () -> KnownHosts.line("db", 22, null));
    }

    @Test
    void aKnownHostsLineTakesPorts1To65535AndAKeyWithoutComment() {
        String key = String.join(" ", Arrays.copyOf(ED25519.split(" "), 2));
        assertEquals("[db]:1 " + key, KnownHosts.line("db", 1, key));
        assertEquals("[db]:65535 " + key, KnownHosts.line("db", 65535, key));
        assertEquals("db " + key, KnownHosts.line("db", 22, key + " a comment"));
        assertEquals("port out of range: 0", assertThrows(IllegalArgumentException.class,
                () -> KnownHosts.line("db", 0, key)).getMessage());
        assertEquals("port out of range: 65536", assertThrows(IllegalArgumentException.class,
                () -> KnownHosts.line("db", 65536, key)).getMessage());
    }

    private static BigInteger bits(int bits) {
        return BigInteger.ONE.shiftLeft(bits - 1).or(BigInteger.ONE);
    }

    private static String rsa(BigInteger exponent, BigInteger modulus) {
        return line("ssh-rsa", new SshWire.Writer().string("ssh-rsa").string(exponent.toByteArray())
                .string(modulus.toByteArray()));
    }

    private static SshWire.Writer ecdsa(String type, BigInteger x, BigInteger y) {
        byte[] point = new byte[65];
        point[0] = 4;
        System.arraycopy(fixed(x, 32), 0, point, 1, 32);
        System.arraycopy(fixed(y, 32), 0, point, 33, 32);
        return new SshWire.Writer().string(type).string("nistp256").string(point);
    }

    private static byte[] fixed(BigInteger value, int size) {
        byte[] bytes = value.toByteArray();
        byte[] out = new byte[size];
        int copy = Math.min(bytes.length, size);
        System.arraycopy(bytes, bytes.length - copy, out, size - copy, copy);
        return out;
    }

    private static ECParameterSpec curve(String name) throws Exception {
        AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
        parameters.init(new ECGenParameterSpec(name));
        return parameters.getParameterSpec(ECParameterSpec.class);
    }

    private static String line(String type, SshWire.Writer blob) {
        return type + " " + Base64.getEncoder().encodeToString(blob.toByteArray());
    }

    private static String refusal(String line) {
        return assertThrows(InvalidSshKeyException.class, () -> AuthorizedKey.parse(line)).getMessage();
    }

    private static byte[] publicKey(String line) {
        SshWire.Reader reader = new SshWire.Reader(Base64.getDecoder().decode(line.split(" ")[1]));
        assertEquals("ssh-ed25519", reader.text());
        return reader.string();
    }

    private static byte[] pem(String pem) {
        String[] lines = pem.split("\n");
        assertEquals("-----BEGIN OPENSSH PRIVATE KEY-----", lines[0]);
        assertEquals("-----END OPENSSH PRIVATE KEY-----", lines[lines.length - 1]);
        return Base64.getDecoder().decode(String.join("", Arrays.copyOfRange(lines, 1, lines.length - 1)));
    }

    /** The private section ends with padding 1, 2, 3... up to a multiple of 8, as ssh-keygen writes it. */
    private static void assertPaddedLikeSshKeygen(String pem, int commentLength) {
        ByteBuffer container = ByteBuffer.wrap(pem(pem));
        container.position(15);
        text(container);
        text(container);
        string(container);
        container.getInt();
        string(container);
        ByteBuffer section = ByteBuffer.wrap(string(container));
        section.getLong();
        text(section);
        string(section);
        string(section);
        assertEquals(commentLength, string(section).length);
        int padding = section.remaining();
        assertEquals(0, section.capacity() % 8);
        assertTrue(padding < 8, "at most 7 bytes of padding");
        for (int pad = 1; pad <= padding; pad++) {
            assertEquals(pad, section.get(), "comment of " + commentLength + ": padding byte " + pad);
        }
    }

    private static byte[] string(ByteBuffer in) {
        byte[] value = new byte[in.getInt()];
        in.get(value);
        return value;
    }

    private static String text(ByteBuffer in) {
        return new String(string(in), StandardCharsets.US_ASCII);
    }

    /** Signs with the private key made from the seed, and verifies with the public key. */
    private static boolean signsForPublicKey(byte[] seed, byte[] publicKey) throws Exception {
        KeyFactory factory = KeyFactory.getInstance("Ed25519");
        var privateKey = factory.generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
        // X.509 SubjectPublicKeyInfo of Ed25519: a fixed prefix, then the 32 raw bytes
        byte[] x509 = HexFormat.of().parseHex("302a300506032b6570032100" + HexFormat.of().formatHex(publicKey));
        PublicKey verifier = factory.generatePublic(new X509EncodedKeySpec(x509));
        byte[] message = "tunnel".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(privateKey);
        signer.update(message);
        byte[] signature = signer.sign();
        Signature check = Signature.getInstance("Ed25519");
        check.initVerify(verifier);
        check.update(message);
        return check.verify(signature);
    }
}
