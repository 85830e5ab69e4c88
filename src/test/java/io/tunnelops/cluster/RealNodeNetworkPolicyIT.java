package io.tunnelops.cluster;

import static io.tunnelops.cluster.RealNodeFixtures.apply;
import static io.tunnelops.cluster.RealNodeFixtures.assertNothingLeft;
import static io.tunnelops.cluster.RealNodeFixtures.echoTarget;
import static io.tunnelops.cluster.RealNodeFixtures.ready;
import static io.tunnelops.cluster.RealNodeFixtures.sshdPod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tunnelops.testing.Kubectl;

/**
 * What the session's NetworkPolicy promises, enforced by a real NetworkPolicy implementation (kube-router's firewall on
 * the node) and tried from inside the session's own sshd container: it reaches its target's port and cluster DNS, and
 * nothing else: not another port of the target, not another pod, not the API server. A control pod of the same image,
 * without a policy, reaches every one of them, so each refusal is the policy's doing.
 */
class RealNodeNetworkPolicyIT {

    static RealNodeCluster cluster;
    static Kubectl kubectl;

    @BeforeAll
    static void up() {
        cluster = RealNodeCluster.shared();
        kubectl = cluster.kubectl();
    }

    @Test
    void theSshdReachesItsTargetsPortAndDnsAndNothingElse() throws Exception {
        String ns = cluster.namespace("node-netpol");
        String echoPod = echoTarget(ns, "echo", 8080, 9090);
        String otherPod = echoTarget(ns, "other", 8080);
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: fenced}
                spec:
                  target: {service: echo, ports: [8080]}
                  ttl: 1h
                """);
        ready(ns, "fenced", Files.createTempDirectory("real-node-netpol-"));
        String sshd = sshdPod(ns, "fenced").getMetadata().getName();
        startControlPod(ns);

        String echoService = clusterIp(ns, "echo");
        String apiService = clusterIp("default", "kubernetes");
        String dnsPod = cluster.admin().pods().inNamespace("kube-system").withLabel("k8s-app", "kube-dns").list().getItems()
                .get(0).getStatus().getPodIP();
        Map<String, Boolean> fromSshd = new LinkedHashMap<>();
        fromSshd.put("the target Service " + echoService + ":8080", true);
        fromSshd.put("the target pod " + echoPod + ":8080", true);
        fromSshd.put("the target pod's other port " + echoPod + ":9090", false);
        fromSshd.put("another pod " + otherPod + ":8080", false);
        fromSshd.put("the API server's Service " + apiService + ":443", false);
        fromSshd.put("the cluster DNS pod's TCP port " + dnsPod + ":53", true);
        fromSshd.put("the cluster DNS pod's health port " + dnsPod + ":8080", false);

        assertReaches(ns, sshd, fromSshd);

        // DNS through the cluster's CoreDNS, allowed by the policy: the target's name resolves to its Service
        Kubectl.Result resolved = exec(ns, sshd, "getent", "hosts", "echo." + ns + ".svc.cluster.local");
        assertEquals(0, resolved.exitCode(), resolved.stderr());
        assertTrue(resolved.stdout().startsWith(echoService + " "), resolved.stdout());
        // a name outside the cluster does not resolve: CoreDNS forwards nothing, nothing leaves this machine
        assertNotEquals(0, exec(ns, sshd, "getent", "hosts", "example.com").exitCode());

        kubectl.succeed("delete", "-n", ns, "ts/fenced");
        assertNothingLeft(ns, "fenced");
    }

    /**
     * A Service whose ports map to other pod ports, one by number and one by name: the policy's egress rule is to the
     * pod ports (the name resolved by the network plugin against the pod's container ports), and the sshd reaches the
     * target through the Service's ports, which kube-proxy translates before the policy is applied.
     */
    @Test
    void aServiceWhosePortsMapToOtherPodPortsByNumberAndByNameIsReachedAndOnlyThere() throws Exception {
        String ns = cluster.namespace("node-mapped");
        String pod = mappedTarget(ns);
        apply(ns, """
                apiVersion: tunnelops.io/v1alpha1
                kind: TunnelSession
                metadata: {name: mapped}
                spec:
                  target: {service: mapped, ports: [5432, 6432]}
                  ttl: 1h
                """);
        ready(ns, "mapped", Files.createTempDirectory("real-node-mapped-"));
        String sshd = sshdPod(ns, "mapped").getMetadata().getName();
        startControlPod(ns);

        String service = clusterIp(ns, "mapped");
        Map<String, Boolean> fromSshd = new LinkedHashMap<>();
        fromSshd.put("the Service's port mapped by name " + service + ":5432", true);
        fromSshd.put("the Service's port mapped by number " + service + ":6432", true);
        fromSshd.put("the pod's port named in the Service " + pod + ":15432", true);
        fromSshd.put("the pod's port numbered in the Service " + pod + ":16432", true);
        fromSshd.put("the pod's port the Service does not map " + pod + ":17432", false);
        assertReaches(ns, sshd, fromSshd);

        kubectl.succeed("delete", "-n", ns, "ts/mapped");
        assertNothingLeft(ns, "mapped");
    }

    /** A busybox echo on three ports, the first named "pg"; its Service maps 5432 to "pg" and 6432 to 16432. */
    private static String mappedTarget(String ns) {
        apply(ns, """
                apiVersion: v1
                kind: Pod
                metadata: {name: mapped-0, labels: {app: mapped}}
                spec:
                  automountServiceAccountToken: false
                  securityContext: {runAsNonRoot: true, runAsUser: 10002, seccompProfile: {type: RuntimeDefault}}
                  containers:
                  - name: echo
                    image: %s
                    imagePullPolicy: IfNotPresent
                    command: [sh, -c, "nc -ll -p 15432 -e /bin/cat & nc -ll -p 16432 -e /bin/cat & nc -ll -p 17432 -e /bin/cat & wait"]
                    ports:
                    - {name: pg, containerPort: 15432}
                    - {containerPort: 16432}
                    - {containerPort: 17432}
                    readinessProbe: {tcpSocket: {port: pg}, periodSeconds: 1}
                    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: mapped}
                spec:
                  selector: {app: mapped}
                  ports:
                  - {name: by-name, port: 5432, targetPort: pg}
                  - {name: by-number, port: 6432, targetPort: 16432}
                """.formatted(RealNodeCluster.BUSYBOX_IMAGE));
        kubectl.succeed("wait", "-n", ns, "--for=condition=Ready", "pod/mapped-0", "--timeout=60s");
        return cluster.admin().pods().inNamespace(ns).withName("mapped-0").get().getStatus().getPodIP();
    }

    /**
     * Each address ("what it is ip:port") is reached from the sshd exactly when expected, and always from the control
     * pod (so a refusal is the policy's doing).
     */
    private static void assertReaches(String ns, String sshd, Map<String, Boolean> fromSshd) {
        List<String> wrong = new ArrayList<>();
        for (var check : fromSshd.entrySet()) {
            String[] address = check.getKey().substring(check.getKey().lastIndexOf(' ') + 1).split(":");
            boolean sshdConnects = connects(ns, sshd, address[0], address[1]);
            boolean controlConnects = connects(ns, "control", address[0], address[1]);
            System.out.printf("real node: sshd -> %s: %s; control pod: %s%n", check.getKey(),
                    sshdConnects ? "connects" : "refused", controlConnects ? "connects" : "refused");
            if (sshdConnects != check.getValue()) {
                wrong.add("sshd -> " + check.getKey() + (sshdConnects ? " connects" : " is refused"));
            }
            if (!controlConnects) {
                wrong.add("control -> " + check.getKey() + " is refused: the check proves nothing");
            }
        }
        assertEquals(List.of(), wrong);
    }

    /** The sshd image with a shell that waits, and no policy selecting it. */
    private static void startControlPod(String ns) {
        apply(ns, """
                apiVersion: v1
                kind: Pod
                metadata: {name: control}
                spec:
                  automountServiceAccountToken: false
                  securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
                  containers:
                  - name: control
                    image: %s
                    command: [sleep, infinity]
                    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
                """.formatted(RealNodeCluster.SSHD_IMAGE));
        kubectl.succeed("wait", "-n", ns, "--for=condition=Ready", "pod/control", "--timeout=60s");
    }

    private static String clusterIp(String ns, String service) {
        return cluster.admin().services().inNamespace(ns).withName(service).get().getSpec().getClusterIP();
    }

    /** A completed TCP handshake within 3 s, from inside the pod (bash's /dev/tcp). */
    private static boolean connects(String ns, String pod, String ip, String port) {
        return exec(ns, pod, "timeout", "3", "bash", "-c", "exec 3<>/dev/tcp/" + ip + "/" + port).exitCode() == 0;
    }

    private static Kubectl.Result exec(String ns, String pod, String... command) {
        List<String> args = new ArrayList<>(List.of("exec", "-n", ns, pod, "--"));
        args.addAll(List.of(command));
        return kubectl.run(args.toArray(String[]::new));
    }
}
