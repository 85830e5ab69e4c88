package io.tunnelops.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * An informer's store that drops each object's managedFields before keeping it. The operator never reads them (its
 * dependents compare desired and actual objects field by field, server-side apply is off), yet they are the largest
 * part of a cached Deployment or Pod: each is a tree of maps, one per field written by anyone.
 */
public class CacheWithoutManagedFields<R extends HasMetadata> extends BasicItemStore<R> {

    public CacheWithoutManagedFields() {
        super(Cache::metaNamespaceKeyFunc);
    }

    @Override
    public R put(String key, R object) {
        if (object.getMetadata() != null) {
            object.getMetadata().setManagedFields(null);
        }
        return super.put(key, slim(object));
    }

    /** What is kept of an object; a subclass may keep less than the whole, when the operator reads less. */
    protected R slim(R object) {
        return object;
    }
}
