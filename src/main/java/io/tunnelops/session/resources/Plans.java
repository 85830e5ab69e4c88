package io.tunnelops.session.resources;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.SessionPlan;

/** Reads the plan the reconciler put into the workflow's context before invoking it. */
final class Plans {

    private Plans() {
    }

    static SessionPlan of(Context<TunnelSession> context) {
        return context.managedWorkflowAndDependentResourceContext().getMandatory(SessionPlan.KEY, SessionPlan.class);
    }
}
