package dev.pyworkers.internal.runner;

import dev.pyworkers.EvalType;
import dev.pyworkers.TaskContext;
import dev.pyworkers.internal.factory.RealPythonWorker;
import dev.pyworkers.internal.protocol.TaskFrameWriter;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import net.razorvine.pickle.Pickler;

/**
 * The writer side of a task, on its own thread ({@code pyworkers-writer-pid<N>}): the header, then the input as
 * frames, then {@code -1, -4}. It stops feeding early when asked (the worker reported an exception, or the task
 * ended) and then still closes the data section cleanly. Memory is bounded by one batch and the socket buffer.
 * Thread-safe: the reader thread only calls the methods that touch volatile state and the batch-size queue.
 */
final class InputWriter {
  private static final int PROGRESS_BYTES = 64 << 10;
  private final RunnerSpec spec;
  private final TaskContext ctx;
  private final int partition;
  private final Iterator<?> input;
  private final RealPythonWorker worker;
  private final TaskHeader.Broadcasts broadcasts;
  private final List<String> includes;
  private final String pythonVersion;
  private final Consumer<Throwable> onFailure;
  private final Runnable onProgress;
  private final ConcurrentLinkedQueue<Integer> batchSizes = new ConcurrentLinkedQueue<>();
  private final FastPickle fast = new FastPickle();
  private final CountDownLatch finished = new CountDownLatch(1);
  private final Thread thread;
  private volatile boolean stop;
  private volatile boolean clean;
  private volatile Throwable failure;
  private volatile long recordsIn;
  /**
   * True while the input iterator is asked for the next element: the task then waits on the JVM side. Written with
   * release stores (no fence per record); the stall watch's reads may lag by a moment, which does not matter.
   */
  private final java.util.concurrent.atomic.AtomicBoolean pulling = new java.util.concurrent.atomic.AtomicBoolean();

  InputWriter(RunnerSpec spec, TaskContext ctx, int partition, Iterator<?> input, RealPythonWorker worker,
      TaskHeader.Broadcasts broadcasts, List<String> includes, String pythonVersion, Consumer<Throwable> onFailure,
      Runnable onProgress) {
    this.spec = spec;
    this.ctx = ctx;
    this.partition = partition;
    this.input = input;
    this.worker = worker;
    this.broadcasts = broadcasts;
    this.includes = includes;
    this.pythonVersion = pythonVersion;
    this.onFailure = onFailure;
    this.onProgress = onProgress;
    this.thread = new Thread(this::run, "pyworkers-writer-pid" + worker.pid());
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void run() {
    try {
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(worker.output(), spec.bufferSize()));
      TaskHeader.write(out, partition, pythonVersion, ctx, spec, includes, broadcasts);
      out.flush();
      TaskFrameWriter frames = new TaskFrameWriter(out);
      if (spec.evalType() == EvalType.NON_UDF) writeRecords(frames);
      else writeBatches(frames);
      frames.endOfDataAndStream();
      frames.flush();
      clean = true;
    } catch (Throwable t) {
      failure = t;
      onFailure.accept(t);
    } finally {
      finished.countDown();
    }
  }

  private void writeRecords(TaskFrameWriter out) throws IOException {
    long n = 0;
    long unmarked = 0; // bytes written since the last progress mark
    while (!stop && hasNextInput()) {
      Object r = nextInput();
      if (r == null) {
        out.nullRecord();
      } else {
        byte[] b = r instanceof byte[] bytes ? bytes
            : r instanceof String s ? s.getBytes(StandardCharsets.UTF_8)
            : null;
        if (b == null) {
          throw new IllegalArgumentException("record " + n + " of partition " + partition + " is a "
              + r.getClass().getName() + "; NON_UDF input records must be byte[], String or null");
        }
        out.data(b);
        unmarked += b.length;
      }
      recordsIn = ++n;
      // every 1024 records, or sooner for large ones, so a worker that reads big records without answering yet
      // is not taken for stalled
      if ((n & 1023) == 0 || unmarked >= PROGRESS_BYTES) {
        onProgress.run();
        unmarked = 0;
      }
    }
  }

  private void writeBatches(TaskFrameWriter out) throws IOException {
    Pickler pickler = new ValuePickler();
    List<Object> batch = new ArrayList<>(spec.batchSize());
    int bare = spec.bareColumn();
    long n = 0;
    while (!stop && hasNextInput()) {
      Object r = nextInput();
      if (!(r instanceof Object[] row)) {
        throw new IllegalArgumentException("row " + n + " of partition " + partition + " is "
            + (r == null ? "null" : "a " + r.getClass().getName()) + "; SQL_BATCHED_UDF rows must be Object[]");
      }
      if (bare < 0) {
        batch.add(JavaValues.row(row, n));
      } else if (bare < row.length) {
        batch.add(JavaValues.value(row[bare], n, bare));
      } else {
        throw new IllegalArgumentException("row " + n + " of partition " + partition + " has " + row.length
            + " column(s) but a UDF reads column " + bare);
      }
      n++;
      if (batch.size() == spec.batchSize()) {
        flushBatch(out, pickler, batch);
        recordsIn = n;
      }
    }
    if (!batch.isEmpty()) flushBatch(out, pickler, batch);
    recordsIn = n;
  }

  private void flushBatch(TaskFrameWriter out, Pickler pickler, List<Object> batch) throws IOException {
    batchSizes.add(batch.size());
    if (fast.encodeList(batch)) {
      out.data(fast.buffer(), 0, fast.length());
    } else {
      byte[] pickled;
      try {
        pickled = pickler.dumps(batch);
      } catch (net.razorvine.pickle.PickleException e) {
        throw new IllegalArgumentException("a batch of partition " + partition + " cannot be pickled: "
            + e.getMessage(), e);
      }
      out.data(pickled);
    }
    batch.clear();
    onProgress.run();
  }

  private boolean hasNextInput() {
    pulling.setRelease(true);
    try {
      return input.hasNext();
    } finally {
      pulling.setRelease(false);
    }
  }

  private Object nextInput() {
    pulling.setRelease(true);
    try {
      return input.next();
    } finally {
      pulling.setRelease(false);
    }
  }

  /** Whether the writer is waiting for the input iterator (not for the worker). */
  boolean isPulling() {
    return pulling.getAcquire();
  }

  /** The row count of the oldest batch whose results have not been read yet. */
  int takeBatchSize() {
    Integer n = batchSizes.poll();
    return n == null ? -1 : n;
  }

  void stopFeeding() {
    stop = true;
  }

  long recordsIn() {
    return recordsIn;
  }

  Throwable failure() {
    return failure;
  }

  /** Waits for the writer to end; true if it wrote the whole data section and its end markers. */
  boolean awaitClean(long millis) {
    join(millis);
    return clean;
  }

  void join(long millis) {
    try {
      finished.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
