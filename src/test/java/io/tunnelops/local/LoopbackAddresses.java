package io.tunnelops.local;

import java.util.HashSet;
import java.util.Set;

/** Hands out loopback addresses 127.77.x.y, one per Service: this machine's stand-in for cluster IPs. */
final class LoopbackAddresses {

    private final Set<String> taken = new HashSet<>();
    private int next = 2;

    synchronized void reserve(String address) {
        taken.add(address);
    }

    synchronized String allocate() {
        while (true) {
            String candidate = "127.77." + (next / 250) + "." + (next % 250 + 2);
            next++;
            if (taken.add(candidate)) {
                return candidate;
            }
        }
    }
}
