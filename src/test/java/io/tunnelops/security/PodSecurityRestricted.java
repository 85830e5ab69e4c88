package io.tunnelops.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.AppArmorProfile;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SELinuxOptions;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.WindowsSecurityContextOptions;

/**
 * The Kubernetes Pod Security Standards, baseline and restricted profiles (as enforced by Pod Security Admission,
 * Kubernetes 1.30 and later), as a checker of a PodSpec: every control, for the pod and for each container, init
 * container and ephemeral container. Each violation starts with "baseline: " or "restricted: " (the restricted
 * profile includes the baseline one); the list is empty when the pod is restricted.
 */
final class PodSecurityRestricted {

    static final String BASELINE = "baseline: ";
    static final String RESTRICTED = "restricted: ";

    /** The sysctls baseline allows (the "safe" set). */
    private static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
            "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
            "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes");
    /** The container runtime's default capabilities: the only ones baseline lets a container add. */
    private static final Set<String> BASELINE_CAPABILITIES = Set.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER",
            "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT");
    private static final Set<String> SELINUX_TYPES = Set.of("", "container_t", "container_init_t", "container_kvm_t",
            "container_engine_t");
    private static final String APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

    /** A container, init container or ephemeral container: the fields the standards look at. */
    private record ContainerView(String what, SecurityContext context, List<ContainerPort> ports) {
    }

    private PodSecurityRestricted() {
    }

    /** Every violation of baseline and restricted; empty when the pod meets restricted. */
    static List<String> violations(PodSpec pod, Map<String, String> podAnnotations) {
        List<String> v = new ArrayList<>();
        PodSecurityContext podContext = pod.getSecurityContext() == null ? new PodSecurityContext() : pod.getSecurityContext();
        checkPod(pod, podContext, podAnnotations == null ? Map.of() : podAnnotations, v);
        for (ContainerView container : containers(pod)) {
            checkContainer(container, podContext, v);
        }
        return v;
    }

    /** Only the baseline violations (for pods that cannot be restricted, such as the operator's own). */
    static List<String> baselineViolations(PodSpec pod, Map<String, String> podAnnotations) {
        return violations(pod, podAnnotations).stream().filter(s -> s.startsWith(BASELINE)).toList();
    }

    private static void checkPod(PodSpec pod, PodSecurityContext podContext, Map<String, String> annotations, List<String> v) {
        if (Boolean.TRUE.equals(pod.getHostNetwork())) {
            v.add(BASELINE + "host namespaces: hostNetwork is true");
        }
        if (Boolean.TRUE.equals(pod.getHostPID())) {
            v.add(BASELINE + "host namespaces: hostPID is true");
        }
        if (Boolean.TRUE.equals(pod.getHostIPC())) {
            v.add(BASELINE + "host namespaces: hostIPC is true");
        }
        checkHostProcess("pod", podContext.getWindowsOptions(), v);
        checkSeLinux("pod", podContext.getSeLinuxOptions(), v);
        checkAppArmor("pod", podContext.getAppArmorProfile(), v);
        annotations.forEach((key, value) -> {
            if (key.startsWith(APPARMOR_ANNOTATION) && !value.equals("runtime/default") && !value.startsWith("localhost/")) {
                v.add(BASELINE + "AppArmor: annotation " + key + " is " + value);
            }
        });
        if (podContext.getSysctls() != null) {
            podContext.getSysctls().stream().filter(s -> !SAFE_SYSCTLS.contains(s.getName()))
                    .forEach(s -> v.add(BASELINE + "sysctls: " + s.getName() + " is not in the safe set"));
        }
        SeccompProfile podSeccomp = podContext.getSeccompProfile();
        if (podSeccomp != null && "Unconfined".equals(podSeccomp.getType())) {
            v.add(BASELINE + "seccomp: pod seccompProfile is Unconfined");
        } else if (podSeccomp != null && !allowedSeccomp(podSeccomp)) {
            v.add(RESTRICTED + "seccomp: pod seccompProfile is " + podSeccomp.getType());
        }
        if (Long.valueOf(0).equals(podContext.getRunAsUser())) {
            v.add(RESTRICTED + "runAsUser: pod runAsUser is 0");
        }
        if (Boolean.FALSE.equals(podContext.getRunAsNonRoot())) {
            v.add(RESTRICTED + "runAsNonRoot: pod runAsNonRoot is false");
        }
        for (Volume volume : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
            if (volume.getHostPath() != null) {
                v.add(BASELINE + "hostPath volumes: volume " + volume.getName() + " is a hostPath");
            } else if (!restrictedVolumeType(volume)) {
                v.add(RESTRICTED + "volume types: volume " + volume.getName()
                        + " is not configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected or secret");
            }
        }
    }

    private static void checkContainer(ContainerView c, PodSecurityContext podContext, List<String> v) {
        String what = c.what() + ": ";
        SecurityContext sc = c.context() == null ? new SecurityContext() : c.context();
        // baseline
        if (Boolean.TRUE.equals(sc.getPrivileged())) {
            v.add(BASELINE + "privileged: " + what + "privileged is true");
        }
        checkHostProcess(c.what(), sc.getWindowsOptions(), v);
        if (c.ports() != null) {
            c.ports().stream().filter(p -> p.getHostPort() != null && p.getHostPort() != 0)
                    .forEach(p -> v.add(BASELINE + "hostPorts: " + what + "hostPort " + p.getHostPort()));
        }
        checkSeLinux(c.what(), sc.getSeLinuxOptions(), v);
        checkAppArmor(c.what(), sc.getAppArmorProfile(), v);
        if (sc.getProcMount() != null && !"Default".equals(sc.getProcMount())) {
            v.add(BASELINE + "/proc mount: " + what + "procMount is " + sc.getProcMount());
        }
        Capabilities caps = sc.getCapabilities();
        List<String> added = caps == null || caps.getAdd() == null ? List.of() : caps.getAdd();
        for (String capability : added) {
            if (!BASELINE_CAPABILITIES.contains(capability)) {
                v.add(BASELINE + "capabilities: " + what + "adds " + capability);
            } else if (!capability.equals("NET_BIND_SERVICE")) {
                v.add(RESTRICTED + "capabilities: " + what + "adds " + capability + " (only NET_BIND_SERVICE may be added)");
            }
        }
        // restricted
        if (caps == null || caps.getDrop() == null || !caps.getDrop().contains("ALL")) {
            v.add(RESTRICTED + "capabilities: " + what + "does not drop ALL");
        }
        if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
            v.add(RESTRICTED + "privilege escalation: " + what + "allowPrivilegeEscalation is not false");
        }
        // the container's own setting wins; unset, the pod's applies
        Boolean nonRoot = sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : podContext.getRunAsNonRoot();
        if (!Boolean.TRUE.equals(nonRoot)) {
            v.add(RESTRICTED + "runAsNonRoot: " + what + "runAsNonRoot is not true (neither in the container nor the pod)");
        }
        if (Long.valueOf(0).equals(sc.getRunAsUser())) {
            v.add(RESTRICTED + "runAsUser: " + what + "runAsUser is 0");
        }
        SeccompProfile own = sc.getSeccompProfile();
        if (own != null && "Unconfined".equals(own.getType())) {
            v.add(BASELINE + "seccomp: " + what + "seccompProfile is Unconfined");
        } else if (own != null && !allowedSeccomp(own)) {
            v.add(RESTRICTED + "seccomp: " + what + "seccompProfile is " + own.getType());
        } else if (own == null && (podContext.getSeccompProfile() == null || !allowedSeccomp(podContext.getSeccompProfile()))) {
            v.add(RESTRICTED + "seccomp: " + what + "has no RuntimeDefault or Localhost seccompProfile (nor has the pod)");
        }
    }

    private static List<ContainerView> containers(PodSpec pod) {
        Stream<ContainerView> regular = pod.getContainers() == null ? Stream.empty() : pod.getContainers().stream()
                .map(c -> new ContainerView("container " + c.getName(), c.getSecurityContext(), c.getPorts()));
        Stream<ContainerView> init = pod.getInitContainers() == null ? Stream.empty() : pod.getInitContainers().stream()
                .map(c -> new ContainerView("init container " + c.getName(), c.getSecurityContext(), c.getPorts()));
        Stream<ContainerView> ephemeral = pod.getEphemeralContainers() == null ? Stream.empty()
                : pod.getEphemeralContainers().stream()
                        .map(c -> new ContainerView("ephemeral container " + c.getName(), c.getSecurityContext(), c.getPorts()));
        return Stream.of(regular, init, ephemeral).flatMap(s -> s).toList();
    }

    private static boolean restrictedVolumeType(Volume volume) {
        return volume.getConfigMap() != null || volume.getCsi() != null || volume.getDownwardAPI() != null
                || volume.getEmptyDir() != null || volume.getEphemeral() != null
                || volume.getPersistentVolumeClaim() != null || volume.getProjected() != null || volume.getSecret() != null;
    }

    private static boolean allowedSeccomp(SeccompProfile profile) {
        return "RuntimeDefault".equals(profile.getType()) || "Localhost".equals(profile.getType());
    }

    private static void checkHostProcess(String what, WindowsSecurityContextOptions windows, List<String> v) {
        if (windows != null && Boolean.TRUE.equals(windows.getHostProcess())) {
            v.add(BASELINE + "HostProcess: " + what + " windowsOptions.hostProcess is true");
        }
    }

    private static void checkAppArmor(String what, AppArmorProfile profile, List<String> v) {
        if (profile != null && profile.getType() != null && !"RuntimeDefault".equals(profile.getType())
                && !"Localhost".equals(profile.getType())) {
            v.add(BASELINE + "AppArmor: " + what + " appArmorProfile is " + profile.getType());
        }
    }

    private static void checkSeLinux(String what, SELinuxOptions options, List<String> v) {
        if (options == null) {
            return;
        }
        if (options.getType() != null && !SELINUX_TYPES.contains(options.getType())) {
            v.add(BASELINE + "SELinux: " + what + " seLinuxOptions.type is " + options.getType());
        }
        if (options.getUser() != null && !options.getUser().isEmpty()) {
            v.add(BASELINE + "SELinux: " + what + " seLinuxOptions.user is set");
        }
        if (options.getRole() != null && !options.getRole().isEmpty()) {
            v.add(BASELINE + "SELinux: " + what + " seLinuxOptions.role is set");
        }
    }
}
