package dev.pyworkers.cli.run;

import dev.pyworkers.PythonRunner;
import dev.pyworkers.TaskCancelledException;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskMetrics;
import dev.pyworkers.TaskResults;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs partitions as runner tasks on up to {@code workers} task threads ({@code pyworkers-run-task-N}) and writes
 * their output in input order. The calling thread reads partitions and writes output; at most {@code workers + 2}
 * partitions are held at once (running, queued, or finished and waiting for their turn), so memory does not grow
 * with the input. The first failure of any task stops the others at once (their workers are killed).
 *
 * <p>Thread-safety: {@link #run} is called by one thread; {@link #cancel} may be called from any thread (the
 * interrupt hook); task threads only touch the concurrent fields and {@code statsLock}.
 */
public final class PartitionPipeline implements AutoCloseable {
  private static final int LOOKAHEAD = 2;

  private final PythonRunner runner;
  private final int workers;
  private final Progress progress;
  private final StallReporter stalls;
  private final ExecutorService pool;
  private final Set<TaskResults<Object>> running = ConcurrentHashMap.newKeySet();
  private final AtomicReference<RunFailure> firstFailure = new AtomicReference<>();
  private final CompletableFuture<Void> failed = new CompletableFuture<>();
  private final Object statsLock = new Object();
  /** @GuardedBy("statsLock") */
  private final Set<Long> pids = new HashSet<>();
  /** @GuardedBy("statsLock") */
  private long maxAcquireNanos;
  /** @GuardedBy("statsLock") */
  private long maxInitMillis;
  /** @GuardedBy("statsLock") */
  private int partitions;
  /** Once true, always true. */
  private volatile boolean cancelled;

  public PartitionPipeline(PythonRunner runner, int workers, Progress progress, StallReporter stalls) {
    this.runner = runner;
    this.workers = workers;
    this.progress = progress;
    this.stalls = stalls;
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(workers, r -> {
      Thread t = new Thread(r, "pyworkers-run-task-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Runs every partition of {@code splitter}, writing results to {@code out}; returns the records written. {@code
   * inputBytes} (0 if unknown) scales the progress bar's estimated total.
   */
  public long run(InputSplitter splitter, long inputBytes, AtomicOutput out) throws RunFailure, IOException {
    ArrayDeque<CompletableFuture<List<byte[]>>> inFlight = new ArrayDeque<>();
    long read = 0;
    long written = 0;
    boolean more = true;
    while (true) {
      while (more && inFlight.size() < workers + LOOKAHEAD && !failed.isDone()) {
        Partition p = splitter.next();
        if (p == null) {
          more = false;
          progress.total(read);
        } else {
          read += p.records();
          if (inputBytes > 0) {
            progress.total((long) ((double) read * inputBytes / Math.max(splitter.consumedBytes(), 1)));
          }
          inFlight.add(CompletableFuture.supplyAsync(() -> runTask(p), pool));
        }
      }
      CompletableFuture<List<byte[]>> head = inFlight.poll();
      if (head == null) break;
      List<byte[]> frames = await(head);
      for (byte[] f : frames) {
        out.write(f, 4, f.length - 4);
        written += count(f);
      }
    }
    progress.total(written); // blank lines were counted as records while reading
    return written;
  }

  /** Stops every running task now (their workers are killed); tasks not started yet will not start. */
  public void cancel() {
    cancelled = true;
    for (TaskResults<Object> r : running) r.close();
  }

  public int workersUsed() {
    synchronized (statsLock) {
      return pids.size();
    }
  }

  public int partitions() {
    synchronized (statsLock) {
      return partitions;
    }
  }

  /** The longest a task waited for its worker. */
  public double maxAcquireMillis() {
    synchronized (statsLock) {
      return maxAcquireNanos / 1e6;
    }
  }

  /** The longest a task's worker took to load the functions (FUNC's import on a fresh worker). */
  public double maxInitMillis() {
    synchronized (statsLock) {
      return maxInitMillis;
    }
  }

  private List<byte[]> await(CompletableFuture<List<byte[]>> head) throws RunFailure {
    try {
      CompletableFuture.anyOf(head, failed).join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      // the task's own failure is in firstFailure; checked below
    }
    RunFailure f = firstFailure.get();
    if (f != null) {
      cancel();
      throw f;
    }
    return head.join();
  }

  private List<byte[]> runTask(Partition p) {
    TaskResults<Object> results = null;
    try {
      if (cancelled) throw new TaskCancelledException("the run was stopped before partition " + p.index() + " started");
      List<byte[]> frames = new ArrayList<>(p.frames().size());
      long t0 = System.nanoTime();
      stalls.started(p);
      results = runner.compute(p.drain(), p.index(), TaskContext.of(p.index()));
      long acquired = System.nanoTime() - t0;
      running.add(results);
      if (cancelled) results.close();
      while (results.hasNext()) {
        Object next = results.next();
        if (!(next instanceof byte[] f) || f.length < 4) {
          throw new IllegalStateException("partition " + p.index() + ": pyworkers.jobs sent an output record that is"
              + " not a counted block of JSON lines: " + next);
        }
        frames.add(f);
        progress.add(count(f));
      }
      record(acquired, results.metrics());
      return frames;
    } catch (RuntimeException e) {
      firstFailure.compareAndSet(null, Failures.of(e, p));
      failed.complete(null);
      throw e;
    } finally {
      stalls.ended(p);
      if (results != null) {
        running.remove(results);
        results.close();
      }
    }
  }

  private void record(long acquiredNanos, TaskMetrics m) {
    synchronized (statsLock) {
      partitions++;
      maxAcquireNanos = Math.max(maxAcquireNanos, acquiredNanos);
      if (m != null) {
        pids.add(m.workerPid());
        maxInitMillis = Math.max(maxInitMillis, m.initTimeMillis());
      }
    }
  }

  private static int count(byte[] frame) {
    return ((frame[0] & 0xff) << 24) | ((frame[1] & 0xff) << 16) | ((frame[2] & 0xff) << 8) | (frame[3] & 0xff);
  }

  /** Stops what still runs and ends the task threads (waiting up to 2 s). */
  @Override
  public void close() {
    if (firstFailure.get() != null || !running.isEmpty()) cancel();
    cancelled = true;
    pool.shutdownNow();
    try {
      pool.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
