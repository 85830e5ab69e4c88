package io.tunnelops.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;

/**
 * The Kubernetes Pod Security Standards, baseline and restricted profiles (v1.30 and later), as a checker: every
 * control, for the pod and each of its containers. Returns the violations, empty when the pod is restricted.
 */
final class PodSecurityRestricted {

    private static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
            "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
            "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes");
    private static final Set<String> BASELINE_CAPABILITIES = Set.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER",
            "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT");
    private static final Set<String> SELINUX_TYPES = Set.of("", "container_t", "container_init_t", "container_kvm_t",
            "container_engine_t");

    private PodSecurityRestricted() {
    }

    static List<String> violations(PodSpec pod, Map<String, String> podAnnotations) {
        List<String> v = new ArrayList<>();
        // baseline
        if (Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID())
                || Boolean.TRUE.equals(pod.getHostIPC())) {
            v.add("host namespaces: hostNetwork, hostPID and hostIPC must be unset or false");
        }
        PodSecurityContext podContext = pod.getSecurityContext();
        if (podContext != null && podContext.getSysctls() != null) {
            podContext.getSysctls().stream().filter(s -> !SAFE_SYSCTLS.contains(s.getName()))
                    .forEach(s -> v.add("sysctl " + s.getName() + " is not in the safe set"));
        }
        if (podContext != null && podContext.getSeLinuxOptions() != null) {
            checkSeLinux("pod", podContext.getSeLinuxOptions(), v);
        }
        if (podAnnotations != null) {
            podAnnotations.forEach((key, value) -> {
                if (key.startsWith("container.apparmor.security.beta.kubernetes.io/")
                        && !value.equals("runtime/default") && !value.startsWith("localhost/")) {
                    v.add("AppArmor profile " + value + " on " + key);
                }
            });
        }
        // restricted: volume types
        for (Volume volume : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
            boolean allowed = volume.getConfigMap() != null || volume.getCsi() != null || volume.getDownwardAPI() != null
                    || volume.getEmptyDir() != null || volume.getEphemeral() != null
                    || volume.getPersistentVolumeClaim() != null || volume.getProjected() != null || volume.getSecret() != null;
            if (!allowed || volume.getHostPath() != null) {
                v.add("volume " + volume.getName() + " is of a type the restricted profile forbids");
            }
        }
        boolean podNonRoot = podContext != null && Boolean.TRUE.equals(podContext.getRunAsNonRoot());
        if (podContext != null && Long.valueOf(0).equals(podContext.getRunAsUser())) {
            v.add("pod runAsUser is 0");
        }
        SeccompProfile podSeccomp = podContext == null ? null : podContext.getSeccompProfile();
        if (podSeccomp != null && !allowedSeccomp(podSeccomp)) {
            v.add("pod seccompProfile " + podSeccomp.getType());
        }
        List<Container> containers = Stream.concat(
                pod.getContainers() == null ? Stream.<Container>empty() : pod.getContainers().stream(),
                pod.getInitContainers() == null ? Stream.<Container>empty() : pod.getInitContainers().stream()).toList();
        for (Container c : containers) {
            checkContainer(c, podNonRoot, podSeccomp, v);
        }
        if (pod.getEphemeralContainers() != null && !pod.getEphemeralContainers().isEmpty()) {
            v.add("ephemeral containers are not checked by the operator's pods: there must be none");
        }
        return v;
    }

    private static void checkContainer(Container c, boolean podNonRoot, SeccompProfile podSeccomp, List<String> v) {
        String name = "container " + c.getName() + ": ";
        SecurityContext sc = c.getSecurityContext();
        if (sc != null && Boolean.TRUE.equals(sc.getPrivileged())) {
            v.add(name + "privileged");
        }
        if (c.getPorts() != null && c.getPorts().stream().anyMatch(p -> p.getHostPort() != null && p.getHostPort() != 0)) {
            v.add(name + "hostPort");
        }
        if (sc != null && sc.getProcMount() != null && !"Default".equals(sc.getProcMount())) {
            v.add(name + "procMount " + sc.getProcMount());
        }
        if (sc != null && sc.getSeLinuxOptions() != null) {
            checkSeLinux(name, sc.getSeLinuxOptions(), v);
        }
        if (sc != null && sc.getAppArmorProfile() != null && "Unconfined".equals(sc.getAppArmorProfile().getType())) {
            v.add(name + "AppArmor Unconfined");
        }
        Capabilities caps = sc == null ? null : sc.getCapabilities();
        List<String> added = caps == null || caps.getAdd() == null ? List.of() : caps.getAdd();
        added.stream().filter(a -> !BASELINE_CAPABILITIES.contains(a)).forEach(a -> v.add(name + "adds capability " + a));
        added.stream().filter(a -> !a.equals("NET_BIND_SERVICE")).forEach(a -> v.add(name + "restricted allows adding only NET_BIND_SERVICE, not " + a));
        if (caps == null || caps.getDrop() == null || !caps.getDrop().contains("ALL")) {
            v.add(name + "capabilities must drop ALL");
        }
        if (sc == null || !Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
            v.add(name + "allowPrivilegeEscalation must be false");
        }
        boolean nonRoot = sc != null && sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : podNonRoot;
        if (!nonRoot) {
            v.add(name + "runAsNonRoot must be true");
        }
        if (sc != null && Long.valueOf(0).equals(sc.getRunAsUser())) {
            v.add(name + "runAsUser is 0");
        }
        SeccompProfile seccomp = sc != null && sc.getSeccompProfile() != null ? sc.getSeccompProfile() : podSeccomp;
        if (seccomp == null || !allowedSeccomp(seccomp)) {
            v.add(name + "seccompProfile must be RuntimeDefault or Localhost");
        }
    }

    private static boolean allowedSeccomp(SeccompProfile profile) {
        return "RuntimeDefault".equals(profile.getType()) || "Localhost".equals(profile.getType());
    }

    private static void checkSeLinux(String where, io.fabric8.kubernetes.api.model.SELinuxOptions options, List<String> v) {
        if (options.getType() != null && !SELINUX_TYPES.contains(options.getType())) {
            v.add(where + " SELinux type " + options.getType());
        }
        if (options.getUser() != null && !options.getUser().isEmpty() || options.getRole() != null && !options.getRole().isEmpty()) {
            v.add(where + " SELinux user/role must not be set");
        }
    }
}
