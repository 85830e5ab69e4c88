package io.tunnelops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class ThroughputTest {

    @Test
    void megabytesAreMillionsOfBytesPerSecond() {
        assertEquals(250.0, new Throughput(500_000_000L, 2_000_000_000L).megabytesPerSecond(), 1e-9);
    }

    @Test
    void theMedianOfAnOddCountIsTheMiddleRateWhateverTheOrder() {
        List<Throughput> runs = List.of(second(300), second(100), second(200), second(900), second(50));
        assertEquals(200.0, Throughput.medianMegabytesPerSecond(runs), 1e-9);
    }

    @Test
    void theMedianOfAnEvenCountIsTheMeanOfTheTwoMiddleRates() {
        assertEquals(250.0, Throughput.medianMegabytesPerSecond(List.of(second(400), second(100), second(200),
                second(300))), 1e-9);
    }

    @Test
    void aRunNeedsTimeAndNoRunsHaveNoMedian() {
        assertThrows(IllegalArgumentException.class, () -> new Throughput(1, 0));
        assertThrows(IllegalArgumentException.class, () -> Throughput.medianMegabytesPerSecond(List.of()));
    }

    /** {@code megabytes} MB in one second. */
    private static Throughput second(int megabytes) {
        return new Throughput(megabytes * 1_000_000L, 1_000_000_000L);
    }
}
