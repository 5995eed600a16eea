package dev.pyworkers.testing;

import dev.pyworkers.internal.time.Ticker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that moves only when a test says so ({@link #advance}), for a registry made with the package-private
 * {@code WorkerRegistry.create(config, ticker)}: the test narrates an idle timeout, a stall or a task idle timeout
 * instead of sleeping through it. Its checks still run on the registry's scheduler, which re-reads this ticker every
 * {@value #RECHECK_MS} ms of real time, so an advance is seen within about that. Thread-safe.
 */
public final class FakeTicker implements Ticker {
  public static final long RECHECK_MS = 10;

  /** Starts far from zero, so that a reading mistaken for an absolute time or a zero default shows. */
  private final AtomicLong nanos = new AtomicLong(TimeUnit.DAYS.toNanos(1000));

  @Override
  public long read() {
    return nanos.get();
  }

  @Override
  public long maxRealWaitNanos() {
    return TimeUnit.MILLISECONDS.toNanos(RECHECK_MS);
  }

  /** Moves the time forward by {@code d}, at once; returns this. */
  public FakeTicker advance(Duration d) {
    if (d.isNegative()) throw new IllegalArgumentException("a ticker only moves forward; advance(" + d + ") asked"
        + " to move it back: pass a duration >= 0");
    nanos.addAndGet(d.toNanos());
    return this;
  }
}
