package io.tunnelops.cluster;

import static io.tunnelops.cluster.RealNodeFixtures.apply;
import static io.tunnelops.cluster.RealNodeFixtures.assertNothingLeft;
import static io.tunnelops.cluster.RealNodeFixtures.echoTarget;
import static io.tunnelops.cluster.RealNodeFixtures.pipeThrough;
import static io.tunnelops.cluster.RealNodeFixtures.ready;
import static io.tunnelops.cluster.RealNodeFixtures.sshdPod;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.tunnelops.e2e.SessionUser;
import io.tunnelops.testing.Kubectl;
import io.tunnelops.testing.OpenSshTools;

/**
 * The walkthrough against the operator installed with the chart on a real node: the session's sshd runs in containerd
 * under the restricted Pod Security profile, enforced by the real admission and visible in the real process, and
 * carries an ssh tunnel through its Service's ClusterIP (kube-proxy) and through a NodePort open to the client's /32 only,
 * with the pinned host key.
 */
class RealNodeWalkthroughIT {

    static final int MIB = 1024 * 1024;

    static RealNodeCluster cluster;
    static Kubectl kubectl;

    @BeforeAll
    static void up() {
        cluster = RealNodeCluster.shared();
        kubectl = cluster.kubectl();
    }

    @Test
    void theSshdRunsInContainerdUnderTheRestrictedProfileAndCarriesATunnelThroughItsClusterIp() throws Exception {
        String ns = cluster.namespace("node-walk");
        echoTarget(ns, "echo", 8080);
        Path home = Files.createTempDirectory("real-node-user-");
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: debug}
                spec:
                  target: {service: echo, ports: [8080]}
                  ttl: 1h
                """);
        SessionUser user = ready(ns, "debug", home);

        // the pod as admitted: the restricted profile, no token, our image, in containerd
        Pod pod = sshdPod(ns, "debug");
        PodSecurityContext podSecurity = pod.getSpec().getSecurityContext();
        Container sshd = pod.getSpec().getContainers().get(0);
        assertEquals(RealNodeCluster.SSHD_IMAGE, sshd.getImage());
        assertEquals(Boolean.FALSE, pod.getSpec().getAutomountServiceAccountToken());
        assertEquals(Boolean.TRUE, podSecurity.getRunAsNonRoot());
        assertEquals("RuntimeDefault", podSecurity.getSeccompProfile().getType());
        assertEquals(Boolean.TRUE, sshd.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals(List.of("ALL"), sshd.getSecurityContext().getCapabilities().getDrop());
        ContainerStatus status = pod.getStatus().getContainerStatuses().get(0);
        assertTrue(status.getContainerID().startsWith("containerd://"), status.getContainerID());
        assertTrue(RealNodeFixtures.runningContainers(ns, "debug-sshd-").contains(
                status.getContainerID().substring("containerd://".length())), "containerd runs the sshd's container");

        // ... and as the kernel sees the running process: uid/gid 10001, no capability, no_new_privs, seccomp filter
        String proc = exec(ns, pod, "cat", "/proc/1/status").stdout();
        assertTrue(proc.lines().anyMatch(l -> l.matches("Uid:\\s+10001\\s+10001\\s+10001\\s+10001")), proc);
        assertTrue(proc.lines().anyMatch(l -> l.matches("Gid:\\s+10001\\s+10001\\s+10001\\s+10001")), proc);
        for (String caps : List.of("CapInh", "CapPrm", "CapEff", "CapAmb")) {
            assertTrue(proc.lines().anyMatch(l -> l.matches(caps + ":\\s+0{16}")), caps + " not empty:\n" + proc);
        }
        assertTrue(proc.lines().anyMatch(l -> l.matches("NoNewPrivs:\\s+1")), proc);
        assertTrue(proc.lines().anyMatch(l -> l.matches("Seccomp:\\s+2")), "seccomp filter mode:\n" + proc);
        Kubectl.Result write = exec(ns, pod, "touch", "/etc/written");
        assertNotEquals(0, write.exitCode());
        assertTrue(write.stderr().contains("Read-only file system"), write.stderr());
        Kubectl.Result token = exec(ns, pod, "ls", "/var/run/secrets/kubernetes.io/serviceaccount");
        assertTrue(token.stderr().contains("No such file or directory"), "no token mounted: " + token);

        // the admission is really enforced in this namespace: a root pod is refused
        Kubectl.Result root = kubectl.runWithInput("""
                apiVersion: v1
                kind: Pod
                metadata: {name: root}
                spec:
                  containers: [{name: c, image: %s, securityContext: {runAsUser: 0}}]
                """.formatted(RealNodeCluster.BUSYBOX_IMAGE), "apply", "-n", ns, "-f", "-");
        assertNotEquals(0, root.exitCode());
        assertTrue(root.stderr().contains("violates PodSecurity \"restricted:latest\""), root.stderr());

        // 1 MiB through the tunnel: host -> ClusterIP:2222 (kube-proxy) -> sshd -> echo Service -> back, intact
        String target = "echo." + ns + ".svc.cluster.local:8080";
        assertTrue(user.host().matches("100\\.\\d+\\.\\d+\\.\\d+"), "a ClusterIP: " + user.host());
        byte[] data = new byte[MIB];
        new Random(9).nextBytes(data);
        long begin = System.nanoTime();
        byte[] echoed = pipeThrough(user.ssh("-p", user.port(), "-W", target, "tunnel@" + user.host()), data,
                home.resolve("clusterip.err"));
        System.out.printf("real node: 1 MiB echoed through the ClusterIP tunnel in %d ms%n",
                (System.nanoTime() - begin) / 1_000_000);
        assertArrayEquals(data, echoed, "1 MiB echoed intact through the ClusterIP");

        // the pinned host key is what ssh checks: another key for this host and port is refused as a changed key
        Path otherKey = home.resolve("other");
        OpenSshTools.succeed("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", otherKey.toString());
        Path wrongKnownHosts = home.resolve("wrong_known_hosts");
        Files.writeString(wrongKnownHosts, "[" + user.host() + "]:" + user.port() + " "
                + Files.readString(otherKey.resolveSibling("other.pub")));
        var refused = SessionUser.run(List.of("ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o",
                "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + wrongKnownHosts, "-p", user.port(), "-W", target,
                "tunnel@" + user.host()), "");
        assertNotEquals(0, refused.exitCode());
        assertTrue(refused.output().contains("REMOTE HOST IDENTIFICATION HAS CHANGED"), refused.output());

        long deleting = System.nanoTime();
        kubectl.succeed("delete", "-n", ns, "ts/debug", "--wait=false");
        kubectl.succeed("wait", "-n", ns, "--for=delete", "ts/debug", "--timeout=60s");
        System.out.printf("real node: session deleted in %d ms%n", (System.nanoTime() - deleting) / 1_000_000);
        assertNothingLeft(ns, "debug");
    }

    @Test
    void aNodePortSessionCarriesATunnelThroughTheNodesAddress() throws Exception {
        String ns = cluster.namespace("node-np");
        echoTarget(ns, "echo", 8080);
        Path home = Files.createTempDirectory("real-node-np-");
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelPolicy
                metadata: {name: nodeport}
                spec:
                  targets: [{services: [echo], ports: [8080]}]
                  allowedExpose: [ClusterIP, NodePort]
                  requireSourceRanges: true
                """);
        // only this machine's end of the node link, where ssh connects from (100.64.0.0/10 would also hold the node's
        // own addresses and prove nothing: RealNodeSourceRangesIT has the refusing side)
        String client = cluster.nodeEnv().get("LINK_HOST_IP");
        apply(ns, RealNodeSourceRangesIT.session("np", client + "/32"));
        SessionUser user = ready(ns, "np", home);
        assertEquals(cluster.nodeEnv().get("NODE_IP"), user.host(), "the InternalIP of the node running the sshd");
        int nodePort = Integer.parseInt(user.port());
        assertTrue(nodePort >= 30000 && nodePort <= 32767, "a NodePort: " + nodePort);
        assertFalse(user.port().equals("2222"));

        byte[] data = new byte[MIB];
        new Random(11).nextBytes(data);
        byte[] echoed = pipeThrough(user.ssh("-p", user.port(), "-W", "echo." + ns + ".svc.cluster.local:8080",
                "tunnel@" + user.host()), data, home.resolve("nodeport.err"));
        assertArrayEquals(data, echoed, "1 MiB echoed intact through the NodePort");
        String log = kubectl.succeed("logs", "-n", ns, "deploy/np-sshd");
        assertTrue(log.contains("Connection from " + client + " port"), "the sshd sees the client's address:\n" + log);

        kubectl.succeed("delete", "-n", ns, "ts/np", "--wait=false");
        kubectl.succeed("wait", "-n", ns, "--for=delete", "ts/np", "--timeout=60s");
        assertNothingLeft(ns, "np");
    }

    private static Kubectl.Result exec(String ns, Pod pod, String... command) {
        String[] args = new String[command.length + 5];
        args[0] = "exec";
        args[1] = "-n";
        args[2] = ns;
        args[3] = pod.getMetadata().getName();
        args[4] = "--";
        System.arraycopy(command, 0, args, 5, command.length);
        return kubectl.run(args);
    }
}
