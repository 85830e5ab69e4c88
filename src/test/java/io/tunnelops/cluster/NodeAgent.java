package io.tunnelops.cluster;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.tunnelops.local.PodNetwork;
import io.tunnelops.local.SshdContainer;
import io.tunnelops.net.Ipv4Address;
import io.tunnelops.session.resources.SessionLabels;
import io.tunnelops.ssh.SshdLayout;
import io.tunnelops.testing.EchoServer;

/**
 * The node of the real test cluster until the real kubelet arrives, shaped like kwok: it registers a Node, keeps its
 * Lease fresh, and runs what the scheduler binds to it. A session's sshd pod runs as {@link SshdContainer} in a network
 * namespace of its own on the {@link PodNetwork}; a pod of the image {@value #ECHO_IMAGE} runs an echo server on its
 * pod IP (the test targets); any other image cannot be pulled here and stays Waiting with ErrImagePull, as on a node
 * without it. Pod status (phase, conditions, IPs, container state, termination message) goes to the API, where the
 * real controllers (Deployment, ReplicaSet, EndpointSlice, garbage collector) take it from. Graceful deletion is
 * honoured: a pod marked for deletion is stopped, then removed with grace period 0, as the kubelet does.
 * <p>
 * {@link #light} makes the lightest node for benchmarks: it runs nothing, needs no pod network, and marks every pod
 * bound to it Running and Ready with one status write, with an address of 198.18.0.0/15 (RFC 2544's benchmarking
 * range, never routed here and never addressed); its capacity is large enough for thousands of sshd pods.
 */
public final class NodeAgent implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(NodeAgent.class);
    public static final String NODE = "tunnel-node";
    public static final String ECHO_IMAGE = "tunnelops.local/echo";
    private static final long RESTART_BACKOFF_SECONDS = 10;
    /** The light node's own address and the first of its pod addresses: RFC 2544's benchmarking range. */
    private static final long LIGHT_BLOCK = Ipv4Address.parseCanonical("198.18.0.0").orElseThrow().value();

    private final KubernetesClient client;
    private final String sshdImage;
    private final Path workDir;
    /** Null for a light node: nothing runs, so nothing needs a network. */
    private final PodNetwork network;
    private final Map<String, Quantity> capacity;
    private final java.util.concurrent.atomic.AtomicLong lightAddresses = new java.util.concurrent.atomic.AtomicLong(2);
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "node-agent");
        thread.setDaemon(true);
        return thread;
    });
    /**
     * The light node's status writes, a few at a time: one node stands in for the many nodes a thousand sessions
     * would run on, and must not be what the benchmark measures.
     */
    private final java.util.concurrent.ExecutorService lightWriters = Executors.newFixedThreadPool(4, r -> {
        Thread thread = new Thread(r, "node-agent-status");
        thread.setDaemon(true);
        return thread;
    });
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private SharedIndexInformer<Service> services;

    /** A started pod: its IP and what runs for it (an sshd process or echo servers). */
    private record Running(String uid, String ip, Process sshd, List<EchoServer> echoes, int restarts, Path dir) {
    }

    /**
     * @param sshdImage the image this node "has" for sessions' sshd pods (run with Debian's OpenSSH); a pod asking
     *        for any other image cannot start, as on a node that cannot pull it
     */
    public NodeAgent(KubernetesClient client, PodNetwork network, Path workDir, String sshdImage) {
        this(client, network, workDir, sshdImage, Map.of("cpu", new Quantity("2"), "memory", new Quantity("8Gi"),
                "pods", new Quantity("110"), "ephemeral-storage", new Quantity("10Gi")));
    }

    private NodeAgent(KubernetesClient client, PodNetwork network, Path workDir, String sshdImage,
            Map<String, Quantity> capacity) {
        this.client = client;
        this.sshdImage = sshdImage;
        this.network = network;
        this.workDir = workDir.toAbsolutePath();
        this.capacity = capacity;
    }

    /**
     * A node that runs nothing: every pod bound to it is marked Running and Ready at once (one status write), so the
     * real Deployment and EndpointSlice controllers see it available; room for {@code maxPods} sshd pods.
     */
    public static NodeAgent light(KubernetesClient client, Path workDir, int maxPods) {
        return new NodeAgent(client, null, workDir, null, Map.of("cpu", new Quantity(String.valueOf(Math.max(2, maxPods / 50))),
                "memory", new Quantity(Math.max(8, maxPods / 32) + "Gi"), "pods", new Quantity(String.valueOf(maxPods)),
                // an sshd pod asks for 16Mi of ephemeral storage (its limit, as no request is given)
                "ephemeral-storage", new Quantity(Math.max(10, maxPods / 16) + "Gi")));
    }

    private boolean isLight() {
        return network == null;
    }

    /** The node's address, which pods report as their host IP. */
    private String nodeAddress() {
        return isLight() ? new Ipv4Address(LIGHT_BLOCK + 1).toString() : network.gateway();
    }

    public NodeAgent start() {
        register();
        worker.scheduleWithFixedDelay(() -> guarded(this::heartbeat), 0, 10, TimeUnit.SECONDS);
        if (!isLight()) {
            informServices();
        }
        informers.add(client.pods().inAnyNamespace().withField("spec.nodeName", NODE).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                worker.execute(() -> guarded(() -> onPod(pod)));
            }

            @Override
            public void onUpdate(Pod oldPod, Pod pod) {
                worker.execute(() -> guarded(() -> onPod(pod)));
            }

            @Override
            public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
                worker.execute(() -> guarded(() -> stop(key(pod))));
            }
        }));
        return this;
    }

    /** Cluster DNS for the sshd: every Service's name in each pod's /etc/hosts. */
    private void informServices() {
        services = client.services().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Service service) {
                worker.execute(() -> guarded(NodeAgent.this::refreshHosts));
            }

            @Override
            public void onUpdate(Service oldService, Service service) {
                worker.execute(() -> guarded(NodeAgent.this::refreshHosts));
            }

            @Override
            public void onDelete(Service service, boolean deletedFinalStateUnknown) {
                worker.execute(() -> guarded(NodeAgent.this::refreshHosts));
            }
        });
        informers.add(services);
    }

    private static void guarded(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warn("node agent: " + e.getMessage(), e);
        }
    }

    // ---- the Node

    private void register() {
        client.resource(new NodeBuilder().withNewMetadata().withName(NODE)
                .addToLabels("kubernetes.io/hostname", NODE).addToLabels("kubernetes.io/os", "linux")
                .addToLabels("kubernetes.io/arch", "amd64").endMetadata()
                .withNewSpec().endSpec().build()).createOr(NonDeletingOperation::update);
        // the node lifecycle controller writes to a new Node at once: retry on a conflict
        for (int attempt = 1;; attempt++) {
            try {
                writeNodeStatus();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    private void writeNodeStatus() {
        client.nodes().withName(NODE).editStatus(node -> {
            node.setStatus(new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
                    .withCapacity(capacity).withAllocatable(capacity)
                    .addNewAddress().withType("InternalIP").withAddress(nodeAddress()).endAddress()
                    .addNewAddress().withType("Hostname").withAddress(NODE).endAddress()
                    .withConditions(nodeReady())
                    .withNewNodeInfo().withKubeletVersion("v1.34.0-tunnel-node-agent").withOperatingSystem("linux")
                    .withArchitecture("amd64").withContainerRuntimeVersion("local://openssh")
                    .withOsImage("Debian").withKernelVersion(System.getProperty("os.version")).withMachineID(NODE)
                    .withSystemUUID(NODE).withBootID(NODE).withKubeProxyVersion("").endNodeInfo()
                    .build());
            return node;
        });
    }

    private static io.fabric8.kubernetes.api.model.NodeCondition nodeReady() {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        return new io.fabric8.kubernetes.api.model.NodeConditionBuilder().withType("Ready").withStatus("True")
                .withReason("KubeletReady").withMessage("node agent is posting ready status")
                .withLastHeartbeatTime(now).withLastTransitionTime(now).build();
    }

    /** The Lease the node lifecycle controller watches, and a fresh Ready condition now and then. */
    private void heartbeat() {
        client.resource(new LeaseBuilder().withNewMetadata().withName(NODE).withNamespace("kube-node-lease").endMetadata()
                .withNewSpec().withHolderIdentity(NODE).withLeaseDurationSeconds(40)
                .withRenewTime(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC)).endSpec().build())
                .createOr(NonDeletingOperation::update);
        client.nodes().withName(NODE).editStatus(node -> {
            node.getStatus().setConditions(List.of(nodeReady()));
            return node;
        });
    }

    // ---- pods

    private void onPod(Pod pod) {
        String key = key(pod);
        Running current = running.get(key);
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            stop(key);
            try {
                client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                        .withGracePeriod(0).delete();
            } catch (KubernetesClientException e) {
                LOG.debugf("pod %s already gone: %s", key, e.getMessage());
            }
            return;
        }
        if (current != null && current.uid().equals(pod.getMetadata().getUid())) {
            return;
        }
        if (current != null) {
            stop(key); // a new pod of the same name
        }
        Container container = pod.getSpec().getContainers().get(0);
        if (isLight()) {
            markReady(pod);
            return;
        }
        boolean sshd = SessionLabels.OPERATOR.equals(labels(pod).get(SessionLabels.MANAGED_BY));
        if (sshd && sshdImage.equals(container.getImage())) {
            startSshd(pod, 0);
        } else if (ECHO_IMAGE.equals(container.getImage())) {
            startEcho(pod);
        } else {
            writeStatus(pod, null, List.of(statusOf(container, new ContainerStateBuilder().withNewWaiting()
                    .withReason("ErrImagePull").withMessage("image " + container.getImage() + " is not on node " + NODE
                            + " and cannot be pulled: images are built on this machine, never pulled")
                    .endWaiting().build(), false, 0, null)), "Pending");
        }
    }

    private void startSshd(Pod pod, int restarts) {
        String key = key(pod);
        Secret secret = pod.getSpec().getVolumes().stream().filter(v -> v.getSecret() != null).findFirst()
                .map(v -> client.secrets().inNamespace(pod.getMetadata().getNamespace())
                        .withName(v.getSecret().getSecretName()).get())
                .orElse(null);
        if (secret == null) {
            worker.schedule(() -> guarded(() -> retry(pod)), 500, TimeUnit.MILLISECONDS);
            return;
        }
        Running previous = running.get(key);
        String ip = previous != null ? previous.ip() : network.allocate();
        Path dir = workDir.resolve(pod.getMetadata().getNamespace() + "_" + pod.getMetadata().getName());
        // a restarted container keeps its pod's network namespace and IP
        List<String> inNetwork = previous != null ? network.enter(key) : network.addPod(key, ip);
        Process process = SshdContainer.start(pod.getSpec(), secret, dir, ip, inNetwork, hostsFile());
        Running started = new Running(pod.getMetadata().getUid(), ip, process, List.of(), restarts, dir);
        running.put(key, started);
        LOG.infof("node agent: started sshd of pod %s at %s:%d", key, ip, SshdLayout.PORT);
        Container container = pod.getSpec().getContainers().get(0);
        ContainerState runningState = new ContainerStateBuilder().withNewRunning()
                .withStartedAt(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).endRunning().build();
        writeStatus(pod, ip, List.of(statusOf(container, runningState, false, restarts, lastState(pod))), "Running");
        probeReadiness(pod, started);
        process.onExit().thenRun(() -> worker.execute(() -> guarded(() -> exited(pod, started))));
    }

    private void retry(Pod pod) {
        Pod current = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
        if (current != null && current.getMetadata().getDeletionTimestamp() == null && !running.containsKey(key(current))) {
            onPod(current);
        }
    }

    /** The readiness probe (tcpSocket on the sshd port), every 200 ms until it passes. */
    private void probeReadiness(Pod pod, Running started) {
        worker.schedule(() -> guarded(() -> {
            if (running.get(key(pod)) != started || !started.sshd().isAlive()) {
                return;
            }
            if (accepts(started.ip(), SshdLayout.PORT)) {
                Container container = pod.getSpec().getContainers().get(0);
                ContainerState state = new ContainerStateBuilder().withNewRunning()
                        .withStartedAt(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).endRunning().build();
                writeStatus(pod, started.ip(), List.of(statusOf(container, state, true, started.restarts(),
                        lastState(pod))), "Running");
            } else {
                probeReadiness(pod, started);
            }
        }), 200, TimeUnit.MILLISECONDS);
    }

    /** The container ended: its termination message goes to the status; restartPolicy Always restarts it later. */
    private void exited(Pod pod, Running started) {
        if (running.get(key(pod)) != started) {
            return; // stopped by us
        }
        int exitCode = started.sshd().exitValue();
        String message = SshdContainer.terminationMessage(started.dir());
        LOG.infof("node agent: sshd of pod %s exited with %d", key(pod), exitCode);
        ContainerState terminated = new ContainerStateBuilder().withNewTerminated().withExitCode(exitCode)
                .withReason(exitCode == 0 ? "Completed" : "Error").withMessage(message.isEmpty() ? null : message)
                .withFinishedAt(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).endTerminated().build();
        Container container = pod.getSpec().getContainers().get(0);
        writeStatus(pod, started.ip(), List.of(statusOf(container, terminated, false, started.restarts(), null)), "Running");
        worker.schedule(() -> guarded(() -> {
            Pod current = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
            if (current != null && current.getMetadata().getDeletionTimestamp() == null
                    && running.get(key(pod)) == started) {
                startSshd(current, started.restarts() + 1);
            }
        }), RESTART_BACKOFF_SECONDS, TimeUnit.SECONDS);
    }

    /** The light node's whole work for a pod: an address and Running, Ready, with nothing started. */
    private void markReady(Pod pod) {
        String ip = new Ipv4Address(LIGHT_BLOCK + lightAddresses.getAndIncrement()).toString();
        running.put(key(pod), new Running(pod.getMetadata().getUid(), ip, null, List.of(), 0, null));
        ContainerState state = new ContainerStateBuilder().withNewRunning()
                .withStartedAt(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).endRunning().build();
        List<ContainerStatus> containers = pod.getSpec().getContainers().stream()
                .map(c -> statusOf(c, state, true, 0, null)).toList();
        lightWriters.execute(() -> guarded(() -> writeStatus(pod, ip, containers, "Running")));
    }

    private void startEcho(Pod pod) {
        String key = key(pod);
        String ip = network.allocate();
        network.addHostAddress(ip); // served from this JVM, on the bridge
        List<EchoServer> echoes = new ArrayList<>();
        Container container = pod.getSpec().getContainers().get(0);
        for (ContainerPort port : container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
            echoes.add(new EchoServer(ip, port.getContainerPort()));
        }
        running.put(key, new Running(pod.getMetadata().getUid(), ip, null, echoes, 0, null));
        ContainerState state = new ContainerStateBuilder().withNewRunning()
                .withStartedAt(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).endRunning().build();
        writeStatus(pod, ip, List.of(statusOf(container, state, true, 0, null)), "Running");
    }

    private void stop(String key) {
        Running pod = running.remove(key);
        if (pod == null) {
            return;
        }
        if (pod.sshd() != null) {
            SshdContainer.stop(pod.sshd());
            network.removePod(key);
            SshdContainer.deleteTree(pod.dir());
        }
        for (EchoServer echo : pod.echoes()) {
            try {
                echo.close();
            } catch (java.io.IOException e) {
                LOG.debug("echo server close", e);
            }
        }
        LOG.infof("node agent: stopped pod %s", key);
    }

    private static ContainerState lastState(Pod pod) {
        return pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null ? null
                : pod.getStatus().getContainerStatuses().stream().map(ContainerStatus::getState)
                        .filter(s -> s != null && s.getTerminated() != null).findFirst().orElse(null);
    }

    private static ContainerStatus statusOf(Container container, ContainerState state, boolean ready, int restarts,
            ContainerState last) {
        return new ContainerStatusBuilder().withName(container.getName()).withImage(container.getImage())
                .withImageID("").withContainerID(state.getWaiting() != null ? null : "local://" + container.getName())
                .withState(state).withLastState(last).withReady(ready).withStarted(state.getRunning() != null)
                .withRestartCount(restarts).build();
    }

    private void writeStatus(Pod pod, String ip, List<ContainerStatus> containers, String phase) {
        boolean ready = containers.stream().allMatch(c -> Boolean.TRUE.equals(c.getReady()));
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        List<PodCondition> conditions = List.of(
                condition("PodScheduled", true, now), condition("Initialized", true, now),
                condition("ContainersReady", ready, now), condition("Ready", ready, now));
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .editStatus(p -> {
                        var status = p.getStatus();
                        status.setPhase(phase);
                        status.setHostIP(nodeAddress());
                        status.setHostIPs(List.of(new io.fabric8.kubernetes.api.model.HostIP(nodeAddress())));
                        if (ip != null) {
                            status.setPodIP(ip);
                            status.setPodIPs(List.of(new PodIP(ip)));
                        }
                        if (status.getStartTime() == null) {
                            status.setStartTime(now);
                        }
                        status.setConditions(conditions.stream().map(c -> keepTransition(status.getConditions(), c)).toList());
                        status.setContainerStatuses(containers);
                        return p;
                    });
        } catch (KubernetesClientException e) {
            LOG.debugf("status of pod %s not written: %s", key(pod), e.getMessage());
        }
    }

    private static PodCondition condition(String type, boolean status, String now) {
        return new PodConditionBuilder().withType(type).withStatus(status ? "True" : "False").withLastTransitionTime(now)
                .withLastProbeTime(null).build();
    }

    private static PodCondition keepTransition(List<PodCondition> existing, PodCondition wanted) {
        return existing == null ? wanted : existing.stream()
                .filter(c -> c.getType().equals(wanted.getType()) && c.getStatus().equals(wanted.getStatus()))
                .findFirst().orElse(wanted);
    }

    // ---- cluster DNS

    private String hostsFile() {
        return SshdContainer.hostsFile(services.getStore().list(), ip -> true);
    }

    private void refreshHosts() {
        String hosts = hostsFile();
        running.values().stream().filter(r -> r.dir() != null).forEach(r -> SshdContainer.writeHosts(r.dir(), hosts));
    }

    /** The sshd processes running now, by "namespace/pod". */
    public Map<String, Long> runningSshds() {
        Map<String, Long> pids = new java.util.TreeMap<>();
        running.forEach((key, pod) -> {
            if (pod.sshd() != null && pod.sshd().isAlive()) {
                pids.put(key, pod.sshd().pid());
            }
        });
        return pids;
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::stop);
        try {
            worker.submit(() -> new ArrayList<>(running.keySet()).forEach(this::stop)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            new ArrayList<>(running.keySet()).forEach(this::stop);
        }
        worker.shutdownNow();
        lightWriters.shutdownNow();
        SshdContainer.deleteTree(workDir);
    }

    private static boolean accepts(String address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 200);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static Map<String, String> labels(Pod pod) {
        return pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    }

    private static String key(Pod pod) {
        return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }
}
