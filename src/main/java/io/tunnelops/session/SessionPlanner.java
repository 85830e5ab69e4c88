package io.tunnelops.session;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.tunnelops.api.v1alpha1.Access;
import io.tunnelops.api.v1alpha1.Expose;
import io.tunnelops.api.v1alpha1.PolicyTarget;
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.Target;
import io.tunnelops.api.v1alpha1.TunnelPolicySpec;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.net.Cidrs;
import io.tunnelops.net.HostSyntax;
import io.tunnelops.net.InvalidHostException;
import io.tunnelops.session.SessionPlan.PortRule;
import io.tunnelops.session.SessionPlan.TargetEgress;
import io.tunnelops.ssh.AuthorizedKey;
import io.tunnelops.ssh.InvalidSshKeyException;

/**
 * Checks what the CRD schema cannot (the target Service exists and exposes the ports, keys really parse, the host is
 * not a local or metadata address) and resolves a session into a {@link SessionPlan}. A Shell session's app is read
 * by the caller ({@link ShellSource}), its egress decided by its policy ({@link #shellEgress}).
 */
public final class SessionPlanner {

    static final String INVALID_SPEC = "InvalidSpec";
    static final String TARGET_NOT_FOUND = "TargetServiceNotFound";
    static final String TARGET_PORT_NOT_EXPOSED = "TargetPortNotExposed";
    static final String UNSUPPORTED_TARGET = "UnsupportedTarget";
    static final String TARGET_NOT_ALLOWED = "TargetNotAllowed";
    static final String INVALID_KEY = "InvalidAuthorizedKey";

    private static final Pattern SERVICE_NAME = Pattern.compile("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$");
    /** Egress to a named host cannot be pinned to an address: allow the ports anywhere but local and link-local. */
    private static final List<String> NEVER_REACHABLE = List.of("127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8");

    private SessionPlanner() {
    }

    /**
     * @param targetService the Service named by spec.target.service, if it exists
     */
    public static SessionPlan plan(TunnelSession session, Optional<Service> targetService, String sshdImage)
            throws InvalidSessionException {
        return plan(session, targetService, sshdImage, null, ForbiddenTargets.DNS);
    }

    /**
     * @param shell Shell mode: what the shell takes from its app (or the toolbox); ignored in Tunnel mode
     */
    public static SessionPlan plan(TunnelSession session, Optional<Service> targetService, String sshdImage,
            ShellSource shell) throws InvalidSessionException {
        return plan(session, targetService, sshdImage, shell, ForbiddenTargets.DNS);
    }

    static SessionPlan plan(TunnelSession session, Optional<Service> targetService, String sshdImage,
            ForbiddenTargets.Resolver resolver) throws InvalidSessionException {
        return plan(session, targetService, sshdImage, null, resolver);
    }

    static SessionPlan plan(TunnelSession session, Optional<Service> targetService, String sshdImage, ShellSource shell,
            ForbiddenTargets.Resolver resolver) throws InvalidSessionException {
        var spec = session.getSpec();
        if (spec == null) {
            throw new InvalidSessionException(INVALID_SPEC, "spec is missing");
        }
        Access access = spec.getAccess() == null ? new Access() : spec.getAccess();
        if (access.getAuthorizedKeys() != null && access.getAuthorizedKeys().size() > 16
                || access.getSourceRanges() != null && access.getSourceRanges().size() > 16) {
            throw new InvalidSessionException(INVALID_SPEC, "spec.access takes at most 16 authorizedKeys and 16 sourceRanges");
        }
        List<AuthorizedKey> keys = parseKeys(access.getAuthorizedKeys());
        Expose expose = access.getExpose() == null ? Expose.ClusterIP : access.getExpose();
        List<String> sourceRanges = access.getSourceRanges() == null ? List.of() : List.copyOf(access.getSourceRanges());
        for (int i = 0; i < sourceRanges.size(); i++) {
            checkCidr("spec.access.sourceRanges[" + i + "]", sourceRanges.get(i));
        }
        long idleSeconds = spec.getIdleTimeout() == null ? 0 : SessionDurations.within("spec.idleTimeout",
                spec.getIdleTimeout(), java.time.Duration.ofSeconds(5), java.time.Duration.ofHours(24)).toSeconds();
        boolean endOnDisconnect = Boolean.TRUE.equals(spec.getEndOnDisconnect());

        if (spec.getMode() == SessionMode.Shell) {
            if (spec.getTarget() != null) {
                throw new InvalidSessionException(INVALID_SPEC, "a Shell session has no spec.target; use spec.shell");
            }
            if (shell == null) {
                throw new IllegalArgumentException("a Shell session is planned with its ShellSource");
            }
            // egress comes from the policy that allows the shell (see shellEgress)
            return new SessionPlan(SessionMode.Shell, List.of(), shell.source(), keys, expose, sourceRanges, List.of(),
                    sshdImage, idleSeconds, endOnDisconnect, shell);
        }
        if (spec.getShell() != null) {
            throw new InvalidSessionException(INVALID_SPEC, "spec.shell is only for mode Shell");
        }
        Target target = spec.getTarget();
        if (target == null || target.getPorts() == null || target.getPorts().isEmpty()) {
            throw new InvalidSessionException(INVALID_SPEC, "spec.target with at least one port is required in Tunnel mode");
        }
        List<Integer> ports = target.getPorts();
        if (ports.size() > 8 || ports.stream().distinct().count() != ports.size()) {
            throw new InvalidSessionException(INVALID_SPEC, "spec.target.ports must list 1 to 8 distinct ports");
        }
        for (Integer port : ports) {
            if (port == null || port < 1 || port > 65535) {
                throw new InvalidSessionException(INVALID_SPEC, "spec.target.ports: " + port + " is not a port (1..65535)");
            }
        }
        if ((target.getService() == null) == (target.getHost() == null)) {
            throw new InvalidSessionException(INVALID_SPEC, "set exactly one of spec.target.service or spec.target.host");
        }
        if (target.getService() != null && !SERVICE_NAME.matcher(target.getService()).matches()) {
            throw new InvalidSessionException(INVALID_SPEC, "spec.target.service must be a Service name "
                    + "(lower-case letters, digits and '-', at most 63)");
        }

        String host;
        TargetEgress egress;
        if (target.getService() != null) {
            Service service = targetService.orElseThrow(() -> new InvalidSessionException(TARGET_NOT_FOUND,
                    "Service \"" + target.getService() + "\" does not exist in namespace "
                            + session.getMetadata().getNamespace() + "; create it or fix spec.target.service"));
            egress = egressToService(service, ports);
            host = target.getService() + "." + session.getMetadata().getNamespace() + ".svc.cluster.local";
        } else {
            HostSyntax.Host checked = checkHost(target.getHost(), resolver);
            host = checked.text();
            egress = egressToHost(checked, ports);
        }
        List<String> permitOpen = ports.stream().map(p -> host + ":" + p).toList();
        String display = (target.getService() != null ? "service/" + target.getService() : target.getHost()) + ":"
                + ports.stream().map(String::valueOf).collect(Collectors.joining(","));
        return new SessionPlan(SessionMode.Tunnel, permitOpen, display, keys, expose, sourceRanges, List.of(egress),
                sshdImage, idleSeconds, endOnDisconnect, null);
    }

    /**
     * Where a shell may connect: the destinations its allowing policy lists in spec.targets, on their ports (a Tunnel
     * session of the namespace could reach the same). Services by name or label become their pods; an address or
     * range becomes itself; a host name cannot be pinned, so its ports are allowed anywhere but local addresses.
     *
     * @param services the Services of the session's namespace
     */
    public static List<TargetEgress> shellEgress(TunnelPolicySpec policy, Collection<Service> services) {
        List<TargetEgress> egress = new ArrayList<>();
        for (PolicyTarget rule : policy.getTargets() == null ? List.<PolicyTarget>of() : policy.getTargets()) {
            List<Integer> ports = rule.getPorts() == null ? List.of() : rule.getPorts();
            for (Service service : services) {
                if (allowsService(rule, service)) {
                    shellEgressToService(service, ports).ifPresent(egress::add);
                }
            }
            for (String host : rule.getHosts() == null ? List.<String>of() : rule.getHosts()) {
                try {
                    egress.add(egressToHost(HostSyntax.parse(host.startsWith("*.") ? host.substring(2) : host), ports));
                } catch (InvalidHostException e) {
                    // such a policy is refused as a whole (PolicyProblems) and allows no session
                }
            }
            for (String cidr : rule.getCidrs() == null ? List.<String>of() : rule.getCidrs()) {
                egress.add(TargetEgress.toAddresses(cidr, List.of(), tcp(ports)));
            }
        }
        return egress.stream().distinct().toList();
    }

    private static boolean allowsService(PolicyTarget rule, Service service) {
        if (rule.getServices() != null && rule.getServices().contains(service.getMetadata().getName())) {
            return true;
        }
        Map<String, String> wanted = rule.getServiceLabels();
        Map<String, String> labels = service.getMetadata().getLabels();
        return wanted != null && !wanted.isEmpty() && labels != null && labels.entrySet().containsAll(wanted.entrySet());
    }

    /** The ports of the rule that the Service exposes, at its pods' ports; nothing for a Service without pods. */
    private static Optional<TargetEgress> shellEgressToService(Service service, List<Integer> ports) {
        var spec = service.getSpec();
        if (spec == null || spec.getSelector() == null || spec.getSelector().isEmpty() || spec.getPorts() == null) {
            return Optional.empty();
        }
        List<Integer> exposed = ports.stream().filter(p -> spec.getPorts().stream().anyMatch(sp -> p.equals(sp.getPort())
                && (sp.getProtocol() == null || "TCP".equals(sp.getProtocol())))).toList();
        if (exposed.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(egressToService(service, exposed));
        } catch (InvalidSessionException e) {
            return Optional.empty();
        }
    }

    private static TargetEgress egressToHost(HostSyntax.Host host, List<Integer> ports) {
        return host.isAddress() ? TargetEgress.toAddresses(host.text() + "/32", List.of(), tcp(ports))
                : TargetEgress.toAddresses("0.0.0.0/0", NEVER_REACHABLE, tcp(ports));
    }

    private static List<PortRule> tcp(List<Integer> ports) {
        return ports.stream().map(p -> new PortRule(new IntOrString(p), "TCP")).toList();
    }

    private static List<AuthorizedKey> parseKeys(List<String> lines) throws InvalidSessionException {
        List<AuthorizedKey> keys = new ArrayList<>();
        if (lines == null) {
            return keys;
        }
        for (int i = 0; i < lines.size(); i++) {
            try {
                keys.add(AuthorizedKey.parse(lines.get(i)));
            } catch (InvalidSshKeyException e) {
                throw new InvalidSessionException(INVALID_KEY,
                        "spec.access.authorizedKeys[" + i + "]: " + e.getMessage());
            }
        }
        return keys;
    }

    /** The sshd reaches a Service's pods directly (NetworkPolicy sees pod ports), so the ports must be exposed. */
    private static TargetEgress egressToService(Service service, List<Integer> ports) throws InvalidSessionException {
        String name = service.getMetadata().getName();
        var spec = service.getSpec();
        if (spec == null || "ExternalName".equals(spec.getType())) {
            throw new InvalidSessionException(UNSUPPORTED_TARGET, "Service \"" + name
                    + "\" is of type ExternalName; use spec.target.host with the external name instead");
        }
        if (spec.getSelector() == null || spec.getSelector().isEmpty()) {
            throw new InvalidSessionException(UNSUPPORTED_TARGET, "Service \"" + name
                    + "\" has no pod selector, so its pods cannot be allowed by a NetworkPolicy; target a Service with a selector");
        }
        Map<Integer, ServicePort> exposed = new LinkedHashMap<>();
        for (ServicePort port : spec.getPorts() == null ? List.<ServicePort>of() : spec.getPorts()) {
            if (port.getPort() != null && (port.getProtocol() == null || "TCP".equals(port.getProtocol()))) {
                exposed.putIfAbsent(port.getPort(), port);
            }
        }
        List<PortRule> rules = new ArrayList<>();
        for (Integer port : ports) {
            ServicePort servicePort = exposed.get(port);
            if (servicePort == null) {
                throw new InvalidSessionException(TARGET_PORT_NOT_EXPOSED, "Service \"" + name + "\" does not expose TCP port "
                        + port + "; it exposes " + (exposed.isEmpty() ? "no TCP port" : exposed.keySet())
                        + ". Fix spec.target.ports");
            }
            IntOrString targetPort = servicePort.getTargetPort() == null ? new IntOrString(port) : servicePort.getTargetPort();
            rules.add(new PortRule(targetPort, "TCP"));
        }
        return TargetEgress.toPods(Map.copyOf(spec.getSelector()), rules);
    }

    private static void checkCidr(String field, String cidr) throws InvalidSessionException {
        String problem = Cidrs.problem(cidr);
        if (problem != null) {
            throw new InvalidSessionException(INVALID_SPEC, field + " \"" + cidr + "\" " + problem);
        }
    }

    private static HostSyntax.Host checkHost(String text, ForbiddenTargets.Resolver resolver)
            throws InvalidSessionException {
        HostSyntax.Host host;
        try {
            host = HostSyntax.parse(text);
        } catch (InvalidHostException e) {
            throw new InvalidSessionException(INVALID_SPEC, "spec.target.host " + text + " " + e.getMessage());
        }
        String forbidden = ForbiddenTargets.reason(host, resolver);
        if (forbidden != null) {
            throw new InvalidSessionException(TARGET_NOT_ALLOWED, "spec.target.host " + text + " " + forbidden
                    + "; tunnels there are never allowed");
        }
        return host;
    }
}
