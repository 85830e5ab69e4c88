package io.tunnelops.bench;

import java.util.ArrayList;
import java.util.List;

import io.tunnelops.ssh.Ed25519KeyGenerator;

/**
 * What a session's keys cost the operator's CPU: one ed25519 key pair as the operator makes it (the JDK's provider,
 * then the OpenSSH encodings), timed one at a time on one thread after a warm-up. A session gets a host key, and a
 * client key when the user brings none.
 */
record KeyGenerationCost(Percentiles micros, double perSecond) {

    static KeyGenerationCost measure(int pairs) {
        for (int i = 0; i < pairs / 4; i++) {
            Ed25519KeyGenerator.generate("warm-up");
        }
        List<Long> micros = new ArrayList<>(pairs);
        long begin = System.nanoTime();
        for (int i = 0; i < pairs; i++) {
            long start = System.nanoTime();
            Ed25519KeyGenerator.generate("s-" + i);
            micros.add((System.nanoTime() - start) / 1000);
        }
        return new KeyGenerationCost(Percentiles.of(micros), pairs / ((System.nanoTime() - begin) / 1e9));
    }

    @Override
    public String toString() {
        return "%s µs per key pair, p50 / p95 / p99 (max), %.0f pairs/s on one thread".formatted(micros, perSecond);
    }
}
