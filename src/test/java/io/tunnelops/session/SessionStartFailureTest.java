package io.tunnelops.session;

import static io.tunnelops.testing.SessionFixtures.session;
import static io.tunnelops.testing.SessionFixtures.targetService;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.tunnelops.api.v1alpha1.SessionPhase;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.testing.FakeKubelet;
import io.tunnelops.testing.TestClock;

/**
 * An sshd that cannot start (an image that does not exist, a crashing container, a pod admission forbids) gives the
 * session a clear condition, and after the start timeout the session fails and leaves nothing behind.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class SessionStartFailureTest {

    static final String PULL_ERROR = "failed to pull and unpack image \"docker.io/tunnelops/sshd:nope\": not found";

    @KubernetesTestServer
    KubernetesServer server;

    @Inject
    KubernetesClient client;

    @Inject
    TunnelSessionReconciler reconciler;

    @Inject
    OperatorSettings settings;

    TestClock clock;
    String ns;
    ReconcilePasses passes;

    @BeforeEach
    void setUp() {
        passes = ReconcilePasses.record(reconciler::reconciliationCount);
        clock = new TestClock(Instant.now());
        QuarkusMock.installMockForType(clock, java.time.Clock.class);
        ns = "start-" + UUID.randomUUID().toString().substring(0, 8);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        client.resource(targetService(ns, "postgres", 5432)).create();
    }

    @AfterEach
    void stopRecording() {
        passes.close();
    }

    @Test
    void anImageThatCannotBePulledNamesThePodAndTheKubeletsMessage() {
        provisioning("pull");
        FakeKubelet.sshdPodWaiting(client, ns, "pull", "ErrImagePull", PULL_ERROR);

        Condition ready = awaitReason("pull", "SshdCannotStart");
        assertEquals("False", ready.getStatus());
        assertEquals("the sshd cannot start: pod pull-sshd-0: container sshd is waiting: ErrImagePull: " + PULL_ERROR,
                ready.getMessage());
        assertEquals(SessionPhase.Provisioning, get("pull").getStatus().getPhase());
        await().atMost(5, TimeUnit.SECONDS).until(() -> warnings("pull").contains("SshdCannotStart"));
    }

    @Test
    void anImagePullBackOffIsReportedAsSuch() {
        provisioning("backoff");
        FakeKubelet.sshdPodWaiting(client, ns, "backoff", "ImagePullBackOff",
                "Back-off pulling image \"tunnelops/sshd:nope\"");

        assertEquals("the sshd cannot start: pod backoff-sshd-0: container sshd is waiting: ImagePullBackOff: "
                + "Back-off pulling image \"tunnelops/sshd:nope\"", awaitReason("backoff", "SshdCannotStart").getMessage());
    }

    @Test
    void aCrashLoopNamesTheLastExitNotTheGrowingBackOff() {
        provisioning("crash");
        FakeKubelet.sshdPodCrashLooping(client, ns, "crash", 2, "20s");

        assertEquals("the sshd cannot start: pod crash-sshd-0: container sshd is waiting: CrashLoopBackOff: the sshd "
                + "keeps exiting; last exit code 255 (Error)", awaitReason("crash", "SshdCannotStart").getMessage());
    }

    @Test
    void aPodAdmissionForbidsIsReportedFromTheDeploymentsReplicaFailure() {
        provisioning("forbidden");
        String forbidden = "pods \"forbidden-sshd-5d8f\" is forbidden: violates PodSecurity \"restricted:latest\": "
                + "runAsNonRoot != true";
        client.apps().deployments().inNamespace(ns).withName("forbidden-sshd").editStatus(d -> {
            d.setStatus(new DeploymentStatusBuilder().withReplicas(0).addNewCondition().withType("ReplicaFailure")
                    .withStatus("True").withReason("FailedCreate").withMessage(forbidden).endCondition().build());
            return d;
        });

        assertEquals("the sshd cannot start: Deployment forbidden-sshd cannot create its pod: FailedCreate: " + forbidden,
                awaitReason("forbidden", "SshdCannotStart").getMessage());
    }

    @Test
    void aPodBeingCreatedIsNormalAndStaysSshdStarting() {
        provisioning("patient");
        FakeKubelet.sshdPodWaiting(client, ns, "patient", "ContainerCreating", null);
        passes.awaitWholePass(ns, "patient", () -> touch("patient-sshd-0"));

        assertEquals("SshdStarting", ready(get("patient")).getReason());
        assertEquals(SessionPhase.Provisioning, get("patient").getStatus().getPhase());
        assertTrue(!warnings("patient").contains("SshdCannotStart"), warnings("patient").toString());
    }

    @Test
    void anSshdNotAvailableByTheStartTimeoutFailsTheSessionAndLeavesNothing() {
        provisioning("late");
        FakeKubelet.sshdPodWaiting(client, ns, "late", "ErrImagePull", PULL_ERROR);
        awaitReason("late", "SshdCannotStart");
        Instant deadline = startDeadline("late");

        // the reconciler wakes itself for the deadline: no event is needed to fail the session
        clock.set(deadline.minusMillis(300));
        FakeKubelet.sshdPodWaiting(client, ns, "late", "ImagePullBackOff", "Back-off pulling image \"x\"");
        await().atMost(10, TimeUnit.SECONDS).until(() -> ready(get("late")).getMessage().contains("ImagePullBackOff"));
        clock.set(deadline);
        TunnelSession failed = awaitPhase("late", SessionPhase.Failed);

        Condition ready = ready(failed);
        assertEquals("SshdStartTimeout", ready.getReason());
        assertEquals("the sshd did not become available within " + SessionDurations.format(settings.sshdStartTimeout())
                + "; the sshd cannot start: pod late-sshd-0: container sshd is waiting: ImagePullBackOff: Back-off "
                + "pulling image \"x\"; its sshd, Service, Secret and NetworkPolicy are deleted", ready.getMessage());
        assertNotNull(failed.getStatus().getEndedAt(), "final: kept for the retention period, then deleted");
        assertNull(failed.getStatus().getEndpoint());
        assertNull(failed.getStatus().getCredentialsSecret());
        assertNothingLeft("late");
        await().atMost(5, TimeUnit.SECONDS).until(() -> warnings("late").contains("SshdStartTimeout"));

        // later passes neither provision it again nor change it
        clock.advance(Duration.ofMinutes(10));
        FakeKubelet.sshdPodWaiting(client, ns, "late", "ErrImagePull", PULL_ERROR);
        passes.awaitWholePass(ns, "late", () -> touch("late-sshd-0"));
        assertEquals(failed.getStatus(), get("late").getStatus());
        assertNothingLeft("late");
    }

    @Test
    void aSecondPassOverAStuckSshdWritesNothingEvenAsTheBackOffGrows() throws Exception {
        provisioning("steady");
        FakeKubelet.sshdPodCrashLooping(client, ns, "steady", 1, "10s");
        awaitReason("steady", "SshdCannotStart");
        await().atMost(5, TimeUnit.SECONDS).until(() -> warnings("steady").contains("SshdCannotStart"));
        await().pollDelay(Duration.ofMillis(500)).until(() -> true);
        drainRequests();

        // what the kubelet reports a restart later: more restarts, a longer back-off, the same exit
        FakeKubelet.sshdPodCrashLooping(client, ns, "steady", 2, "20s");
        passes.awaitWholePass(ns, "steady", () -> touch("steady-sshd-0"));

        List<String> writes = drainRequests().stream()
                .filter(r -> !r.getMethod().equals("GET"))
                .map(r -> r.getMethod() + " " + r.getPath()).toList();
        assertEquals(3, writes.size(), "only the test's own pod status and two touches, but saw " + writes);
        assertTrue(writes.get(0).contains("/pods/steady-sshd-0/status"), writes.toString());
        assertTrue(writes.stream().allMatch(w -> w.contains("/pods/steady-sshd-0")), writes.toString());
    }

    @Test
    void anSshdThatRecoversBeforeTheDeadlineBecomesReadyAndStaysSo() {
        provisioning("recovers");
        FakeKubelet.sshdPodWaiting(client, ns, "recovers", "ImagePullBackOff", "Back-off pulling image \"x\"");
        awaitReason("recovers", "SshdCannotStart");
        Instant deadline = startDeadline("recovers");

        clock.set(deadline.minusSeconds(10));
        FakeKubelet.sshdPodRunning(client, ns, "recovers");
        FakeKubelet.deploymentAvailable(client, ns, "recovers");
        TunnelSession ready = awaitPhase("recovers", SessionPhase.Ready);
        assertEquals("SshdReady", ready(ready).getReason());

        clock.set(deadline.plusSeconds(60));
        passes.awaitWholePass(ns, "recovers", () -> client.pods().inNamespace(ns).withName("recovers-sshd-0").edit(p -> {
            p.getMetadata().setAnnotations(Map.of("nudge", UUID.randomUUID().toString()));
            return p;
        }));
        assertEquals(SessionPhase.Ready, get("recovers").getStatus().getPhase(), "the deadline only binds a waiting sshd");
        assertNotNull(deployment("recovers"));
    }

    @Test
    void aReadySessionWhoseSshdStopsGetsTheWholeStartTimeoutFromThatMoment() {
        provisioning("lost");
        FakeKubelet.sshdPodRunning(client, ns, "lost");
        FakeKubelet.deploymentAvailable(client, ns, "lost");
        awaitPhase("lost", SessionPhase.Ready);

        // long after the Deployment's creation, its pod goes (a node drained) and the new one cannot pull
        clock.advance(Duration.ofMinutes(40));
        client.apps().deployments().inNamespace(ns).withName("lost-sshd").editStatus(d -> {
            d.setStatus(new DeploymentStatusBuilder().withReplicas(1).withUnavailableReplicas(1).build());
            return d;
        });
        FakeKubelet.sshdPodWaiting(client, ns, "lost", "ErrImagePull", PULL_ERROR);
        Condition notReady = awaitReason("lost", "SshdCannotStart");
        assertEquals(clock.instant().truncatedTo(ChronoUnit.SECONDS).toString(),
                notReady.getLastTransitionTime());
        assertEquals(SessionPhase.Provisioning, get("lost").getStatus().getPhase(), "not failed at once");

        clock.set(Instant.parse(notReady.getLastTransitionTime()).plus(settings.sshdStartTimeout()));
        FakeKubelet.sshdPodWaiting(client, ns, "lost", "ImagePullBackOff", "Back-off pulling image \"x\"");
        assertEquals("SshdStartTimeout", ready(awaitPhase("lost", SessionPhase.Failed)).getReason());
        assertNothingLeft("lost");
    }

    // ---- helpers

    /** An event on the pod that the session's informers see, with nothing in it the reconciler reads. */
    private void touch(String pod) {
        client.pods().inNamespace(ns).withName(pod)
                .edit(p -> { p.getMetadata().setAnnotations(Map.of("touched-by-test", UUID.randomUUID().toString())); return p; });
    }

    /** A session whose Service has its address, so only the sshd is waited for. */
    private void provisioning(String name) {
        client.resource(session(ns, name).toService("postgres", 5432).ttl("1h").build()).create();
        FakeKubelet.serviceAddress(client, ns, name, "10.96.3." + (Math.abs(name.hashCode()) % 200 + 2));
        awaitReason(name, "SshdStarting");
    }

    /** The later of the sshd Deployment's creation and the Ready condition turning False, plus the start timeout. */
    private Instant startDeadline(String name) {
        Instant notReady = Instant.parse(ready(get(name)).getLastTransitionTime());
        String created = deployment(name).getMetadata().getCreationTimestamp();
        Instant since = created != null && Instant.parse(created).isAfter(notReady) ? Instant.parse(created) : notReady;
        return since.plus(settings.sshdStartTimeout());
    }

    private TunnelSession get(String name) {
        return client.resources(TunnelSession.class).inNamespace(ns).withName(name).get();
    }

    private Deployment deployment(String session) {
        return client.apps().deployments().inNamespace(ns).withName(session + "-sshd").get();
    }

    private Condition awaitReason(String name, String reason) {
        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            TunnelSession s = get(name);
            return s != null && s.getStatus() != null && ReadyCondition.find(s.getStatus().getConditions())
                    .map(c -> reason.equals(c.getReason())).orElse(false);
        });
        return ready(get(name));
    }

    private TunnelSession awaitPhase(String name, SessionPhase phase) {
        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            TunnelSession s = get(name);
            return s != null && s.getStatus() != null && s.getStatus().getPhase() == phase;
        });
        return get(name);
    }

    private static Condition ready(TunnelSession session) {
        return ReadyCondition.find(session.getStatus().getConditions()).orElseThrow();
    }

    private List<String> warnings(String session) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> session.equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType()))
                .map(Event::getReason).toList();
    }

    private void assertNothingLeft(String session) {
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> {
            assertNull(deployment(session), "Deployment");
            assertNull(client.services().inNamespace(ns).withName(session + "-sshd").get(), "Service");
            assertNull(client.secrets().inNamespace(ns).withName(session + "-ssh").get(), "Secret");
            assertNull(client.network().v1().networkPolicies().inNamespace(ns).withName(session + "-sshd").get(),
                    "NetworkPolicy");
        });
    }

    private List<RecordedRequest> drainRequests() throws InterruptedException {
        List<RecordedRequest> requests = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.getKubernetesMockServer().takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
            requests.add(request);
        }
        return requests;
    }
}
