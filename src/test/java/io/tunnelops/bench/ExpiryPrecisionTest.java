package io.tunnelops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.tunnelops.api.v1alpha1.SessionPhase;

class ExpiryPrecisionTest {

    static final Instant AT = Instant.parse("2026-11-30T20:00:00Z");

    @Test
    void latenessIsFromExpiresAtAndAnEndBeforeItIsEarly() {
        long at = AT.toEpochMilli();
        var result = ExpiryPrecision.summarize(AT, Duration.ofSeconds(4), List.of(
                new ExpiryPrecision.Seen(at + 120, AT, AT, SessionPhase.Expired),
                new ExpiryPrecision.Seen(at + 900, AT, AT, SessionPhase.Expired),
                new ExpiryPrecision.Seen(at - 50, AT, AT, SessionPhase.Expired), // seen before its expiry
                new ExpiryPrecision.Seen(at + 10, AT, AT.minusSeconds(1), SessionPhase.Expired), // endedAt before it
                new ExpiryPrecision.Seen(at + 30, AT, AT, SessionPhase.Ended)));

        assertEquals(2, result.early());
        assertEquals(1, result.otherEnds());
        assertEquals(4, result.latenessMillis().count());
        assertEquals(900, result.latenessMillis().max());
        assertEquals(10, result.latenessMillis().p50());
    }
}
