package io.tunnelops.local;

import java.util.HashSet;
import java.util.Set;

/**
 * Hands out loopback addresses 127.77.x.y, one per Service: this machine's stand-in for cluster IPs. Each runner
 * starts in a random block, so two runners on one machine (a local cluster and a test run) rarely meet.
 */
final class LoopbackAddresses {

    private final Set<String> taken = new HashSet<>();
    private int next = java.util.concurrent.ThreadLocalRandom.current().nextInt(200) * 250;

    synchronized void reserve(String address) {
        taken.add(address);
    }

    synchronized String allocate() {
        while (true) {
            String candidate = "127.77." + (next / 250 % 250) + "." + (next % 250 + 2);
            next++;
            if (taken.add(candidate)) {
                return candidate;
            }
        }
    }
}
