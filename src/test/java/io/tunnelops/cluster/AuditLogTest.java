package io.tunnelops.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

    @TempDir
    Path dir;

    @Test
    void readsTheRotatedPartsOldestFirstThenTheLog() throws Exception {
        Files.writeString(dir.resolve("audit-2026-11-30T20-24-44.921.log"), event("2"));
        Files.writeString(dir.resolve("audit.log"), event("3"));
        Files.writeString(dir.resolve("audit-2026-11-30T20-17-35.236.log"), event("1"));
        Files.writeString(dir.resolve("kube-apiserver.log"), "not audit\n");

        List<String> names = new ArrayList<>();
        AuditLog.read(dir.resolve("audit.log"), null, r -> names.add(r.name()));

        assertEquals(List.of("s-1", "s-2", "s-3"), names);
    }

    private static String event(String n) {
        return """
                {"stage":"ResponseComplete","auditID":"%1$s","userAgent":"tunnel-operator-it/1","verb":"create",\
                "user":{"username":"u"},"objectRef":{"resource":"secrets","namespace":"team","name":"s-%1$s"},\
                "responseStatus":{"code":201},"requestURI":"/api/v1/namespaces/team/secrets",\
                "stageTimestamp":"2026-11-30T20:00:0%1$sZ"}
                """.formatted(n);
    }
}
