package io.tunnelops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The verdict on the tunnel's target follows the AES-GCM path's median; the tables are well-formed. Made-up inputs. */
class DataPathReportTest {

    @Test
    void aTunnelAtASixthOfLoopbackMeetsTheTarget() {
        String report = report(runs(1000, 1200, 900), runs(120, 100, 110), runs(170, 160, 180));
        assertTrue(report.contains("| direct | none | 1000 | 1000, 1200, 900 | 1.00 |"), report);
        assertTrue(report.contains("| published | chacha | 110 | 120, 100, 110 | 0.11 |"), report);
        assertTrue(report.contains("**met** (0.170, aes)"), report);
    }

    @Test
    void aTunnelJustBelowTheShareMissesItAndSaysByHowMuch() {
        String report = report(runs(1000), runs(100), runs(147));
        assertTrue(report.contains("**missed** (0.147, aes)"), report);
    }

    @Test
    void everyRowOfEachTableHasItsHeadersCells() {
        String report = report(runs(1000), runs(100), runs(200));
        long header = -1;
        int tables = 0;
        for (String line : report.lines().toList()) {
            if (!line.startsWith("|")) {
                header = -1;
                continue;
            }
            long cells = line.chars().filter(c -> c == '|').count();
            if (header < 0) {
                header = cells;
                tables++;
            }
            assertEquals(header, cells, line);
        }
        assertEquals(4, tables, report);
    }

    private static String report(List<Throughput> direct, List<Throughput> published, List<Throughput> aes) {
        return DataPathReport.render(Instant.parse("2026-11-30T20:00:00Z"), new DataPathReport.Results("machine",
                "OpenSSH", "0.1", "0.2", 256L << 20, new DataPathReport.PathRuns("direct", "none", direct),
                new DataPathReport.PathRuns("published", "chacha", published),
                new DataPathReport.PathRuns("aes-first", "aes", aes), "target:1", Percentiles.of(List.of(150L, 160L)),
                List.of(new KeyGenerationCost(1, Percentiles.of(List.of(400L)), 2400, 0, 0)), "NativePRNG",
                List.of(new SecretRenderingCost("first pass", Percentiles.of(List.of(900L))))));
    }

    private static List<Throughput> runs(int... megabytesPerSecond) {
        return java.util.Arrays.stream(megabytesPerSecond).mapToObj(m -> new Throughput(m * 1_000_000L, 1_000_000_000L))
                .toList();
    }
}
