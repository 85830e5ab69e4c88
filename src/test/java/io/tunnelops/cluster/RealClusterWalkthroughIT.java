package io.tunnelops.cluster;

import static io.tunnelops.cluster.ClusterFixtures.assertNothingLeft;
import static io.tunnelops.cluster.ClusterFixtures.echoTarget;
import static io.tunnelops.cluster.ClusterFixtures.secretItems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.e2e.SessionUser;
import io.tunnelops.session.resources.SessionLabels;
import io.tunnelops.testing.Kubectl;

/**
 * The README's walkthrough on a real Kubernetes control plane with the real kubectl of its version, including what the
 * mock server could not do: watching phases change, server-side apply, garbage collection, the restricted Pod
 * Security admission, and the operator acting only through its ServiceAccount's RBAC.
 */
class RealClusterWalkthroughIT {

    static RealCluster cluster;
    static Kubectl kubectl;
    static KubernetesClient admin;

    @BeforeAll
    static void up() {
        cluster = RealCluster.shared();
        kubectl = cluster.kubectl();
        admin = cluster.admin();
        System.out.printf("real cluster: up, CRDs, RBAC, node agent and operator in %.1f s%n",
                cluster.startupTime().toMillis() / 1000.0);
    }

    @Test
    void theCommittedCrdsApplyWithServerSideValidationAndExplainShowsTheirDocs() {
        Kubectl.Result applied = kubectl.run("apply", "--validate=strict", "-f", "deploy/crds");
        assertEquals(0, applied.exitCode(), applied.stderr());
        assertEquals("", applied.stderr(), "no warning from the API server");
        assertTrue(applied.stdout().contains("customresourcedefinition.apiextensions.k8s.io/tunnelsessions.tunnelops.io"),
                applied.stdout());

        String explained = kubectl.succeed("explain", "tunnelsession.spec.target");
        assertTrue(explained.contains("Name of a Service in the session's namespace"), explained);
        assertTrue(explained.contains("resolvers read forms such as"), explained);
        assertTrue(kubectl.succeed("explain", "tunnelpolicy.status.conditions").contains("type Accepted"));
    }

    @Test
    void aSessionToAServiceBecomesReadyCarriesDataAndLeavesNothingBehind() throws Exception {
        String ns = cluster.namespace("walk");
        echoTarget(ns, "postgres", 5432);
        Path home = Files.createTempDirectory("real-user-");

        // kubectl get ts -w, as a user watching the session come up
        Process watch = new ProcessBuilder(kubectl.binary().toString(), "--kubeconfig", kubectl.kubeconfig().toString(),
                "get", "ts", "-n", ns, "-w", "-o",
                "custom-columns=NAME:.metadata.name,PHASE:.status.phase").redirectErrorStream(true)
                .redirectOutput(home.resolve("watch.log").toFile()).start();
        try {
            assertEquals("tunnelsession.tunnelops.io/pg-debug created\n", kubectl.runWithInput("""
                    apiVersion: tunnelops.io/v1alpha1
                    kind: TunnelSession
                    metadata: {name: pg-debug}
                    spec:
                      target: {service: postgres, ports: [5432]}
                      ttl: 1h
                    """, "apply", "-n", ns, "-f", "-").stdout());
            assertEquals("tunnelsession.tunnelops.io/pg-debug condition met\n",
                    kubectl.succeed("wait", "-n", ns, "--for=condition=Ready", "ts/pg-debug", "--timeout=120s"));

            TunnelSession ready = admin.resources(TunnelSession.class).inNamespace(ns).withName("pg-debug").get();
            Map<String, String> secret = secretItems(ns, "pg-debug-ssh");
            SessionUser user = new SessionUser(ready, secret, home.resolve("user"), null);
            String target = "postgres." + ns + ".svc.cluster.local:5432";
            assertEquals("ssh -N -L 5432:" + target + " -p 2222 tunnel@" + user.host(), ready.getStatus().getSshCommand());
            assertTrue(cluster.env().get("SERVICE_CIDR") != null && user.host().matches("100\\.\\d+\\.\\d+\\.\\d+"),
                    "a ClusterIP: " + user.host());

            // ssh with the pinned host key, through the Service address, to the target's Service
            assertEquals("ping", SessionUser.run(user.ssh("-p", user.port(), "-W", target, "tunnel@" + user.host()),
                    "ping").output());
            var refused = SessionUser.run(user.ssh("-p", user.port(), "-W", "postgres." + ns + ".svc.cluster.local:5433",
                    "tunnel@" + user.host()), "ping");
            assertTrue(refused.output().contains("administratively prohibited"), refused.output());

            // server-side apply of a second session
            Kubectl.Result serverSide = kubectl.runWithInput("""
                    apiVersion: tunnelops.io/v1alpha1
                    kind: TunnelSession
                    metadata: {name: pg-ssa}
                    spec:
                      target: {service: postgres, ports: [5432]}
                    """, "apply", "--server-side", "-n", ns, "-f", "-");
            assertEquals("tunnelsession.tunnelops.io/pg-ssa serverside-applied\n", serverSide.stdout(), serverSide.stderr());
            kubectl.succeed("wait", "-n", ns, "--for=condition=Ready", "ts/pg-ssa", "--timeout=120s");

            for (String name : List.of("pg-debug", "pg-ssa")) {
                kubectl.succeed("delete", "-n", ns, "ts/" + name, "--wait=false");
                kubectl.succeed("wait", "-n", ns, "--for=delete", "ts/" + name, "--timeout=60s");
                assertNothingLeft(ns, name);
            }
            String watched = Files.readString(home.resolve("watch.log"));
            for (String phase : List.of("Provisioning", "Ready")) {
                assertTrue(watched.lines().anyMatch(l -> l.contains("pg-debug") && l.contains(phase)),
                        "kubectl get -w showed no " + phase + ":\n" + watched);
            }
        } finally {
            watch.destroy();
        }
    }
}
