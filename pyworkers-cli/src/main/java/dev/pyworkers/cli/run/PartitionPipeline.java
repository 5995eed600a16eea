package dev.pyworkers.cli.run;

import dev.pyworkers.PythonRunner;
import dev.pyworkers.TaskCancelledException;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskMetrics;
import dev.pyworkers.TaskResults;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.HashSet;
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
 * with the input. Their output is bounded too, whatever its size against the input ({@link PartitionOutput}): the
 * partition at the head of the order streams to OUT while it runs, the others keep what fits in an {@link
 * OutputBudget} in memory and spill the rest to files beside OUT. The first failure of any task stops the others at
 * once (their workers are killed).
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
  private final OutputBudget budget = OutputBudget.forHeap();
  private final Set<PartitionOutput> outputs = ConcurrentHashMap.newKeySet();
  private final Set<TaskResults<Object>> running = ConcurrentHashMap.newKeySet();
  private final AtomicReference<RunFailure> firstFailure = new AtomicReference<>();
  private final CompletableFuture<Void> failed = new CompletableFuture<>();
  private final Object statsLock = new Object();
  /** Guarded by {@code statsLock}. */
  private final Set<Long> pids = new HashSet<>();
  /** Guarded by {@code statsLock}. */
  private long maxAcquireNanos;
  /** Guarded by {@code statsLock}. */
  private long maxInitMillis;
  /** Guarded by {@code statsLock}. */
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
  public long run(PartitionSource splitter, long inputBytes, AtomicOutput out) throws RunFailure, IOException {
    return run(splitter, inputBytes, out, OutputSink.lines(out), Framing.RECORDS);
  }

  /**
   * Runs every partition of {@code splitter}, handing their output to {@code sink} in input order, then {@linkplain
   * OutputSink#finish finishes} it; returns the input records the output frames answered (their 4-byte counts).
   * {@code out} makes the spill files; {@code sink} writes to it.
   */
  public long run(PartitionSource splitter, long inputBytes, AtomicOutput out, OutputSink sink, Framing framing)
      throws RunFailure, IOException {
    ArrayDeque<Slot> inFlight = new ArrayDeque<>();
    FrameSizer sizer = new FrameSizer(splitter, framing.firstFrameBytes(), framing.outputFrameBytes());
    byte[] copyBuffer = new byte[1 << 20];
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
          PartitionOutput po = new PartitionOutput(p.index(), budget, out);
          outputs.add(po);
          boolean header = splitter.header() != null;
          inFlight.add(new Slot(p, po, CompletableFuture.runAsync(() -> runTask(p, header, po, sizer), pool)));
        }
      }
      Slot head = inFlight.poll();
      if (head == null) break;
      sink.begin(head.partition());
      written += writeInOrder(head.output(), sink, out, copyBuffer);
      await(head.done());
      outputs.remove(head.output());
    }
    sink.finish();
    progress.total(written); // blank lines were counted as records while reading
    return written;
  }

  /**
   * How input frames are sized: the cap on the first frame (before any output was seen) and the output frame size
   * aimed at after it ({@link FrameSizer}). Immutable.
   */
  public record Framing(long firstFrameBytes, long outputFrameBytes) {
    /** One FUNC call per record: small frames, about 1 MiB of output each. */
    public static final Framing RECORDS = new Framing(FrameSizer.FIRST_FRAME_BYTES, FrameSizer.OUTPUT_FRAME_TARGET);
    /** {@code --pandas}: one FUNC call per frame, so frames as large as the partition, up to 16 MiB of output. */
    public static final Framing DATAFRAMES = new Framing(256L << 10, 16L << 20);
  }

  /** Stops every running task now (their workers are killed); tasks not started yet will not start. */
  public void cancel() {
    cancelled = true;
    for (TaskResults<Object> r : running) r.close();
    for (PartitionOutput o : outputs) o.abort();
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

  /** A partition in flight: where its output goes, and its task. */
  private record Slot(Partition partition, PartitionOutput output, CompletableFuture<Void> done) {}

  /** Writes the head partition's output to OUT as it comes, spill files included; returns the records written. */
  private long writeInOrder(PartitionOutput po, OutputSink out, AtomicOutput files, byte[] buffer) throws RunFailure, IOException {
    po.promote();
    long written = 0;
    try {
      Object next;
      while ((next = po.take()) != null) {
        if (next instanceof PartitionOutput.Chunk c) {
          out.write(c.frame(), 4, c.bytes());
          written += c.records();
          if (c.reserved()) budget.release(c.bytes());
        } else {
          PartitionOutput.Spill spill = (PartitionOutput.Spill) next;
          try (InputStream in = Files.newInputStream(spill.path)) {
            for (int n; (n = in.read(buffer)) > 0; ) out.write(buffer, 0, n);
          }
          files.release(spill.path);
          written += spill.records;
        }
      }
      return written;
    } catch (TaskCancelledException e) {
      RunFailure f = firstFailure.get();
      cancel();
      throw f != null ? f : new RunFailure(ExitCode.INTERRUPTED, "the run was stopped", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cancel();
      throw new RunFailure(ExitCode.INTERRUPTED, "the run was stopped", e);
    }
  }

  private void await(CompletableFuture<Void> head) throws RunFailure {
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
    head.join();
  }

  /**
   * Runs one partition; {@code header}: its first frame is the CSV header, which gets no output frame of its own
   * (every other input frame gets one, whose size against its input frame's goes to {@code sizer}).
   */
  private void runTask(Partition p, boolean header, PartitionOutput output, FrameSizer sizer) {
    TaskResults<Object> results = null;
    try {
      if (cancelled) throw new TaskCancelledException("the run was stopped before partition " + p.index() + " started");
      int[] inputSizes = p.frames().stream().skip(header ? 1 : 0).mapToInt(f -> f.length - 8).toArray();
      long t0 = System.nanoTime();
      stalls.started(p);
      results = runner.compute(p.drain(), p.index(), TaskContext.of(p.index()));
      long acquired = System.nanoTime() - t0;
      running.add(results);
      if (cancelled) results.close();
      int answered = 0; // output frames so far: the n-th answers the n-th input frame (the CSV header aside)
      while (results.hasNext()) {
        Object next = results.next();
        if (!(next instanceof byte[] f) || f.length < 4) {
          throw new IllegalStateException("partition " + p.index() + ": pyworkers.jobs sent an output record that is"
              + " not a counted block of JSON lines: " + next);
        }
        if (answered < inputSizes.length) sizer.observe(inputSizes[answered++], f.length - 4L);
        output.add(f);
        progress.add(PartitionOutput.count(f));
      }
      output.finish();
      record(acquired, results.metrics());
    } catch (IOException e) {
      fail(new RunFailure(ExitCode.FAILURE, "I/O error while partition " + p.index() + " (from input "
          + p.start() + ") spilled its output beside OUT: " + e.getMessage() + "; check the free space of"
          + " OUT's folder", e));
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      fail(Failures.of(e, p)); // an Error too: the writing thread waits for this partition and must be woken
      throw e;
    } finally {
      stalls.ended(p);
      if (results != null) {
        running.remove(results);
        results.close();
      }
      output.closeQuietly();
    }
  }

  private void fail(RunFailure f) {
    firstFailure.compareAndSet(null, f);
    failed.complete(null);
    for (PartitionOutput o : outputs) o.abort();
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
