package dev.pyworkers.internal.process;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where a deadline's kill runs, so that the registry's one scheduler thread never blocks on it: a kill writes to a
 * daemon's stdin (under its stdin lock) or walks a process tree, and one slow kill would otherwise delay every
 * timeout, eviction and stall watch. At most {@value #THREADS} daemon threads ({@code pyworkers-killer-1}, ...),
 * started on demand and ended after 1 s without work; more kills wait in an unbounded queue. A kill handed over after
 * {@link #shutdown} runs on the calling thread, so no kill is ever dropped. Thread-safe.
 */
public final class KillerExecutor implements Executor {
  /** Bound on the killer threads: kills are short, and a stuck one should not hold back the next. */
  static final int THREADS = 2;

  private final ThreadPoolExecutor pool;

  public KillerExecutor() {
    AtomicInteger count = new AtomicInteger();
    pool = new ThreadPoolExecutor(THREADS, THREADS, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        r -> {
          Thread t = new Thread(r, "pyworkers-killer-" + count.incrementAndGet());
          t.setDaemon(true);
          return t;
        },
        (r, executor) -> r.run());
    pool.allowCoreThreadTimeOut(true);
  }

  @Override
  public void execute(Runnable kill) {
    pool.execute(kill);
  }

  /** Runs the kills already handed over (waiting up to {@code millis} for them); later ones run on their caller. */
  public void shutdown(long millis) {
    pool.shutdown();
    try {
      pool.awaitTermination(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
