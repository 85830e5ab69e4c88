package io.tunnelops.bench;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import org.awaitility.Awaitility;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.tunnelops.api.v1alpha1.TunnelPolicy;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.ssh.Ed25519KeyGenerator;

/**
 * The sessions of one benchmark run, as a platform with ten teams would see them: ten namespaces under the restricted
 * Pod Security Standard, each with a TunnelPolicy and two target Services (postgres, redis); sessions spread over the
 * namespaces in turn. Of every ten sessions: seven go to a Service, three to a host (an address in the policy's
 * range); four bring the user's own key, six get a generated one; one is exposed as NodePort (from an office's
 * address range, as policies require for NodePort), the others ClusterIP.
 */
final class SessionMix {

    static final int NAMESPACES = 10;
    /** On every namespace and session of a run: the watcher's selector, and what a cleanup deletes. */
    static final String RUN_LABEL = "bench.tunnelops.io/run";
    static final String DESCRIPTION = "10 namespaces with a TunnelPolicy each; per 10 sessions: 7 to a Service, "
            + "3 to a host; 4 with the user's own key, 6 generated; 1 NodePort (with sourceRanges), 9 ClusterIP";

    private record TargetService(String name, int port) {
    }

    private static final List<TargetService> TARGETS = List.of(new TargetService("postgres", 5432),
            new TargetService("redis", 6379));

    private final String run;
    private final List<String> ownKeys;

    /** @param run names the namespaces ({@code run-0} ... {@code run-9}): a DNS label, unique in the cluster */
    SessionMix(String run, List<String> ownKeys) {
        this.run = run;
        this.ownKeys = ownKeys;
    }

    /** Public keys of a few users, as they would paste them into sessions. */
    static List<String> usersKeys(int count) {
        return IntStream.range(0, count).mapToObj(i -> Ed25519KeyGenerator.generate("user" + i + "@bench").publicKey())
                .toList();
    }

    String run() {
        return run;
    }

    List<String> namespaces() {
        return IntStream.range(0, NAMESPACES).mapToObj(i -> run + "-" + i).toList();
    }

    /** The namespaces, their policies and target Services. */
    void prepare(KubernetesClient admin) {
        for (String ns : namespaces()) {
            admin.resource(new NamespaceBuilder().withNewMetadata().withName(ns).addToLabels(RUN_LABEL, run)
                    .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                    .addToLabels("pod-security.kubernetes.io/enforce-version", "latest").endMetadata().build()).create();
            admin.resource(policy(ns)).create();
            for (TargetService target : TARGETS) {
                admin.resource(new ServiceBuilder().withNewMetadata().withName(target.name()).withNamespace(ns)
                        .endMetadata().withNewSpec().addToSelector("app", target.name()).addNewPort().withName("main")
                        .withPort(target.port()).withNewTargetPort(target.port()).endPort().endSpec().build()).create();
            }
        }
    }

    /** The team's policy: its two Services, hosts in 10.20.0.0/16 on the postgres port, ClusterIP or NodePort. */
    static TunnelPolicy policy(String ns) {
        return Serialization.unmarshal("""
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelPolicy
                metadata: {name: team, namespace: %s}
                spec:
                  targets:
                    - services: [postgres, redis]
                      ports: [5432, 6379]
                    - cidrs: ["10.20.0.0/16"]
                      ports: [5432]
                  maxTtl: 4h
                  allowedExpose: [ClusterIP, NodePort]
                """.formatted(ns), TunnelPolicy.class);
    }

    /** Session {@code i} of the run (0-based), not created yet; every namespace gets the whole mix. */
    TunnelSession session(int i) {
        String ns = namespaces().get(i % NAMESPACES);
        int k = i / NAMESPACES; // the how-manieth in its namespace
        String target = k % 10 < 7
                ? (k % 2 == 0 ? "{service: postgres, ports: [5432]}" : "{service: redis, ports: [6379]}")
                : "{host: \"10.20.%d.%d\", ports: [5432]}".formatted(i / 250 % 256, i % 250 + 1);
        List<String> keys = k % 5 < 2 ? List.of(ownKeys.get(i % ownKeys.size())) : List.of();
        boolean nodePort = k % 10 == 5;
        return Serialization.unmarshal("""
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata:
                  name: %s
                  namespace: %s
                  labels: {%s: %s}
                spec:
                  target: %s
                  ttl: %s
                  access:
                    expose: %s
                    authorizedKeys: [%s]
                    sourceRanges: [%s]
                """.formatted(name(i), ns, RUN_LABEL, run, target, k % 3 == 0 ? "30m" : "2h",
                nodePort ? "NodePort" : "ClusterIP",
                keys.stream().map(key -> "\"" + key + "\"").reduce((a, b) -> a + ", " + b).orElse(""),
                nodePort ? "\"203.0.113.0/24\"" : ""),
                TunnelSession.class);
    }

    static String name(int i) {
        return "s-%05d".formatted(i);
    }

    /** Deletes the run's namespaces and waits until they are gone (a deleted session needs its operator running). */
    void delete(KubernetesClient admin, Duration atMost) {
        namespaces().forEach(ns -> admin.namespaces().withName(ns).delete());
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofSeconds(1)).until(
                () -> admin.namespaces().withLabel(RUN_LABEL, run).list().getItems().isEmpty());
    }
}
