package io.tunnelops.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A temporary, least-privilege SSH session into the cluster: the operator runs a private sshd for it alone,
 * publishes how to connect in its status, and removes everything when the session ends.
 */
@Group(TunnelSession.GROUP)
@Version(TunnelSession.VERSION)
// spelled out: Fabric8 would otherwise derive them with regular expressions at every instance it builds (each watch
// event, each copy), about a tenth of the operator's CPU at N = 5000 in the benchmark's profile
@Plural("tunnelsessions")
@Singular("tunnelsession")
@ShortNames("ts")
@ValidationRule(value = "has(self.spec)", message = "spec is required")
@AdditionalPrinterColumn(name = "Mode", jsonPath = ".spec.mode", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Target", jsonPath = ".status.target", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Endpoint", jsonPath = ".status.endpoint.address", type = AdditionalPrinterColumn.Type.STRING)
// a string, not a date: kubectl renders a date in the future as <invalid>
@AdditionalPrinterColumn(name = "Expires", jsonPath = ".status.expiresAt", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class TunnelSession extends CustomResource<TunnelSessionSpec, TunnelSessionStatus> implements Namespaced {

    public static final String GROUP = "tunnelops.io";
    public static final String VERSION = "v1alpha1";
}
