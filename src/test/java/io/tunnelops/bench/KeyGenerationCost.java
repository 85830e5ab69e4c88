package io.tunnelops.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import io.tunnelops.ssh.Ed25519KeyGenerator;

/**
 * What a session's keys cost the operator's CPU: ed25519 key pairs as the operator makes them (the JDK's provider,
 * then the OpenSSH encodings), each timed, after a warm-up. A session gets a host key, and a client key when the
 * user brings none. With several threads, all start at once and each makes its share, as the operator's reconcile
 * threads do when many sessions arrive together: the time per pair then includes waiting for a CPU or for a lock,
 * and the JVM's own count of the time the threads spent blocked on a monitor or parked tells the two apart.
 *
 * @param micros the time of each pair, on the thread that made it
 * @param perSecond all pairs over the time from the common start to the last thread's end
 * @param lockWaitMillis the time the generating threads spent blocked on monitors or parked, summed over threads
 * @param lockWaits how many times they blocked or parked
 */
record KeyGenerationCost(int threads, Percentiles micros, double perSecond, long lockWaitMillis, long lockWaits) {

    /** One thread. */
    static KeyGenerationCost measure(int pairs) {
        return measure(pairs, 1);
    }

    static KeyGenerationCost measure(int pairs, int threads) {
        for (int i = 0; i < pairs / 4; i++) {
            Ed25519KeyGenerator.generate("warm-up");
        }
        ThreadMXBean jvmThreads = ManagementFactory.getThreadMXBean();
        if (jvmThreads.isThreadContentionMonitoringSupported()) {
            jvmThreads.setThreadContentionMonitoringEnabled(true); // else blocked and waited times read -1
        }
        AtomicLong waitMillis = new AtomicLong();
        AtomicLong waits = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            // each thread keeps its own times: a shared synchronized list would be a lock of the benchmark's own
            List<Future<List<Long>>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int share = pairs / threads + (t < pairs % threads ? 1 : 0);
                done.add(pool.submit(() -> {
                    start.await();
                    List<Long> micros = new ArrayList<>(share);
                    ThreadInfo before = jvmThreads.getThreadInfo(Thread.currentThread().getId());
                    for (int i = 0; i < share; i++) {
                        long begin = System.nanoTime();
                        Ed25519KeyGenerator.generate("s-" + i);
                        micros.add((System.nanoTime() - begin) / 1000);
                    }
                    ThreadInfo after = jvmThreads.getThreadInfo(Thread.currentThread().getId());
                    waitMillis.addAndGet(after.getBlockedTime() - before.getBlockedTime()
                            + after.getWaitedTime() - before.getWaitedTime());
                    waits.addAndGet(after.getBlockedCount() - before.getBlockedCount()
                            + after.getWaitedCount() - before.getWaitedCount());
                    return micros;
                }));
            }
            long begin = System.nanoTime();
            start.countDown();
            List<Long> micros = new ArrayList<>(pairs);
            for (Future<List<Long>> f : done) {
                micros.addAll(f.get());
            }
            double perSecond = pairs / ((System.nanoTime() - begin) / 1e9);
            return new KeyGenerationCost(threads, Percentiles.of(micros), perSecond,
                    waitMillis.get(), waits.get());
        } catch (Exception e) {
            throw new IllegalStateException("key generation failed", e);
        } finally {
            pool.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "%s µs per key pair, p50 / p95 / p99 (max), %.0f pairs/s on %d thread%s, %d ms blocked or parked (%d times)"
                .formatted(micros, perSecond, threads, threads == 1 ? "" : "s", lockWaitMillis, lockWaits);
    }
}
