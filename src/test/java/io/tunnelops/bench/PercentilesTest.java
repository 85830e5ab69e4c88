package io.tunnelops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;

class PercentilesTest {

    @Test
    void nearestRankOfOneToHundred() {
        assertEquals(new Percentiles(50, 95, 99, 100, 100),
                Percentiles.of(LongStream.rangeClosed(1, 100).map(i -> 101 - i).boxed().toList()));
    }

    @Test
    void aSingleValueIsEveryPercentile() {
        assertEquals(new Percentiles(7, 7, 7, 7, 1), Percentiles.of(List.of(7L)));
    }

    @Test
    void anEmptySampleSaysSo() {
        assertEquals("n/a", Percentiles.of(List.of()).toString());
    }
}
