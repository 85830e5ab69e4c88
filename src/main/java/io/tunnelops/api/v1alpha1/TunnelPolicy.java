package io.tunnelops.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * What TunnelSessions in this namespace may do: which targets and ports, which modes, how long, how exposed.
 * Default deny: without any TunnelPolicy a namespace may only tunnel to its own Services, exposed as ClusterIP, for at
 * most the operator's maximum ttl. Several policies combine as a union: a session is allowed when one policy allows
 * all of it.
 */
@Group(TunnelSession.GROUP)
@Version(TunnelSession.VERSION)
// spelled out: Fabric8 would otherwise derive them with regular expressions at every instance it builds (each watch
// event, each copy), about a tenth of the operator's CPU at N = 5000 in the benchmark's profile
@Plural("tunnelpolicies")
@Singular("tunnelpolicy")
@ShortNames("tp")
@AdditionalPrinterColumn(name = "Allows", jsonPath = ".status.summary", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Max TTL", jsonPath = ".spec.maxTtl", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class TunnelPolicy extends CustomResource<TunnelPolicySpec, TunnelPolicyStatus> implements Namespaced {
}
