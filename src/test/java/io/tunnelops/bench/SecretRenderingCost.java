package io.tunnelops.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.InvalidSessionException;
import io.tunnelops.session.SessionPlan;
import io.tunnelops.session.SessionPlanner;
import io.tunnelops.session.resources.RenderedSession;
import io.tunnelops.ssh.Ed25519KeyGenerator;
import io.tunnelops.testing.SessionFixtures;

/**
 * What the whole credentials Secret of a session costs per reconcile pass (CredentialsSecret's desired object: keys,
 * sshd_config, authorized_keys, known_hosts, ssh_config, base64), one thread, timed per pass after a warm-up, for the
 * three passes the operator makes: the first of a session with a generated client key (two key pairs), the first of
 * one with the user's own key (one pair), and any later pass (the stored keys are reused).
 */
record SecretRenderingCost(String pass, Percentiles micros) {

    private static final String ADDRESS = "198.18.0.10"; // RFC 2544's benchmarking range: nothing is sent to it

    static List<SecretRenderingCost> measure(int passes) throws InvalidSessionException {
        Service target = SessionFixtures.targetService("bench", "postgres", 5432);
        target.getSpec().setClusterIP("198.18.0.2");
        TunnelSession generated = SessionFixtures.session("bench", "generated").toService("postgres", 5432).build();
        TunnelSession ownKey = SessionFixtures.session("bench", "own-key").toService("postgres", 5432)
                .authorizedKeys(Ed25519KeyGenerator.generate("alice@laptop").publicKey()).build();
        RenderedSession first = render(generated, target);
        RenderedSession own = render(ownKey, target);
        return List.of(
                time("first pass, generated client key (2 key pairs)", passes,
                        () -> RenderedSession.credentials(generated, first.plan(), first.service(), Optional.empty())),
                time("first pass, user's own key (1 key pair)", passes,
                        () -> RenderedSession.credentials(ownKey, own.plan(), own.service(), Optional.empty())),
                time("later pass, keys reused (0 key pairs)", passes, () -> RenderedSession.credentials(generated,
                        first.plan(), first.service(), Optional.of(first.secret()))));
    }

    private static RenderedSession render(TunnelSession session, Service target) throws InvalidSessionException {
        SessionPlan plan = SessionPlanner.plan(session, Optional.of(target), "tunnel-operator-sshd:bench");
        return RenderedSession.of(session, plan, ADDRESS);
    }

    private static SecretRenderingCost time(String pass, int passes, java.util.function.Supplier<Secret> render) {
        for (int i = 0; i < passes / 4; i++) {
            render.get();
        }
        List<Long> micros = new ArrayList<>(passes);
        for (int i = 0; i < passes; i++) {
            long begin = System.nanoTime();
            render.get();
            micros.add((System.nanoTime() - begin) / 1000);
        }
        return new SecretRenderingCost(pass, Percentiles.of(micros));
    }
}
