package io.tunnelops.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

class CacheWithoutManagedFieldsTest {

    @Test
    void keepsTheObjectUnderItsKeyWithoutManagedFields() {
        Service service = new ServiceBuilder().withNewMetadata().withName("postgres").withNamespace("team")
                .withResourceVersion("7").withLabels(java.util.Map.of("app", "db"))
                .withManagedFields(new ManagedFieldsEntryBuilder().withManager("kubectl").withOperation("Update").build())
                .endMetadata().withNewSpec().withClusterIP("10.96.0.9").endSpec().build();
        CacheWithoutManagedFields<Service> cache = new CacheWithoutManagedFields<>();

        cache.put(cache.getKey(service), service);

        Service kept = cache.get("team/postgres");
        assertNull(kept.getMetadata().getManagedFields());
        assertEquals("7", kept.getMetadata().getResourceVersion());
        assertEquals("db", kept.getMetadata().getLabels().get("app"));
        assertEquals("10.96.0.9", kept.getSpec().getClusterIP());
        assertEquals(List.of("team/postgres"), cache.keySet().toList());
    }
}
