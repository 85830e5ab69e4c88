package io.tunnelops.bench;

import java.util.function.Consumer;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;

/**
 * An informer's handler for watchers that note when an object first shows some state: every added or updated object
 * is handed on; deletions are not news to them (a run's objects are deleted only after it is measured).
 */
final class EachStateSeen<T> implements ResourceEventHandler<T> {

    private final Consumer<T> seen;

    EachStateSeen(Consumer<T> seen) {
        this.seen = seen;
    }

    @Override
    public void onAdd(T object) {
        seen.accept(object);
    }

    @Override
    public void onUpdate(T before, T object) {
        seen.accept(object);
    }

    @Override
    public void onDelete(T object, boolean deletedFinalStateUnknown) {
    }
}
