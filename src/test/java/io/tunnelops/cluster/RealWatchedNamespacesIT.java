package io.tunnelops.cluster;

import static io.tunnelops.cluster.ClusterFixtures.assertNothingLeft;
import static io.tunnelops.cluster.ClusterFixtures.applyPostgresSession;
import static io.tunnelops.cluster.ClusterFixtures.awaitPhase;
import static io.tunnelops.cluster.ClusterFixtures.echoTarget;
import static io.tunnelops.cluster.ClusterFixtures.session;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.testing.Kubectl;

/**
 * The chart's namespace list on the real API server: the operator's ServiceAccount holds no ClusterRole but the node
 * reader, only the Roles of the watched namespace; sessions there become Ready and end leaving nothing, a session
 * elsewhere is never touched, and no request of the operator is refused (its informers and its orphan sweep stay in
 * the watched namespace).
 */
class RealWatchedNamespacesIT {

    static final String NODE_READER = RealCluster.OPERATOR_ACCOUNT + "-nodes";

    static RealCluster cluster;
    static KubernetesClient admin;
    static Kubectl kubectl;

    @BeforeAll
    static void up() {
        cluster = RealCluster.shared();
        admin = cluster.admin();
        kubectl = cluster.kubectl();
    }

    @AfterAll
    static void clusterWideAgain() {
        cluster.applyChartRbac(null);
        // what a `helm upgrade` back to the defaults removes
        admin.rbac().clusterRoleBindings().withName(NODE_READER).delete();
        admin.rbac().clusterRoles().withName(NODE_READER).delete();
        cluster.restartOperator(Map.of());
    }

    @Test
    void withANamespaceListTheOperatorWorksThereWithRolesOnlyAndNowhereElse() throws Exception {
        String watched = cluster.namespace("watched");
        String other = cluster.namespace("unwatched");
        echoTarget(watched, "postgres", 5432);
        echoTarget(other, "postgres", 5432);

        // what `helm upgrade --set app.watchAllNamespaces=false --set app.watchNamespaces={watched}` grants, and no more
        Path values = Files.createTempFile("values-", ".yaml");
        Files.writeString(values, "app: {watchAllNamespaces: false, watchNamespaces: [" + watched + "]}\n");
        cluster.applyChartRbac(values);
        admin.rbac().clusterRoleBindings().withName(RealCluster.OPERATOR_ACCOUNT).delete();
        await().atMost(30, TimeUnit.SECONDS).until(() -> admin.rbac().clusterRoleBindings()
                .withName(RealCluster.OPERATOR_ACCOUNT).get() == null);
        String namespaces = watched;
        cluster.restartOperator(Map.of("QUARKUS_OPERATOR_SDK_CONTROLLERS_TUNNELSESSION_NAMESPACES", namespaces,
                "QUARKUS_OPERATOR_SDK_CONTROLLERS_TUNNELPOLICY_NAMESPACES", namespaces));
        String agent = cluster.operatorUserAgent();

        applyPostgresSession(other, "elsewhere", "30m");
        applyPostgresSession(watched, "here", "30m");
        awaitPhase(watched, "here", SessionPhase.Ready);
        kubectl.succeed("wait", "-n", watched, "--for=condition=Ready", "ts/here", "--timeout=30s");
        TunnelSession elsewhere = session(other, "elsewhere");
        assertNull(elsewhere.getStatus(), "a session outside the watched namespaces was reconciled");
        assertTrue(elsewhere.getMetadata().getFinalizers() == null || elsewhere.getMetadata().getFinalizers().isEmpty(),
                "a finalizer added outside the watched namespaces: " + elsewhere.getMetadata().getFinalizers());
        assertEquals(List.of(), admin.apps().deployments().inNamespace(other).withLabel("app.kubernetes.io/managed-by",
                "tunnel-operator").list().getItems(), "objects created outside the watched namespaces");

        kubectl.succeed("delete", "-n", watched, "ts/here", "--timeout=60s");
        assertNothingLeft(watched, "here");

        List<AuditLog.Request> requests = OperatorRbacAuditIT.completedRequests(cluster.auditLog()).stream()
                .filter(r -> agent.equals(r.userAgent())).toList();
        List<AuditLog.Request> refused = requests.stream().filter(r -> r.code() == 403).toList();
        assertEquals(List.of(), refused, "requests the namespaced Roles do not allow");
        long outside = requests.stream().filter(r -> other.equals(r.namespace())).count();
        assertEquals(0, outside, "requests into a namespace that is not watched");
        System.out.println("watched namespaces: Ready with Roles only in " + watched + "; " + other + " untouched");
    }

}
