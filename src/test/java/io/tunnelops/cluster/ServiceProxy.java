package io.tunnelops.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.tunnelops.local.PodNetwork;
import io.tunnelops.net.Ipv4Range;

/**
 * Service addresses for the real test cluster until kube-proxy arrives: a user-space proxy, as kube-proxy's oldest
 * mode was. Each ClusterIP (from the API server's Service range, routed to the pod bridge) is put on this machine's
 * side of the bridge, and each TCP port of it, and of a NodePort on the node's address, forwards every connection to a
 * ready endpoint from the Service's EndpointSlices (written by the real EndpointSlice controller).
 */
public final class ServiceProxy implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ServiceProxy.class);

    private final KubernetesClient client;
    private final PodNetwork network;
    private final String serviceCidr;
    private final Ipv4Range serviceRange;
    private final Map<String, Listener> listeners = new HashMap<>();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "service-proxy");
        thread.setDaemon(true);
        return thread;
    });
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private SharedIndexInformer<EndpointSlice> slices;
    private SharedIndexInformer<Service> services;

    /** One address and port, and the Service port it forwards to. */
    private record Listener(ServerSocket socket, String namespace, String service, String portName, int port) {
    }

    public ServiceProxy(KubernetesClient client, PodNetwork network, String serviceCidr) {
        this.client = client;
        this.network = network;
        this.serviceCidr = serviceCidr;
        this.serviceRange = Ipv4Range.parse(serviceCidr).orElseThrow(() -> new IllegalArgumentException(serviceCidr));
    }

    public ServiceProxy start() {
        network.routeToBridge(serviceCidr);
        ResourceEventHandler<Object> resync = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Object obj) {
                worker.execute(ServiceProxy.this::sync);
            }

            @Override
            public void onUpdate(Object oldObj, Object newObj) {
                worker.execute(ServiceProxy.this::sync);
            }

            @Override
            public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
                worker.execute(ServiceProxy.this::sync);
            }
        };
        slices = client.discovery().v1().endpointSlices().inAnyNamespace().inform();
        informers.add(slices);
        @SuppressWarnings({ "unchecked", "rawtypes" })
        ResourceEventHandler<Service> onService = (ResourceEventHandler) resync;
        services = client.services().inAnyNamespace().inform(onService);
        informers.add(services);
        return this;
    }

    /** Opens a listener for every Service port that has none, and closes those of Services that are gone. */
    private synchronized void sync() {
        try {
            Map<String, Listener> wanted = new HashMap<>();
            for (Service service : services.getStore().list()) {
                var spec = service.getSpec();
                String ip = spec.getClusterIP();
                if (ip == null || ip.isBlank() || "None".equals(ip) || !serviceRange.contains(ip)) {
                    continue;
                }
                for (ServicePort port : spec.getPorts()) {
                    if (port.getProtocol() != null && !"TCP".equals(port.getProtocol())) {
                        continue;
                    }
                    addressed(wanted, service, port, ip, port.getPort());
                    if (port.getNodePort() != null && ("NodePort".equals(spec.getType()) || "LoadBalancer".equals(spec.getType()))) {
                        addressed(wanted, service, port, network.gateway(), port.getNodePort());
                    }
                }
            }
            for (var it = listeners.entrySet().iterator(); it.hasNext();) {
                var entry = it.next();
                if (!wanted.containsKey(entry.getKey())) {
                    close(entry.getValue());
                    it.remove();
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("service proxy: " + e.getMessage(), e);
        }
    }

    private void addressed(Map<String, Listener> wanted, Service service, ServicePort port, String address, int number) {
        String key = address + ":" + number;
        Listener listener = listeners.get(key);
        String namespace = service.getMetadata().getNamespace();
        String name = service.getMetadata().getName();
        if (listener == null || !listener.namespace().equals(namespace) || !listener.service().equals(name)
                || !Objects.equals(listener.portName(), port.getName())) {
            if (listener != null) {
                close(listener);
            }
            listener = listen(address, number, namespace, name, port.getName(), port.getPort());
            if (listener == null) {
                return;
            }
            listeners.put(key, listener);
        }
        wanted.put(key, listener);
    }

    private Listener listen(String address, int number, String namespace, String service, String portName, int port) {
        if (!address.equals(network.gateway())) {
            network.addHostAddress(address);
        }
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(address), number), 50);
            Listener listener = new Listener(socket, namespace, service, portName, port);
            Thread acceptor = new Thread(() -> accept(listener), "proxy-" + address + ":" + number);
            acceptor.setDaemon(true);
            acceptor.start();
            LOG.debugf("service proxy: %s:%d -> %s/%s", address, number, namespace, service);
            return listener;
        } catch (IOException e) {
            LOG.warnf("service proxy: cannot listen on %s:%d for %s/%s: %s", address, number, namespace, service, e.getMessage());
            return null;
        }
    }

    private void accept(Listener listener) {
        while (!listener.socket().isClosed()) {
            Socket client;
            try {
                client = listener.socket().accept();
            } catch (IOException e) {
                return;
            }
            Thread connection = new Thread(() -> forward(listener, client), "proxy-connection");
            connection.setDaemon(true);
            connection.start();
        }
    }

    private void forward(Listener listener, Socket client) {
        Optional<InetSocketAddress> endpoint = endpoint(listener);
        if (endpoint.isEmpty()) {
            closeQuietly(client); // no ready endpoint: refused, as kube-proxy's REJECT rule does
            return;
        }
        try (client; Socket upstream = new Socket()) {
            upstream.connect(endpoint.get(), 2000);
            Thread up = pump(client, upstream);
            pump(upstream, client).join();
            up.join();
        } catch (IOException | InterruptedException e) {
            LOG.debugf("service proxy connection ended: %s", e.getMessage());
        }
    }

    /** Copies until end of stream, then half-closes, so either side's FIN reaches the other. */
    private static Thread pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                in.transferTo(out);
                to.shutdownOutput();
            } catch (IOException e) {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "proxy-pump");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** A ready endpoint of the Service port, by the port's name as EndpointSlices carry it. */
    private Optional<InetSocketAddress> endpoint(Listener listener) {
        for (EndpointSlice slice : slices.getStore().list()) {
            if (!listener.namespace().equals(slice.getMetadata().getNamespace()) || !listener.service().equals(
                    slice.getMetadata().getLabels() == null ? null
                            : slice.getMetadata().getLabels().get("kubernetes.io/service-name"))) {
                continue;
            }
            Integer targetPort = slice.getPorts() == null ? null : slice.getPorts().stream()
                    .filter(p -> Objects.equals(p.getName() == null ? "" : p.getName(),
                            listener.portName() == null ? "" : listener.portName()))
                    .map(EndpointPort::getPort).filter(Objects::nonNull).findFirst().orElse(null);
            if (targetPort == null || slice.getEndpoints() == null) {
                continue;
            }
            for (Endpoint endpoint : slice.getEndpoints()) {
                boolean ready = endpoint.getConditions() == null || !Boolean.FALSE.equals(endpoint.getConditions().getReady());
                if (ready && endpoint.getAddresses() != null && !endpoint.getAddresses().isEmpty()) {
                    return Optional.of(new InetSocketAddress(endpoint.getAddresses().get(0), targetPort));
                }
            }
        }
        return Optional.empty();
    }

    private static void close(Listener listener) {
        closeQuietly(listener.socket());
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public synchronized void close() {
        informers.forEach(SharedIndexInformer::stop);
        worker.shutdownNow();
        listeners.values().forEach(ServiceProxy::close);
        listeners.clear();
    }
}
