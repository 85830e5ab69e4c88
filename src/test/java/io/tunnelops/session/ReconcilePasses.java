package io.tunnelops.session;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jboss.logmanager.ExtLogRecord;

/**
 * The reconciler's passes, read from the line each one begins with ("reconciling TunnelSession ns/name (pass n)", at
 * debug level, switched on while this records). A check that something did NOT happen first waits with it for a whole
 * pass over its session under the clock it set, instead of sleeping for a while and hoping one ran.
 * <p>
 * A pass's number is the reconciler's counter, counted before the pass reads the clock: a pass numbered above a count
 * read after the clock moved saw the moved clock. JOSDK runs one pass of a resource at a time, so the session's next
 * pass beginning shows that the one before has ended, with whatever it wrote or deleted.
 */
final class ReconcilePasses extends Handler implements AutoCloseable {

    private static final Pattern BEGINS = Pattern.compile("^reconciling TunnelSession (\\S+) \\(pass (\\d+)\\)$");
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private final Logger logger = Logger.getLogger(TunnelSessionReconciler.class.getName());
    private final Level levelBefore = logger.getLevel();
    private final LongSupplier counter;
    /** Every pass begun while recording: "namespace/name" and number. */
    private final List<Pass> passes = new CopyOnWriteArrayList<>();

    private record Pass(String session, long number) {
    }

    private ReconcilePasses(LongSupplier counter) {
        this.counter = counter;
    }

    /** Records the passes of the reconciler whose counter this is, until {@link #close()}. */
    static ReconcilePasses record(LongSupplier counter) {
        ReconcilePasses recorder = new ReconcilePasses(counter);
        recorder.logger.addHandler(recorder);
        recorder.logger.setLevel(Level.FINE);
        return recorder;
    }

    /**
     * Makes {@code event} happen (an event the session's informers see) until a pass over the session that began after
     * this call has run to its end, and returns that pass's number. Move the clock before calling this.
     */
    long awaitWholePass(String namespace, String name, Runnable event) {
        String session = namespace + "/" + name;
        long counted = counter.getAsLong();
        event.run();
        long pass = await("a pass over " + session + " after pass " + counted).atMost(PATIENCE)
                .until(() -> firstAfter(session, counted), p -> p > 0);
        event.run(); // the next pass over the same session begins only when this one has ended
        await("pass " + pass + " over " + session + " to end, shown by the session's next pass beginning (there is none "
                + "if pass " + pass + " deleted the session)")
                .atMost(PATIENCE).until(() -> firstAfter(session, pass) > 0);
        return pass;
    }

    /** The number of the session's first pass numbered above {@code after}; 0 if none began yet. */
    private long firstAfter(String session, long after) {
        return passes.stream().filter(p -> p.session().equals(session) && p.number() > after)
                .mapToLong(Pass::number).min().orElse(0);
    }

    @Override
    public void publish(LogRecord record) {
        String message = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
        Matcher begins = message == null ? null : BEGINS.matcher(message);
        if (begins != null && begins.matches()) {
            passes.add(new Pass(begins.group(1), Long.parseLong(begins.group(2))));
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(levelBefore);
    }
}
