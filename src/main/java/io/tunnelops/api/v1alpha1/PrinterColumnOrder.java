package io.tunnelops.api.v1alpha1;

import java.util.Comparator;
import java.util.List;

import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;

/**
 * Build-time CRD post-processor: the generator sorts printer columns by JSON path, but `kubectl get` should read
 * the order a person reads them in.
 */
public class PrinterColumnOrder implements CRDPostProcessor {

    /** TunnelSession: MODE TARGET PHASE ENDPOINT EXPIRES AGE; TunnelPolicy: ALLOWS MAX TTL AGE. */
    private static final List<String> ORDER = List.of("Mode", "Target", "Phase", "Endpoint", "Expires", "Allows",
            "Max TTL", "Age");

    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
        if (crd instanceof CustomResourceDefinition definition) {
            definition.getSpec().getVersions().forEach(version -> {
                List<CustomResourceColumnDefinition> columns = version.getAdditionalPrinterColumns();
                if (columns != null) {
                    columns.sort(Comparator.comparingInt(column -> rank(column.getName())));
                }
            });
        }
        return crd;
    }

    private static int rank(String column) {
        int index = ORDER.indexOf(column);
        return index < 0 ? ORDER.size() : index;
    }
}
