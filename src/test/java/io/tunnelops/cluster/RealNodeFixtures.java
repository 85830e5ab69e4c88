package io.tunnelops.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.e2e.SessionUser;
import io.tunnelops.session.resources.SessionLabels;
import io.tunnelops.testing.Kubectl;
import io.tunnelops.testing.TcpProbe;

/** What the real-node tests do again and again: echo targets in pods, sessions, data through tunnels, cleanup. */
final class RealNodeFixtures {

    private RealNodeFixtures() {
    }

    private static RealNodeCluster cluster() {
        return RealNodeCluster.shared();
    }

    /**
     * A Service {@code name} with one echo pod behind it (busybox {@code nc}, one persistent listener per port, each
     * connection echoed by {@code cat}); the extra ports are answered on the pod's IP only. Returns the pod's IP.
     */
    static String echoTarget(String ns, String name, int port, int... alsoOnPodIp) {
        return echoTarget(cluster().admin(), ns, name, port, alsoOnPodIp);
    }

    static String echoTarget(KubernetesClient admin, String ns, String name, int port, int... alsoOnPodIp) {
        StringBuilder script = new StringBuilder();
        for (int p : prepend(port, alsoOnPodIp)) {
            script.append("nc -ll -p ").append(p).append(" -e /bin/cat & ");
        }
        script.append("wait");
        return ClusterFixtures.echoTarget(admin, RealNodeCluster.BUSYBOX_IMAGE, List.of("sh", "-c", script.toString()),
                ns, name, port, alsoOnPodIp);
    }

    private static int[] prepend(int first, int... rest) {
        int[] all = new int[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    static void apply(String ns, String yaml) {
        Kubectl.Result applied = cluster().kubectl().runWithInput(yaml, "apply", "-n", ns, "-f", "-");
        assertEquals(0, applied.exitCode(), applied.stderr());
    }

    /** Waits until the session is Ready (kubectl wait, as a CI pipeline does) and returns its user. */
    static SessionUser ready(String ns, String name, Path home) throws IOException {
        long begin = System.nanoTime();
        Kubectl.Result waited = cluster().kubectl().run("wait", "-n", ns, "--for=condition=Ready", "ts/" + name,
                "--timeout=120s");
        if (waited.exitCode() != 0) {
            throw new AssertionError(ns + "/" + name + " not Ready: " + waited.stderr() + "\n"
                    + cluster().kubectl().run("get", "-n", ns, "ts,deploy,rs,pods,svc,endpointslices", "-o", "wide").stdout()
                    + cluster().kubectl().run("get", "-n", ns, "ts/" + name, "-o", "jsonpath={.status}").stdout()
                    + "\noperator log (tail):\n" + lastLines(cluster().operatorLog(), 30));
        }
        TunnelSession session = cluster().admin().resources(TunnelSession.class).inNamespace(ns).withName(name).get();
        // Ready means the sshd is available and its Service has an address; kube-proxy programs that address on its
        // own schedule (about a second later here). A client connecting at once may find no rule yet: wait for it.
        String host = session.getStatus().getEndpoint().getHost();
        int port = session.getStatus().getEndpoint().getPort();
        long ready = System.nanoTime();
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> TcpProbe.accepts(host, port));
        System.out.printf("real node: %s/%s Ready after %d ms of waiting; %s:%d accepted connections %d ms later%n", ns, name,
                (ready - begin) / 1_000_000, host, port, (System.nanoTime() - ready) / 1_000_000);
        return new SessionUser(session, ClusterFixtures.secretItems(cluster().admin(), ns, name + "-ssh"),
                home.resolve(name), null);
    }

    private static String lastLines(String text, int count) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    }

    static TunnelSession awaitPhase(String ns, String name, SessionPhase phase, Duration atMost) {
        return await().atMost(atMost.toSeconds(), TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(
                () -> cluster().admin().resources(TunnelSession.class).inNamespace(ns).withName(name).get(),
                s -> s != null && s.getStatus() != null && s.getStatus().getPhase() == phase);
    }

    /** The session's running sshd pod. */
    static Pod sshdPod(String ns, String session) {
        List<Pod> pods = cluster().admin().pods().inNamespace(ns).withLabel(SessionLabels.SESSION, session).list().getItems();
        assertEquals(1, pods.size(), "one sshd pod for " + session);
        return pods.get(0);
    }

    /**
     * Runs the command with {@code data} on its stdin (written while its output is read, so a tunnel that echoes
     * does not fill a pipe and block) and returns all it wrote to stdout; fails on a non-zero exit.
     */
    static byte[] pipeThrough(List<String> command, byte[] data, Path stderr) throws Exception {
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        Thread writer = new Thread(() -> {
            try (OutputStream in = process.getOutputStream()) {
                in.write(data);
            } catch (IOException ignored) {
                // ssh exited early: the exit code and stderr tell why
            }
        });
        writer.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        process.getInputStream().transferTo(out);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        writer.join(5000);
        assertEquals(0, process.exitValue(), () -> "exit code of " + command + ": " + read(stderr));
        return out.toByteArray();
    }

    static String read(Path file) {
        try {
            return java.nio.file.Files.readString(file);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    /** No object of the session is left, and containerd runs no container of its pods any more. */
    static void assertNothingLeft(String ns, String session) {
        long begin = System.nanoTime();
        assertNothingLeftOnNode(ns, session);
        System.out.printf("real node: nothing left of %s/%s after %d ms%n", ns, session, (System.nanoTime() - begin) / 1_000_000);
    }

    private static void assertNothingLeftOnNode(String ns, String session) {
        ClusterFixtures.assertNothingLeft(cluster().admin(), ns, session, () -> assertEquals(List.of(),
                runningContainers(ns, session + "-sshd-"), "containers of " + session + "'s sshd still run in containerd"));
    }

    /**
     * The containers (sandbox included) of the namespace's pods whose name starts so, that containerd still runs. A
     * stopped container may stay listed until the kubelet's garbage collection removes it: only running tasks count.
     */
    static List<String> runningContainers(String ns, String podNamePrefix) {
        List<String> ofPods = cluster().ctr("containers", "ls", "-q", "labels.\"io.kubernetes.pod.namespace\"==" + ns + ","
                + "labels.\"io.kubernetes.pod.name\"~=^" + podNamePrefix).lines().filter(l -> !l.isBlank()).toList();
        return cluster().ctr("tasks", "ls").lines().map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length >= 3 && "RUNNING".equals(f[2]) && ofPods.contains(f[0])).map(f -> f[0]).toList();
    }
}
