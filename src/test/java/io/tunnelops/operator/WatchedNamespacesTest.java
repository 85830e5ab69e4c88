package io.tunnelops.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/** The namespaces read as the Quarkus Operator SDK reads them: the session controller's, else the operator's. */
class WatchedNamespacesTest {

    @Test
    void allNamespacesByDefaultAndWithJosdksMarker() {
        assertEquals(Set.of(), watched(Optional.empty(), Optional.empty()).namespaces());
        assertEquals(Set.of(), watched(Optional.of(List.of("JOSDK_ALL_NAMESPACES")), Optional.empty()).namespaces());
    }

    @Test
    void theChartsListAndTheOperatorWideSettingAsAFallback() {
        assertEquals(Set.of("team-a", "team-b"), watched(Optional.of(List.of("team-b", "team-a")), Optional.empty()).namespaces());
        assertEquals(Set.of("ops"), watched(Optional.empty(), Optional.of(List.of("ops"))).namespaces());
        assertEquals(Set.of("team-a"), watched(Optional.of(List.of("team-a")), Optional.of(List.of("ops"))).namespaces());
    }

    @Test
    void theCurrentNamespaceMarkerIsTheClientsNamespace() {
        assertEquals(Set.of("tunnel-operator"),
                watched(Optional.of(List.of("JOSDK_WATCH_CURRENT")), Optional.empty()).namespaces());
    }

    private static WatchedNamespaces watched(Optional<List<String>> sessions, Optional<List<String>> operator) {
        WatchedNamespaces watched = new WatchedNamespaces();
        watched.sessionNamespaces = sessions;
        watched.operatorNamespaces = operator;
        watched.client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withNamespace("tunnel-operator")
                .withMasterUrl("https://127.0.0.1:1").build()).build();
        return watched;
    }
}
