package io.tunnelops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The report's tables are well-formed Markdown: as many cells in every row as in the header. Made-up inputs. */
class ReportTest {

    @Test
    void everyRowOfTheTablesHasTheHeadersCells() {
        var result = new ProvisioningBenchmark.SizeResult(100, new MinimalWrites.Result(100, Duration.ofSeconds(4)),
                new ApiCost(Map.of("create secrets", 100L, "patch tunnelops.io/tunnelsessions/status", 100L)),
                Duration.ofSeconds(8), Percentiles.of(List.of(900L, 1200L)), Percentiles.of(List.of(1L, 2L)),
                Percentiles.of(List.of(700L)), 300, new ApiCost(Map.of("create secrets", 100L, "get nodes", 10L)),
                new OperatorFootprint(50L << 20, 288L << 20, 180L << 20, 200L << 20), new ReconcileTime(300, 12.5, 80),
                new ApiCost(Map.of()), 100, new ExpiryPrecision.Result(Instant.parse("2026-11-30T18:10:00Z"),
                        Duration.ofSeconds(3), Percentiles.of(List.of(150L, 420L)), 0, 0),
                Percentiles.of(List.of(40L)), Percentiles.of(List.of(900L)));
        String report = Report.render(new Machine("cpu", 2, 24L << 20, "Linux", "Java 17", "v1.34.12"),
                Instant.parse("2026-11-30T18:00:00Z"), 50,
                new KeyGenerationCost(1, Percentiles.of(List.of(100L)), 9000, 0, 0), List.of(result));

        List<String> tables = report.lines().filter(l -> l.startsWith("|")).toList();
        assertTrue(tables.size() >= 3 + 3 + 3 + 5, report);
        String mainHeader = tables.get(0);
        assertEquals(cells(mainHeader), cells(tables.get(1)), report);
        assertEquals(cells(mainHeader), cells(tables.get(2)), report);
        // then the split of create→Ready and the expiry table (header, separator, one row each), then the API requests
        assertEquals(List.of(4L, 4L, 4L), tables.subList(3, 6).stream().map(ReportTest::cells).toList(), report);
        assertTrue(report.contains("| 100 | 40 / 40 / 40 (max 40) | 900 / 900 / 900 (max 900) | 1 |"), report);
        assertEquals(List.of(5L, 5L, 5L), tables.subList(6, 9).stream().map(ReportTest::cells).toList(), report);
        assertTrue(report.contains("| 100 | 3.0 | 150 / 420 / 420 (max 420) | 0 | 0 |"), report);
        tables.stream().skip(9).forEach(row -> assertEquals(6, cells(row), row));
        assertTrue(report.contains("| 100 | 25.0 | 12.5 | 0.50 |"), report);
    }

    private static long cells(String row) {
        return row.chars().filter(c -> c == '|').count() - 1;
    }
}
