package io.tunnelops.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The API server's audit log (JSON lines, level Metadata, written by {@code bin/cluster}), read line by line so that a
 * log of a large benchmark run is never held in memory at once.
 */
public final class AuditLog {

    private AuditLog() {
    }

    /** One ResponseComplete event of the audit log. */
    public record Request(String user, String impersonated, String userAgent, String verb, String group, String resource,
            String subresource, String namespace, String name, int code, String uri, String time) {

        /** group/resource[/subresource], the core group without a prefix; null for a non-resource URL. */
        public String key() {
            if (resource == null) {
                return null;
            }
            return (group.isEmpty() ? "" : group + "/") + resource + (subresource.isEmpty() ? "" : "/" + subresource);
        }

        @Override
        public String toString() {
            return time + " " + user + (impersonated == null ? "" : " as " + impersonated) + " [" + userAgent + "] " + verb
                    + " " + uri + " -> " + code;
        }
    }

    /**
     * Hands every ResponseComplete event to {@code complete}, in the log's order.
     *
     * @param openOf a User-Agent prefix and the User-Agent of the instance running now: requests started by an
     *        earlier instance (another agent with that prefix) and not completed yet are counted as open; null: none
     * @return whether such requests are open (watches are recorded complete only when they end)
     */
    public static boolean read(Path log, OpenRequests openOf, Consumer<Request> complete) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Set<String> open = new HashSet<>();
        for (Path file : withRotated(log)) {
            read(file, json, openOf, open, complete);
        }
        if (!open.isEmpty()) {
            System.out.println("audit: " + open.size() + " requests of other instances not complete yet");
        }
        return !open.isEmpty();
    }

    /**
     * The log's rotated parts, oldest first, then the log: the API server starts a new file every 100 MB
     * ({@code --audit-log-maxsize}), renaming the full one to {@code audit-<time>.log}.
     */
    static List<Path> withRotated(Path log) throws IOException {
        String name = log.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String prefix = (dot < 0 ? name : name.substring(0, dot)) + "-";
        String suffix = dot < 0 ? "" : name.substring(dot);
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(log.getParent())) {
            try (Stream<Path> siblings = Files.list(log.getParent())) {
                siblings.filter(f -> f.getFileName().toString().startsWith(prefix)
                        && f.getFileName().toString().endsWith(suffix)).sorted().forEach(files::add);
            }
        }
        files.add(log);
        return files;
    }

    private static void read(Path log, ObjectMapper json, OpenRequests openOf, Set<String> open,
            Consumer<Request> complete) throws IOException {
        try (BufferedReader lines = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode event = json.readTree(line);
                String stage = event.path("stage").asText();
                String id = event.path("auditID").asText();
                String agent = event.path("userAgent").asText();
                if ("ResponseStarted".equals(stage) && openOf != null && agent.startsWith(openOf.agentPrefix())
                        && !agent.equals(openOf.current())) {
                    open.add(id);
                }
                if (!"ResponseComplete".equals(stage)) {
                    continue;
                }
                open.remove(id);
                JsonNode ref = event.path("objectRef");
                JsonNode impersonated = event.path("impersonatedUser");
                complete.accept(new Request(event.path("user").path("username").asText(),
                        impersonated.isMissingNode() ? null : impersonated.path("username").asText(), agent,
                        event.path("verb").asText(), ref.path("apiGroup").asText(""),
                        ref.isMissingNode() ? null : ref.path("resource").asText(), ref.path("subresource").asText(""),
                        ref.path("namespace").asText(""), ref.path("name").asText(""),
                        event.path("responseStatus").path("code").asInt(), event.path("requestURI").asText(),
                        event.path("stageTimestamp").asText()));
            }
        }
    }

    /** Which requests count as open: those of earlier instances (agents with this prefix other than {@code current}). */
    public record OpenRequests(String agentPrefix, String current) {
    }
}
