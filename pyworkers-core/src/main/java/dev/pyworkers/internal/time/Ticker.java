package dev.pyworkers.internal.time;

/**
 * The time that the registry's deadlines read: nanoseconds from an arbitrary origin, only differences mean anything
 * (Caffeine's {@code Ticker}). One per {@code WorkerRegistry}: its idle eviction, each task's stall warnings and task
 * idle timeout compare readings of it. Production uses {@link #SYSTEM}; tests pass a ticker they advance by hand, so
 * that they narrate time instead of sleeping. Implementations are thread-safe.
 *
 * <p>The checks still run on the registry's scheduler, which waits in real time. {@link #maxRealWaitNanos} is how the
 * two meet: a check is scheduled for when it is due by this ticker, but never further away in real time than that
 * bound, and then reads the ticker again. The system ticker moves with real time, so its bound is none and a check
 * wakes exactly when it is due, as before the ticker existed.
 *
 * <p>Waits for a real peer's I/O (an exit report, the last stderr lines, a stack dump's lines) are not deadlines of
 * the registry: they bound how long a real process takes to answer, wait with {@code Object.wait} or a poll in real
 * time, and keep reading {@code System.nanoTime()}.
 */
@FunctionalInterface
public interface Ticker {
  /** {@code System.nanoTime()}. */
  Ticker SYSTEM = System::nanoTime;

  /** The current reading, in nanoseconds. */
  long read();

  /**
   * The longest a scheduled check waits in real time before it reads this ticker again: {@link Long#MAX_VALUE} (no
   * bound) for a ticker that moves with real time; a few milliseconds for one that a test advances.
   */
  default long maxRealWaitNanos() {
    return Long.MAX_VALUE;
  }

}
