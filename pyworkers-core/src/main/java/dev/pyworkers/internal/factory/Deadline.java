package dev.pyworkers.internal.factory;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds a blocking operation in time by closing its channel when the time is up, which wakes the blocked thread
 * with an exception. Works for Unix and TCP channels alike (no SO_TIMEOUT needed). Thread-safe.
 */
final class Deadline implements AutoCloseable {
  private final AtomicBoolean fired = new AtomicBoolean();
  private final ScheduledFuture<?> task;
  final long millis;

  private Deadline(ScheduledExecutorService scheduler, long millis, Closeable target) {
    this.millis = millis;
    this.task = scheduler.schedule(
        () -> {
          fired.set(true);
          try {
            target.close();
          } catch (IOException e) {
            // already closed: the operation it bounds has ended anyway
          }
        },
        millis, TimeUnit.MILLISECONDS);
  }

  static Deadline after(ScheduledExecutorService scheduler, long millis, Closeable target) {
    return new Deadline(scheduler, millis, target);
  }

  /** True once the time ran out and the target was closed. */
  boolean fired() {
    return fired.get();
  }

  @Override
  public void close() {
    task.cancel(false);
  }
}
