package io.tunnelops.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.tunnelops.session.resources.SessionLabels;
import io.tunnelops.ssh.SshdLayout;

/**
 * Stands in for the kubelet and the Service controller on a machine with no cluster, driven by the same API the
 * operator writes to. It gives every Service an address of its {@link PodNetwork} as its cluster IP (an sshd's
 * Service shares its pod's address; any other Service's address sits on this machine's side of the bridge, where
 * tests serve targets), and runs each sshd Deployment of the operator as its pod would run, in a network namespace
 * of its own: the mounted Secret items with the modes the kubelet gives them, the image's own
 * entrypoint, Debian's OpenSSH as uid 10001 with no capabilities, the same sshd_config (paths remapped, bound to the
 * Service's address), and a private /etc/hosts that resolves cluster DNS names. Pod and Deployment status go back to
 * the API. Needs root (setpriv, unshare, mount).
 */
public final class LocalPodRunner implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LocalPodRunner.class);

    private final KubernetesClient client;
    private final Path workDir;
    private PodNetwork network;
    private final Map<String, RunningPod> pods = new ConcurrentHashMap<>();
    /** One thread applies every change, so pods start and stop in the order the API saw them. */
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "local-pod-runner");
        thread.setDaemon(true);
        return thread;
    });
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();

    /** One sshd process standing in for one pod. */
    private record RunningPod(Deployment deployment, String templateHash, Process process, Path dir, String address) {
    }

    /**
     * @param workDir where pod directories go; it must not lie under a group- or world-writable directory such as
     *        /tmp, since sshd's StrictModes checks every directory above authorized_keys
     */
    public LocalPodRunner(KubernetesClient client, Path workDir) {
        this.client = client;
        this.workDir = workDir.toAbsolutePath();
    }

    public LocalPodRunner start() {
        LocalMachine.requireRunnerPrerequisites();
        try {
            Files.createDirectories(workDir);
            Files.setPosixFilePermissions(workDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        network = PodNetwork.create();
        informers.add(client.services().inAnyNamespace().inform(handler(this::onService, s -> { })));
        informers.add(client.apps().deployments().inAnyNamespace().withLabel(SessionLabels.MANAGED_BY, SessionLabels.OPERATOR)
                .inform(handler(this::onDeployment, this::onDeploymentDeleted)));
        return this;
    }

    private <T> ResourceEventHandler<T> handler(java.util.function.Consumer<T> onChange, java.util.function.Consumer<T> onDelete) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                worker.execute(() -> guarded(() -> onChange.accept(obj)));
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                worker.execute(() -> guarded(() -> onChange.accept(newObj)));
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                worker.execute(() -> guarded(() -> onDelete.accept(obj)));
            }
        };
    }

    private static void guarded(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warn("local pod runner: " + e.getMessage(), e);
        }
    }

    // ---- Services: cluster IPs and cluster DNS

    private void onService(Service service) {
        var spec = service.getSpec();
        if (spec == null || "ExternalName".equals(spec.getType())) {
            return;
        }
        String ip = spec.getClusterIP();
        boolean sshd = SessionLabels.OPERATOR.equals(labels(service).get(SessionLabels.MANAGED_BY));
        if (ip == null || ip.isBlank()) {
            String assigned = network.allocate();
            if (!sshd) {
                network.addHostAddress(assigned); // before anyone reads the address and listens on it
            }
            client.services().inNamespace(service.getMetadata().getNamespace()).withName(service.getMetadata().getName())
                    .edit(s -> {
                        s.getSpec().setClusterIP(assigned);
                        s.getSpec().setClusterIPs(List.of(assigned));
                        return s;
                    });
            return; // the update event brings us back here
        }
        network.reserve(ip);
        if (!sshd && network.contains(ip)) {
            network.addHostAddress(ip);
        }
        refreshHostsFiles();
        // a pod may have been waiting for its Service's address
        client.apps().deployments().inNamespace(service.getMetadata().getNamespace())
                .withLabel(SessionLabels.MANAGED_BY, SessionLabels.OPERATOR).list().getItems().forEach(this::onDeployment);
    }

    /** Cluster DNS: <service>.<namespace>.svc.cluster.local for every Service with an address. */
    private String hostsFile() {
        return SshdContainer.hostsFile(client.services().inAnyNamespace().list().getItems(), network::contains);
    }

    /** Rewrites in place: each sshd has the file bind-mounted over /etc/hosts, so the inode must stay. */
    private void refreshHostsFiles() {
        String hosts = hostsFile();
        for (RunningPod pod : pods.values()) {
            SshdContainer.writeHosts(pod.dir(), hosts);
        }
    }

    // ---- Deployments: one sshd each

    private void onDeployment(Deployment deployment) {
        String key = key(deployment);
        String templateHash = Integer.toHexString(Serialization.asJson(deployment.getSpec().getTemplate()).hashCode());
        RunningPod running = pods.get(key);
        if (running != null && running.templateHash().equals(templateHash)) {
            return;
        }
        if (running != null) {
            stop(key);
        }
        Service service = serviceFor(deployment);
        String address = service == null ? null : service.getSpec().getClusterIP();
        if (address == null || address.isBlank()) {
            return; // started when the Service gets its address
        }
        Secret secret = secretFor(deployment);
        if (secret == null) {
            worker.schedule(() -> guarded(() -> onDeployment(deployment)), 200, TimeUnit.MILLISECONDS);
            return;
        }
        try {
            pods.put(key, launch(deployment, templateHash, secret, address));
        } catch (ShellContainer.ContainerConfigException e) {
            // as the kubelet: the container waits with CreateContainerConfigError, and is tried again
            LOG.warnf("local pod runner: cannot start the shell of %s: %s", key, e.getMessage());
            writeWaiting(deployment, "CreateContainerConfigError", e.getMessage());
            worker.schedule(() -> guarded(() -> {
                Deployment current = client.apps().deployments().inNamespace(deployment.getMetadata().getNamespace())
                        .withName(deployment.getMetadata().getName()).get();
                if (current != null && !pods.containsKey(key)) {
                    onDeployment(current);
                }
            }), 2, TimeUnit.SECONDS);
        }
    }

    private void onDeploymentDeleted(Deployment deployment) {
        stop(key(deployment));
        client.pods().inNamespace(deployment.getMetadata().getNamespace()).withName(podName(deployment)).delete();
    }

    private RunningPod launch(Deployment deployment, String templateHash, Secret secret, String address) {
        Path dir = workDir.resolve(deployment.getMetadata().getNamespace() + "_" + deployment.getMetadata().getName());
        PodSpec spec = deployment.getSpec().getTemplate().getSpec();
        Process process;
        if (ShellContainer.isShell(spec)) {
            String namespace = deployment.getMetadata().getNamespace();
            var objects = new ShellContainer.PodObjects(namespace, podName(deployment),
                    name -> client.configMaps().inNamespace(namespace).withName(name).get(),
                    name -> client.secrets().inNamespace(namespace).withName(name).get());
            List<String> inNetwork = network.addPod(key(deployment), address);
            try {
                process = ShellContainer.start(spec, secret, dir, address, inNetwork, hostsFile(), objects);
            } catch (RuntimeException e) {
                network.removePod(key(deployment));
                throw e;
            }
        } else {
            process = SshdContainer.start(spec, secret, dir, address, network.addPod(key(deployment), address),
                    hostsFile());
        }
        LOG.infof("local pod runner: started sshd of %s at %s:%d", key(deployment), address, SshdLayout.PORT);
        RunningPod pod = new RunningPod(deployment, templateHash, process, dir, address);
        writePod(pod, null);
        watchReadiness(pod);
        process.onExit().thenRun(() -> worker.execute(() -> guarded(() -> exited(pod))));
        return pod;
    }

    private void watchReadiness(RunningPod pod) {
        worker.schedule(() -> guarded(() -> {
            if (pods.get(key(pod.deployment())) != pod || !pod.process().isAlive()) {
                return;
            }
            if (accepts(pod.address())) {
                writePod(pod, null);
                writeDeploymentStatus(pod.deployment(), true);
            } else {
                watchReadiness(pod);
            }
        }), 100, TimeUnit.MILLISECONDS);
    }

    private static boolean accepts(String address) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, SshdLayout.PORT), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void exited(RunningPod pod) {
        if (pods.get(key(pod.deployment())) != pod) {
            return; // stopped by us
        }
        LOG.infof("local pod runner: sshd of %s exited with %d", key(pod.deployment()), pod.process().exitValue());
        writePod(pod, pod.process().exitValue());
        writeDeploymentStatus(pod.deployment(), false);
    }

    private void writePod(RunningPod pod, Integer exitCode) {
        Deployment deployment = pod.deployment();
        var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        // a Shell pod's "image" is this machine's filesystem standing in for the app's image
        boolean shell = ShellContainer.isShell(deployment.getSpec().getTemplate().getSpec());
        var builder = new ContainerStatusBuilder().withName(container.getName())
                .withImage(shell ? container.getImage() : "local/openssh").withRestartCount(0);
        if (exitCode == null) {
            boolean ready = accepts(pod.address());
            builder.withReady(ready).withStarted(true).withNewState().withNewRunning()
                    .withStartedAt(Instant.now().toString()).endRunning().endState();
        } else {
            String message = SshdContainer.terminationMessage(pod.dir());
            builder.withReady(false).withStarted(false).withNewState().withNewTerminated().withExitCode(exitCode)
                    .withReason(exitCode == 0 ? "Completed" : "Error").withMessage(message.isEmpty() ? null : message)
                    .withFinishedAt(Instant.now().toString()).endTerminated().endState();
        }
        Pod podObject = new PodBuilder().withMetadata(podMetadata(deployment))
                .withSpec(deployment.getSpec().getTemplate().getSpec())
                .withNewStatus().withPhase(exitCode == null ? "Running" : exitCode == 0 ? "Succeeded" : "Failed")
                .withPodIP(pod.address()).withContainerStatuses(builder.build()).endStatus()
                .build();
        client.resource(podObject).createOr(existing -> existing.update());
    }

    /** The pod a ReplicaSet would make for the Deployment: its template's labels, owned by the Deployment. */
    private ObjectMeta podMetadata(Deployment deployment) {
        return new ObjectMetaBuilder().withName(podName(deployment))
                .withNamespace(deployment.getMetadata().getNamespace())
                .withLabels(deployment.getSpec().getTemplate().getMetadata().getLabels())
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("Deployment")
                .withName(deployment.getMetadata().getName()).withUid(deployment.getMetadata().getUid()).endOwnerReference()
                .build();
    }

    /** A container that could not start: Pending, as the kubelet reports CreateContainerConfigError. */
    private void writeWaiting(Deployment deployment, String reason, String message) {
        PodSpec spec = deployment.getSpec().getTemplate().getSpec();
        var status = new ContainerStatusBuilder().withName(spec.getContainers().get(0).getName())
                .withImage(spec.getContainers().get(0).getImage()).withReady(false).withStarted(false)
                .withRestartCount(0).withNewState().withNewWaiting().withReason(reason).withMessage(message)
                .endWaiting().endState().build();
        Pod podObject = new PodBuilder().withMetadata(podMetadata(deployment))
                .withSpec(spec)
                .withNewStatus().withPhase("Pending").withContainerStatuses(status).endStatus()
                .build();
        client.resource(podObject).createOr(existing -> existing.update());
    }

    private void writeDeploymentStatus(Deployment deployment, boolean available) {
        var deployments = client.apps().deployments().inNamespace(deployment.getMetadata().getNamespace());
        if (deployments.withName(deployment.getMetadata().getName()).get() == null) {
            return;
        }
        int count = available ? 1 : 0;
        deployments.withName(deployment.getMetadata().getName()).editStatus(d -> {
            d.setStatus(new DeploymentStatusBuilder().withObservedGeneration(d.getMetadata().getGeneration())
                    .withReplicas(1).withReadyReplicas(count).withAvailableReplicas(count)
                    .withUnavailableReplicas(1 - count).build());
            return d;
        });
    }

    private Service serviceFor(Deployment deployment) {
        Map<String, String> labels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        return client.services().inNamespace(deployment.getMetadata().getNamespace()).list().getItems().stream()
                .filter(s -> s.getSpec() != null && s.getSpec().getSelector() != null && !s.getSpec().getSelector().isEmpty()
                        && labels.entrySet().containsAll(s.getSpec().getSelector().entrySet()))
                .findFirst().orElse(null);
    }

    /** The credentials: the Secret mounted at the config directory (a Shell pod also mounts the app's Secrets). */
    private Secret secretFor(Deployment deployment) {
        PodSpec spec = deployment.getSpec().getTemplate().getSpec();
        var mounts = spec.getContainers().get(0).getVolumeMounts();
        String configVolume = mounts == null ? null : mounts.stream()
                .filter(m -> SshdLayout.CONFIG_DIR.equals(m.getMountPath())).map(m -> m.getName()).findFirst().orElse(null);
        return spec.getVolumes().stream().filter(v -> v.getSecret() != null)
                .filter(v -> configVolume == null || v.getName().equals(configVolume))
                .findFirst().map(v -> client.secrets().inNamespace(deployment.getMetadata().getNamespace())
                        .withName(v.getSecret().getSecretName()).get())
                .orElse(null);
    }

    /** Stops the sshd and every connection it forked. */
    private void stop(String key) {
        RunningPod pod = pods.remove(key);
        if (pod == null) {
            return;
        }
        SshdContainer.stop(pod.process());
        network.removePod(key);
        SshdContainer.deleteTree(pod.dir());
        LOG.infof("local pod runner: stopped sshd of %s", key);
    }

    /** The pods' network; null before {@link #start()}. */
    PodNetwork network() {
        return network;
    }

    /** The sshd processes running now, by "namespace/deployment". */
    public Map<String, Long> runningPids() {
        Map<String, Long> pids = new java.util.TreeMap<>();
        pods.forEach((key, pod) -> {
            if (pod.process().isAlive()) {
                pids.put(key, pod.process().pid());
            }
        });
        return pids;
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::stop);
        try {
            worker.submit(() -> new ArrayList<>(pods.keySet()).forEach(this::stop)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            new ArrayList<>(pods.keySet()).forEach(this::stop);
        }
        worker.shutdownNow();
        if (network != null) {
            network.close();
        }
    }

    private static Map<String, String> labels(Service service) {
        return service.getMetadata().getLabels() == null ? Map.of() : service.getMetadata().getLabels();
    }

    private static String key(Deployment deployment) {
        return deployment.getMetadata().getNamespace() + "/" + deployment.getMetadata().getName();
    }

    private static String podName(Deployment deployment) {
        return deployment.getMetadata().getName() + "-local";
    }

}
