package io.tunnelops.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import io.tunnelops.net.Ipv4Address;

/**
 * The local pod runner's network, so that an sshd never shares this machine's loopback: a Linux bridge with a /22 of
 * the shared address space (100.64.0.0/10) that no route of this machine overlaps, and a network namespace per pod
 * whose only interface sits on that bridge. A pod reaches the bridge's addresses (where the targets' Service
 * addresses live) and other pods, nothing on this machine's 127.0.0.1 and, with no default route, nothing beyond.
 * Names carry the JVM's pid, so what a killed run left behind is removed by the next one.
 */
public final class PodNetwork implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PodNetwork.class);
    private static final String NETNS_PREFIX = "tunnelpod-";
    private static final String BRIDGE_PREFIX = "tunbr";
    private static final Pattern ROUTE = Pattern.compile("^(\\d+\\.\\d+\\.\\d+\\.\\d+)(?:/(\\d+))?\\s");
    private static final Path NETNS_DIR = Path.of("/run/netns");

    private final long pid = ProcessHandle.current().pid();
    /** Several networks may live in one JVM (local mode and the real cluster in one test run): numbered. */
    private static final java.util.concurrent.atomic.AtomicInteger NETWORKS = new java.util.concurrent.atomic.AtomicInteger();
    private static final java.util.concurrent.atomic.AtomicInteger PODS = new java.util.concurrent.atomic.AtomicInteger();
    private final String bridge = BRIDGE_PREFIX + pid + "-" + NETWORKS.getAndIncrement();
    private final long block;
    private final Set<Long> taken = new HashSet<>();
    private final Map<String, String> podNamespaces = new ConcurrentHashMap<>();
    private final List<String> extraRoutes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private int nextAddress;

    private PodNetwork(long block) {
        this.block = block;
    }

    /** Creates the bridge on a free /22 and checks that the block is routed to it, before any traffic. */
    public static PodNetwork create(String... avoid) {
        removeLeftovers();
        Set<long[]> routes = routes();
        for (String cidr : avoid) {
            routes.add(new long[] {value(cidr.substring(0, cidr.indexOf('/'))),
                    Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1))});
        }
        for (int attempt = 0; attempt < 64; attempt++) {
            long candidate = (100L << 24 | 64L << 16) + ((long) ThreadLocalRandom.current().nextInt(1 << 12) << 10);
            if (routes.stream().noneMatch(r -> overlaps(r[0], r[1], candidate, 22))) {
                PodNetwork network = new PodNetwork(candidate);
                network.up();
                return network;
            }
        }
        throw new IllegalStateException("no free /22 in 100.64.0.0/10 for the local pod network");
    }

    private void up() {
        String gateway = gateway();
        run("ip", "link", "add", bridge, "type", "bridge");
        run("ip", "addr", "add", gateway + "/22", "dev", bridge);
        run("ip", "link", "set", bridge, "up");
        taken.add(block + 1);
        String route = run("ip", "-4", "route", "get", text(block + 2));
        if (!route.contains("dev " + bridge + " ")) {
            close();
            throw new IllegalStateException("the pod network " + cidr() + " is not routed to " + bridge + ": " + route);
        }
        LOG.infof("pod network %s on bridge %s", cidr(), bridge);
    }

    /** The bridge's interface name, for a test to check it is gone after {@link #close()}. */
    public String bridge() {
        return bridge;
    }

    /** This machine's address on the bridge: the pods' gateway, and the node's address in the real cluster. */
    public String gateway() {
        return text(block + 1);
    }

    /**
     * Routes {@code cidr} (a Service range) to the bridge, so that no packet for it takes this machine's default
     * route; the pods send it to the gateway, where the Service addresses live. Checked before any traffic.
     */
    public void routeToBridge(String cidr) {
        run("ip", "route", "replace", cidr, "dev", bridge);
        extraRoutes.add(cidr);
        String first = text(value(cidr.substring(0, cidr.indexOf('/'))) + 1);
        String route = run("ip", "-4", "route", "get", first);
        if (!route.contains("dev " + bridge + " ") && !route.startsWith("local ")) {
            throw new IllegalStateException(cidr + " is not routed to " + bridge + ": " + route);
        }
    }

    public String cidr() {
        return text(block) + "/22";
    }

    public boolean contains(String address) {
        long value = value(address);
        return value >= 0 && (value & ~0x3ffL) == block;
    }

    /** The next free address of the block. */
    public synchronized String allocate() {
        for (int i = 0; i < 1021; i++) {
            long candidate = block + 2 + (nextAddress++ % 1021);
            if (taken.add(candidate)) {
                return text(candidate);
            }
        }
        throw new IllegalStateException("the pod network " + cidr() + " is full");
    }

    public synchronized void reserve(String address) {
        if (contains(address)) {
            taken.add(value(address));
        }
    }

    /** An address on this machine's side of the bridge: where a target served from this machine listens. */
    public void addHostAddress(String address) {
        String existing = run("ip", "-4", "-o", "addr", "show", "dev", bridge);
        if (!existing.contains(" " + address + "/")) {
            run("ip", "addr", "add", address + "/32", "dev", bridge);
        }
    }

    /**
     * A pod's network namespace with {@code address} on its only interface; returns the command prefix that runs a
     * process in it.
     */
    public List<String> addPod(String key, String address) {
        removePod(key);
        int number = PODS.getAndIncrement();
        String name = NETNS_PREFIX + pid + "-" + number;
        String hostSide = "tv" + pid + "-" + number; // at most 15 characters, as Linux allows
        run("ip", "netns", "add", name);
        run("ip", "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", name);
        run("ip", "link", "set", hostSide, "master", bridge, "up");
        run("ip", "-n", name, "addr", "add", address + "/22", "dev", "eth0");
        run("ip", "-n", name, "link", "set", "lo", "up");
        run("ip", "-n", name, "link", "set", "eth0", "up");
        for (String cidr : extraRoutes) {
            run("ip", "-n", name, "route", "add", cidr, "via", gateway());
        }
        podNamespaces.put(key, name);
        return List.of("nsenter", "--net=" + NETNS_DIR.resolve(name), "--");
    }

    /** The command prefix that runs a process in the existing namespace of pod {@code key}. */
    public List<String> enter(String key) {
        String name = podNamespaces.get(key);
        if (name == null) {
            throw new IllegalStateException("no network namespace for pod " + key);
        }
        return List.of("nsenter", "--net=" + NETNS_DIR.resolve(name), "--");
    }

    /** Deleting the namespace deletes its veth pair. */
    public void removePod(String key) {
        String name = podNamespaces.remove(key);
        if (name != null) {
            runQuietly("ip", "netns", "del", name);
        }
    }

    @Override
    public void close() {
        new ArrayList<>(podNamespaces.keySet()).forEach(this::removePod);
        runQuietly("ip", "link", "del", bridge);
    }

    /** Bridges and namespaces of runs whose JVM is gone. */
    private static void removeLeftovers() {
        if (Files.isDirectory(NETNS_DIR)) {
            try (Stream<Path> names = Files.list(NETNS_DIR)) {
                names.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(NETNS_PREFIX))
                        .filter(n -> !alive(n.substring(NETNS_PREFIX.length()).split("-")[0]))
                        .forEach(n -> runQuietly("ip", "netns", "del", n));
            } catch (IOException e) {
                LOG.debug("cannot list " + NETNS_DIR, e);
            }
        }
        Matcher bridges = Pattern.compile("^\\d+: (" + BRIDGE_PREFIX + "(\\d+)-\\d+)[:@]", Pattern.MULTILINE)
                .matcher(run("ip", "-o", "link", "show", "type", "bridge"));
        while (bridges.find()) {
            if (!alive(bridges.group(2))) {
                runQuietly("ip", "link", "del", bridges.group(1));
            }
        }
    }

    private static boolean alive(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return true; // not ours to judge
        }
    }

    /** Every IPv4 route of this machine as [network, prefix]; the default route is not a conflict. */
    private static Set<long[]> routes() {
        Set<long[]> routes = new HashSet<>();
        for (String line : run("ip", "-4", "route", "show", "table", "all").split("\n")) {
            Matcher m = ROUTE.matcher(line.replaceFirst("^(local|broadcast|unicast) ", ""));
            if (m.find()) {
                routes.add(new long[] {value(m.group(1)), m.group(2) == null ? 32 : Integer.parseInt(m.group(2))});
            }
        }
        return routes;
    }

    private static boolean overlaps(long a, long aPrefix, long b, int bPrefix) {
        long prefix = Math.min(aPrefix, bPrefix);
        long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
        return (a & mask) == (b & mask);
    }

    private static long value(String address) {
        return Ipv4Address.parseCanonical(address).map(Ipv4Address::value).orElse(-1L);
    }

    private static String text(long value) {
        return new Ipv4Address(value).toString();
    }

    private static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output.strip());
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException(command[0] + " cannot run (install iproute2): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void runQuietly(String... command) {
        try {
            run(command);
        } catch (IllegalStateException e) {
            LOG.debug(e.getMessage());
        }
    }
}
