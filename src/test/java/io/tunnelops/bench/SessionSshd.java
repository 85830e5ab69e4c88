package io.tunnelops.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Service;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.api.v1alpha1.TunnelSessionStatus;
import io.tunnelops.e2e.SessionUser;
import io.tunnelops.local.LocalMachine;
import io.tunnelops.local.PodNetwork;
import io.tunnelops.local.SshdContainer;
import io.tunnelops.session.SessionPlanner;
import io.tunnelops.session.resources.CredentialsSecret;
import io.tunnelops.session.resources.RenderedSession;
import io.tunnelops.ssh.SshFingerprints;
import io.tunnelops.ssh.SshdLayout;
import io.tunnelops.testing.SessionFixtures;
import io.tunnelops.testing.TcpProbe;

/**
 * One Tunnel session's sshd, run as its pod runs: the operator's own Service, Secret and Deployment for a session to
 * the Service {@code target} (rendered by its dependents), started by {@link SshdContainer} exactly as local mode's
 * runner and the real cluster's node agent start it, in a network namespace of its own on a {@link PodNetwork}
 * bridge. The target Service's address sits on this machine's side of the bridge, where the benchmark serves it; the
 * user is on this machine with only what the session publishes. Needs root, like the local pod runner.
 */
final class SessionSshd implements AutoCloseable {

    static final String NAMESPACE = "bench";
    static final String TARGET = "target";
    private static final String POD = NAMESPACE + "/datapath-sshd";

    private final PodNetwork network;
    private final Process sshd;
    private final Path podDir;
    final String targetAddress;
    final RenderedSession rendered;
    final SessionUser user;

    private SessionSshd(PodNetwork network, Process sshd, Path podDir, String targetAddress, RenderedSession rendered,
            SessionUser user) {
        this.network = network;
        this.sshd = sshd;
        this.podDir = podDir;
        this.targetAddress = targetAddress;
        this.rendered = rendered;
        this.user = user;
    }

    /**
     * @param podDir where the pod's files go: not under a group- or world-writable directory (sshd's StrictModes)
     * @param userDir the user's key and known_hosts
     */
    static SessionSshd start(Path podDir, Path userDir, Integer... targetPorts) throws Exception {
        LocalMachine.requireRunnerPrerequisites();
        Files.createDirectories(podDir.getParent());
        Files.setPosixFilePermissions(podDir.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        PodNetwork network = PodNetwork.create();
        Process sshd = null;
        try {
            String targetAddress = network.allocate();
            network.addHostAddress(targetAddress);
            Service target = SessionFixtures.targetService(NAMESPACE, TARGET, targetPorts);
            target.getSpec().setClusterIP(targetAddress);
            TunnelSession session = SessionFixtures.session(NAMESPACE, "datapath").toService(TARGET, targetPorts)
                    .ttl("1h").build();
            RenderedSession rendered = RenderedSession.of(session,
                    SessionPlanner.plan(session, Optional.of(target), "tunnel-operator-sshd:bench"), network.allocate());
            String sshdAddress = rendered.endpoint().getHost();
            sshd = SshdContainer.start(rendered.deployment().getSpec().getTemplate().getSpec(), rendered.secret(),
                    podDir, sshdAddress, network.addPod(POD, sshdAddress),
                    SshdContainer.hostsFile(List.of(target), network::contains));
            SessionSshd running = new SessionSshd(network, sshd, podDir, targetAddress, rendered,
                    new SessionUser(published(session, rendered), CredentialsSecret.decode(Optional.of(rendered.secret())),
                            userDir, null));
            running.awaitListening();
            return running;
        } catch (Exception | Error e) {
            if (sshd != null) {
                SshdContainer.stop(sshd);
            }
            network.close();
            throw e;
        }
    }

    /** The status a user reads: endpoint, host key fingerprint and the one-line command. */
    private static TunnelSession published(TunnelSession session, RenderedSession rendered) {
        TunnelSessionStatus status = new TunnelSessionStatus();
        status.setEndpoint(rendered.endpoint());
        status.setUsername(SshdLayout.USERNAME);
        status.setSshCommand(rendered.sshCommand());
        String hostKey = CredentialsSecret.decode(Optional.of(rendered.secret())).get(SshdLayout.HOST_PUBLIC_KEY);
        status.setHostKeyFingerprint(SshFingerprints.sha256(hostKey.strip()));
        session.setStatus(status);
        return session;
    }

    /** As the kubelet's tcpSocket probe: the sshd port accepts. */
    private void awaitListening() throws InterruptedException, IOException {
        String address = rendered.endpoint().getHost();
        for (int i = 0; i < 100; i++) {
            if (!sshd.isAlive()) {
                throw new IllegalStateException("the sshd exited with " + sshd.exitValue() + ": "
                        + Files.readString(podDir.resolve("sshd.log")));
            }
            if (TcpProbe.accepts(address, SshdLayout.PORT)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the sshd does not listen on " + address + ":" + SshdLayout.PORT);
    }

    /** The target as the sshd's PermitOpen names it: {@code target.bench.svc.cluster.local}. */
    String targetName() {
        return TARGET + "." + NAMESPACE + ".svc.cluster.local";
    }

    @Override
    public void close() {
        SshdContainer.stop(sshd);
        network.close();
        SshdContainer.deleteTree(podDir);
    }
}
