package io.tunnelops.session;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as the CRD writes them: 1h, 30m, 90s, 1h30m. */
public final class SessionDurations {

    private static final Pattern DURATION = Pattern.compile("^(?:(\\d{1,3})h)?(?:(\\d{1,4})m)?(?:(\\d{1,5})s)?$");

    private SessionDurations() {
    }

    public static Duration parse(String field, String text) throws InvalidSessionException {
        Matcher m = text == null ? null : DURATION.matcher(text);
        if (m == null || text.isEmpty() || !m.matches()) {
            throw new InvalidSessionException("InvalidSpec", field + " \"" + text
                    + "\" is not a duration such as 30m, 1h or 1h30m");
        }
        return Duration.ofHours(group(m, 1)).plusMinutes(group(m, 2)).plusSeconds(group(m, 3));
    }

    /** A duration within bounds, as the CRD schema demands (the operator checks again: it may be bypassed). */
    public static Duration within(String field, String text, Duration min, Duration max) throws InvalidSessionException {
        Duration duration = parse(field, text);
        if (duration.compareTo(min) < 0 || duration.compareTo(max) > 0) {
            throw new InvalidSessionException("InvalidSpec", field + " \"" + text + "\" must be between "
                    + format(min) + " and " + format(max));
        }
        return duration;
    }

    /** As the CRD writes it: 5m, 1h30m, 90s (from PT5M, PT1H30M, PT1M30S). */
    public static String format(Duration duration) {
        return duration.toString().substring(2).toLowerCase();
    }

    private static long group(Matcher m, int group) {
        return m.group(group) == null ? 0 : Long.parseLong(m.group(group));
    }
}
