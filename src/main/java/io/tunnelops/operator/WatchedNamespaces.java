package io.tunnelops.operator;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.javaoperatorsdk.operator.api.reconciler.Constants;

/**
 * The namespaces the operator watches: the session controller's setting (the chart sets
 * QUARKUS_OPERATOR_SDK_CONTROLLERS_TUNNELSESSION_NAMESPACES from its watchNamespaces), else the operator-wide one.
 * Work outside the controllers (the orphan sweep) lists only there: with a namespace list, the operator's Roles grant
 * nothing elsewhere.
 */
@ApplicationScoped
public class WatchedNamespaces {

    @ConfigProperty(name = "quarkus.operator-sdk.controllers.tunnelsession.namespaces")
    Optional<List<String>> sessionNamespaces;

    @ConfigProperty(name = "quarkus.operator-sdk.namespaces")
    Optional<List<String>> operatorNamespaces;

    @Inject
    KubernetesClient client;

    /** Empty: every namespace. */
    public Set<String> namespaces() {
        Set<String> configured = new TreeSet<>(sessionNamespaces.or(() -> operatorNamespaces).orElse(List.of()));
        configured.removeIf(String::isBlank);
        if (configured.remove(Constants.WATCH_CURRENT_NAMESPACE)) {
            configured.add(client.getNamespace());
        }
        return configured.isEmpty() || configured.contains(Constants.WATCH_ALL_NAMESPACES) ? Set.of() : configured;
    }

    /** The objects of a kind in the watched namespaces (with the label, unless labelKey is null). */
    public <T extends HasMetadata> List<T> list(Class<T> type, String labelKey, String labelValue) {
        Set<String> namespaces = namespaces();
        if (namespaces.isEmpty()) {
            return select(client.resources(type).inAnyNamespace(), labelKey, labelValue).list().getItems();
        }
        return namespaces.stream().flatMap(ns -> select(client.resources(type).inNamespace(ns), labelKey, labelValue)
                .list().getItems().stream()).toList();
    }

    private static <T extends HasMetadata> FilterWatchListDeletable<T, KubernetesResourceList<T>, Resource<T>> select(
            FilterWatchListDeletable<T, KubernetesResourceList<T>, Resource<T>> objects, String labelKey, String labelValue) {
        return labelKey == null ? objects : objects.withLabel(labelKey, labelValue);
    }
}
