package io.tunnelops.ssh;

import static io.tunnelops.testing.OpenSshTools.succeed;
import static io.tunnelops.testing.OpenSshTools.writePrivate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Ed25519KeyGeneratorTest {

    @TempDir
    Path dir;

    @Test
    void opensshReadsTheGeneratedPrivateKeyAndDerivesTheSamePublicKey() throws Exception {
        SshKeyPair pair = Ed25519KeyGenerator.generate("team-a/pg-debug");
        assertTrue(pair.privateKey().startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
        assertTrue(pair.privateKey().endsWith("\n-----END OPENSSH PRIVATE KEY-----\n"));
        assertTrue(pair.privateKey().lines().allMatch(l -> l.length() <= 70));
        Path key = writePrivate(dir.resolve("id_ed25519"), pair.privateKey());

        String derived = succeed("ssh-keygen", "-y", "-f", key.toString()).strip();

        assertEquals(pair.publicKey(), derived);
        assertTrue(pair.publicKey().startsWith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
    }

    @Test
    void fingerprintMatchesSshKeygen() throws Exception {
        SshKeyPair pair = Ed25519KeyGenerator.generate("host");
        Path pub = dir.resolve("key.pub");
        Files.writeString(pub, pair.publicKey() + "\n");

        String printed = succeed("ssh-keygen", "-lf", pub.toString());

        assertEquals("256 " + SshFingerprints.sha256(pair.publicKey()) + " host (ED25519)", printed.strip());
    }

    @Test
    void everyGenerationIsANewKeyAndToStringHidesThePrivateKey() {
        SshKeyPair first = Ed25519KeyGenerator.generate("a");
        SshKeyPair second = Ed25519KeyGenerator.generate("a");
        assertNotEquals(first.publicKey(), second.publicKey());
        assertNotEquals(first.privateKey(), second.privateKey());
        assertFalse(first.toString().contains("PRIVATE"));
        assertFalse(first.toString().contains(first.privateKey().lines().skip(1).findFirst().orElseThrow()));
    }

    @Test
    void privateKeyIsEncodedByteForByteAsSshKeygenEncodesIt() throws Exception {
        SshKeyPair pair = Ed25519KeyGenerator.generate("team-a/pg-debug");
        Path key = writePrivate(dir.resolve("id_ed25519"), pair.privateKey());

        // ssh-keygen re-encodes the key with its own writer (same key, same comment, new random check ints)
        succeed("ssh-keygen", "-q", "-p", "-P", "", "-N", "", "-f", key.toString());
        String rewritten = Files.readString(key);

        assertEquals(pair.privateKey().lines().map(String::length).toList(),
                rewritten.lines().map(String::length).toList(), "same PEM framing and 70-column wrapping");
        byte[] ours = pemBody(pair.privateKey());
        byte[] theirs = pemBody(rewritten);
        // magic(15) ciphername(8) kdfname(8) kdfoptions(4) count(4) public blob(4+51) section length(4): check ints
        int checkInts = 15 + 8 + 8 + 4 + 4 + 55 + 4;
        assertArrayEquals(Arrays.copyOfRange(ours, checkInts, checkInts + 4), Arrays.copyOfRange(ours, checkInts + 4, checkInts + 8));
        Arrays.fill(ours, checkInts, checkInts + 8, (byte) 0);
        Arrays.fill(theirs, checkInts, checkInts + 8, (byte) 0);
        assertArrayEquals(theirs, ours, "identical apart from the random check ints: key, comment and padding");
    }

    @Test
    void aKeyWithoutCommentIsJustTypeAndKeyAndACommentCannotBreakTheLine() throws Exception {
        SshKeyPair pair = Ed25519KeyGenerator.generate(null);
        assertEquals(2, pair.publicKey().split(" ").length);
        Path key = writePrivate(dir.resolve("id_plain"), pair.privateKey());
        assertEquals(pair.publicKey(), succeed("ssh-keygen", "-y", "-f", key.toString()).strip());
        assertThrows(IllegalArgumentException.class, () -> Ed25519KeyGenerator.generate("a\nssh-ed25519 AAAA"));
    }

    @Test
    void eachThreadDrawsFromADrbgOfItsOwnSoThatNoLockIsSharedBetweenReconcileThreads() throws Exception {
        SecureRandom mine = Ed25519KeyGenerator.random();
        assertSame(mine, Ed25519KeyGenerator.random());
        assertEquals("DRBG", mine.getAlgorithm(), "a DRBG locks only its own instance; NativePRNG locks one global");

        ExecutorService others = Executors.newFixedThreadPool(4);
        try {
            List<Future<SecureRandom>> randoms = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                randoms.add(others.submit(Ed25519KeyGenerator::random));
            }
            Set<SecureRandom> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
            distinct.add(mine);
            for (Future<SecureRandom> random : randoms) {
                distinct.add(random.get());
            }
            assertEquals(5, distinct.size(), "one generator per thread");
        } finally {
            others.shutdownNow();
        }
    }

    @Test
    void keysMadeOnManyThreadsAtOnceAreAllDifferent() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> keys = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                keys.add(threads.submit(() -> Ed25519KeyGenerator.generate(null).publicKey()));
            }
            Set<String> distinct = new HashSet<>();
            for (Future<String> key : keys) {
                distinct.add(key.get());
            }
            assertEquals(64, distinct.size(), "each thread's generator has a seed of its own");
        } finally {
            threads.shutdownNow();
        }
    }

    private static byte[] pemBody(String pem) {
        String body = pem.replace("-----BEGIN OPENSSH PRIVATE KEY-----", "").replace("-----END OPENSSH PRIVATE KEY-----", "");
        return Base64.getMimeDecoder().decode(body);
    }
}
