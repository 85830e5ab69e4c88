package io.tunnelops.session;

import java.util.ArrayList;
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
import io.tunnelops.api.v1alpha1.SessionMode;
import io.tunnelops.api.v1alpha1.Target;
import io.tunnelops.api.v1alpha1.TunnelSession;
import io.tunnelops.session.SessionPlan.PortRule;
import io.tunnelops.session.SessionPlan.TargetEgress;
import io.tunnelops.ssh.AuthorizedKey;
import io.tunnelops.ssh.InvalidSshKeyException;

/**
 * Checks what the CRD schema cannot (the target Service exists and exposes the ports, keys really parse, the host is
 * not a local or metadata address) and resolves a session into a {@link SessionPlan}.
 */
public final class SessionPlanner {

    static final String INVALID_SPEC = "InvalidSpec";
    static final String TARGET_NOT_FOUND = "TargetServiceNotFound";
    static final String TARGET_PORT_NOT_EXPOSED = "TargetPortNotExposed";
    static final String UNSUPPORTED_TARGET = "UnsupportedTarget";
    static final String TARGET_NOT_ALLOWED = "TargetNotAllowed";
    static final String INVALID_KEY = "InvalidAuthorizedKey";
    static final String UNSUPPORTED_MODE = "UnsupportedMode";

    private static final Pattern HOST = Pattern.compile(
            "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$");
    private static final Pattern SERVICE_NAME = Pattern.compile("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$");
    private static final Pattern IPV4 = Pattern.compile("^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$");
    /** Egress to a named host cannot be pinned to an address: allow the ports anywhere but local and link-local. */
    private static final List<String> NEVER_REACHABLE = List.of("127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8");

    private SessionPlanner() {
    }

    /**
     * @param targetService the Service named by spec.target.service, if it exists
     */
    public static SessionPlan plan(TunnelSession session, Optional<Service> targetService, String sshdImage)
            throws InvalidSessionException {
        return plan(session, targetService, sshdImage, ForbiddenTargets.DNS);
    }

    static SessionPlan plan(TunnelSession session, Optional<Service> targetService, String sshdImage,
            ForbiddenTargets.Resolver resolver) throws InvalidSessionException {
        var spec = session.getSpec();
        if (spec == null) {
            throw new InvalidSessionException(INVALID_SPEC, "spec is missing");
        }
        if (spec.getMode() == SessionMode.Shell) {
            throw new InvalidSessionException(UNSUPPORTED_MODE,
                    "mode Shell is not supported yet by this operator version; use mode Tunnel with spec.target");
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

        String host;
        TargetEgress egress;
        if (target.getService() != null) {
            Service service = targetService.orElseThrow(() -> new InvalidSessionException(TARGET_NOT_FOUND,
                    "Service \"" + target.getService() + "\" does not exist in namespace "
                            + session.getMetadata().getNamespace() + "; create it or fix spec.target.service"));
            egress = egressToService(service, ports);
            host = target.getService() + "." + session.getMetadata().getNamespace() + ".svc.cluster.local";
        } else {
            host = checkHost(target.getHost(), resolver);
            List<PortRule> rules = ports.stream().map(p -> new PortRule(new IntOrString(p), "TCP")).toList();
            egress = IPV4.matcher(host).matches() ? TargetEgress.toAddresses(host + "/32", List.of(), rules)
                    : TargetEgress.toAddresses("0.0.0.0/0", NEVER_REACHABLE, rules);
        }
        List<String> permitOpen = ports.stream().map(p -> host + ":" + p).toList();
        String display = (target.getService() != null ? "service/" + target.getService() : target.getHost()) + ":"
                + ports.stream().map(String::valueOf).collect(Collectors.joining(","));
        long idleSeconds = spec.getIdleTimeout() == null ? 0 : SessionDurations.within("spec.idleTimeout",
                spec.getIdleTimeout(), java.time.Duration.ofSeconds(5), java.time.Duration.ofHours(24)).toSeconds();
        return new SessionPlan(permitOpen, display, keys, expose, sourceRanges, egress, sshdImage, idleSeconds,
                Boolean.TRUE.equals(spec.getEndOnDisconnect()));
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

    /** The schema checks the shape; only parsing proves an IPv6 range real (1::2::3/64 has the shape). */
    private static void checkCidr(String field, String cidr) throws InvalidSessionException {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        boolean valid = false;
        if (slash > 0 && cidr.substring(slash + 1).matches("\\d{1,3}")) {
            String address = cidr.substring(0, slash);
            int bits = Integer.parseInt(cidr.substring(slash + 1));
            if (address.contains(":")) {
                try {
                    // a string with ':' is parsed as an IPv6 literal, never looked up in DNS
                    valid = address.matches("[0-9A-Fa-f:.]+") && java.net.InetAddress.getByName(address).getAddress().length == 16
                            && bits <= 128;
                } catch (java.net.UnknownHostException | IllegalArgumentException e) {
                    valid = false;
                }
            } else {
                valid = validIpv4(address) && bits <= 32;
            }
        }
        if (!valid) {
            throw new InvalidSessionException(INVALID_SPEC, field + " \"" + cidr
                    + "\" is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32");
        }
    }

    private static boolean validIpv4(String address) {
        var m = IPV4.matcher(address);
        if (!m.matches()) {
            return false;
        }
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(m.group(i)) > 255) {
                return false;
            }
        }
        return true;
    }

    private static String checkHost(String host, ForbiddenTargets.Resolver resolver) throws InvalidSessionException {
        if (host.length() > 253 || !HOST.matcher(host).matches()) {
            throw new InvalidSessionException(INVALID_SPEC, "spec.target.host must be a DNS name or an IPv4 address, "
                    + "without spaces, commas, wildcards or other punctuation");
        }
        boolean ipv4 = IPV4.matcher(host).matches();
        if (ipv4 && !validIpv4(host)) {
            throw new InvalidSessionException(INVALID_SPEC, "spec.target.host \"" + host + "\" is not a valid IPv4 address");
        }
        String forbidden = ForbiddenTargets.reason(host, ipv4, resolver);
        if (forbidden != null) {
            throw new InvalidSessionException(TARGET_NOT_ALLOWED, "spec.target.host " + host + " " + forbidden
                    + "; tunnels there are never allowed");
        }
        return host.toLowerCase(java.util.Locale.ROOT);
    }
}
