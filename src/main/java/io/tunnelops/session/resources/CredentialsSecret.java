package io.tunnelops.session.resources;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.tunnelops.api.v1alpha1.Endpoint;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.operator.CacheWithoutManagedFields;
import io.tunnelops.session.SessionEndpoints;
import io.tunnelops.session.SessionPlan;
import io.tunnelops.ssh.AuthorizedKey;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.tunnelops.ssh.KnownHosts;
import io.tunnelops.ssh.SshKeyPair;
import io.tunnelops.ssh.SshdConfigRenderer;
import io.tunnelops.ssh.SshdLayout;
import io.tunnelops.ssh.TunnelSshdConfig;

/**
 * The session's credentials: its host key, the generated client key (when the user gave none), the rendered
 * sshd_config and authorized_keys the sshd mounts, and the known_hosts line and ssh_config snippet users need.
 * Keys are generated once: every later pass reuses the ones already stored.
 */
@KubernetesDependent(informer = @Informer(labelSelector = SessionLabels.OWNED_SELECTOR, itemStore = CacheWithoutManagedFields.class))
public class CredentialsSecret extends CRUDKubernetesDependentResource<Secret, TunnelSession> {

    public static final String NAME = "credentials-secret";
    public static final String CLIENT_KEY = "id_ed25519";
    public static final String CLIENT_PUBLIC_KEY = "id_ed25519.pub";
    public static final String KNOWN_HOSTS = "known_hosts";
    public static final String SSH_CONFIG = "ssh_config";

    public CredentialsSecret() {
        super(Secret.class);
    }

    @Override
    protected Secret desired(TunnelSession session, Context<TunnelSession> context) {
        SessionPlan plan = Plans.of(context);
        Map<String, String> stored = decode(context.getSecondaryResource(Secret.class));
        String name = session.getMetadata().getName();
        String namespace = session.getMetadata().getNamespace();

        Map<String, String> items = new LinkedHashMap<>();
        SshKeyPair hostKey = reuseOrGenerate(stored, SshdLayout.HOST_KEY, SshdLayout.HOST_PUBLIC_KEY,
                "tunnel-operator host key " + namespace + "/" + name);
        items.put(SshdLayout.HOST_KEY, hostKey.privateKey());
        items.put(SshdLayout.HOST_PUBLIC_KEY, hostKey.publicKey() + "\n");

        String authorizedKeys;
        if (plan.generatesClientKey()) {
            SshKeyPair clientKey = reuseOrGenerate(stored, CLIENT_KEY, CLIENT_PUBLIC_KEY, namespace + "/" + name);
            items.put(CLIENT_KEY, clientKey.privateKey());
            items.put(CLIENT_PUBLIC_KEY, clientKey.publicKey() + "\n");
            authorizedKeys = clientKey.publicKey() + "\n";
        } else {
            authorizedKeys = plan.userKeys().stream().map(AuthorizedKey::toLine).collect(Collectors.joining("\n", "", "\n"));
        }
        items.put(SshdLayout.AUTHORIZED_KEYS, authorizedKeys);
        items.put(SshdLayout.SSHD_CONFIG, plan.isShell() ? SshdConfigRenderer.renderShell(namespace + "/" + name)
                : SshdConfigRenderer.render(new TunnelSshdConfig(namespace + "/" + name, plan.permitOpen())));

        Optional<Endpoint> endpoint = SessionEndpoints.of(context);
        endpoint.ifPresent(e -> {
            items.put(KNOWN_HOSTS, KnownHosts.line(e.getHost(), e.getPort(), hostKey.publicKey()) + "\n");
            items.put(SSH_CONFIG, SshCommands.sshConfig(name, namespace, e, plan));
        });

        Map<String, String> data = new LinkedHashMap<>();
        items.forEach((key, value) -> data.put(key,
                Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8))));
        return new SecretBuilder().withMetadata(SessionLabels.metadata(session, SessionLabels.secretName(session)))
                .withType("Opaque").withData(data).build();
    }

    private static SshKeyPair reuseOrGenerate(Map<String, String> stored, String privateItem, String publicItem,
            String comment) {
        String privateKey = stored.get(privateItem);
        String publicKey = stored.get(publicItem);
        if (privateKey != null && publicKey != null) {
            return new SshKeyPair(publicKey.strip(), privateKey);
        }
        return Ed25519KeyGenerator.generate(comment);
    }

    /** The Secret's items as text; empty when it does not exist yet. */
    public static Map<String, String> decode(Optional<Secret> secret) {
        Map<String, String> items = new LinkedHashMap<>();
        secret.map(Secret::getData).ifPresent(data -> data.forEach((key, value) -> items.put(key,
                new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8))));
        return items;
    }
}
