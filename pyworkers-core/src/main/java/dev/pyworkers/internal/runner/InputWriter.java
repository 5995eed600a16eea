package dev.pyworkers.internal.runner;

import dev.pyworkers.TaskContext;
import dev.pyworkers.WaitingIterator;
import dev.pyworkers.WorkerProtocolException;
import dev.pyworkers.internal.factory.RealPythonWorker;
import dev.pyworkers.internal.protocol.TaskFrameWriter;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskInput;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The writer side of a task, on its own thread ({@code pyworkers-writer-pid<N>}): the header, then the input as
 * frames (written by the eval type's {@link TaskExchange}, through this class as its {@link TaskInput}), then
 * {@code -1, -4}. It stops feeding early when asked (the worker reported an exception, or the task ended) and then
 * still closes the data section cleanly. Memory is bounded by one batch and the socket buffer. Thread-safe: the
 * reader thread only calls the methods that touch volatile state; the {@link TaskInput} methods are the writer
 * thread's.
 */
final class InputWriter implements TaskInput {
  private final RunnerSpec spec;
  private final TaskContext ctx;
  private final Iterator<?> input;
  /** {@link #input} when it can tell that it would wait, else null. */
  private final WaitingIterator<?> waiting;
  private final RealPythonWorker worker;
  private final TaskHeader.Broadcasts broadcasts;
  private final List<String> includes;
  private final String pythonVersion;
  private final TaskExchange exchange;
  private final TaskInfo task;
  private final Consumer<Throwable> onFailure;
  private final Runnable onProgress;
  private final CountDownLatch finished = new CountDownLatch(1);
  private final Thread thread;
  /** The data section's frames; set on the writer thread before the codec writes its input. */
  private TaskFrameWriter frames;
  private volatile boolean stop;
  private volatile boolean clean;
  private volatile Throwable failure;
  private volatile long recordsIn;
  /**
   * True while the input iterator is asked for the next element: the task then waits on the JVM side. Written with
   * release stores (no fence per record); the stall watch's reads may lag by a moment, which does not matter.
   */
  private final java.util.concurrent.atomic.AtomicBoolean pulling = new java.util.concurrent.atomic.AtomicBoolean();

  InputWriter(RunnerSpec spec, TaskContext ctx, Iterator<?> input, RealPythonWorker worker,
      TaskHeader.Broadcasts broadcasts, List<String> includes, String pythonVersion, TaskExchange exchange,
      TaskInfo task, Consumer<Throwable> onFailure, Runnable onProgress) {
    this.spec = spec;
    this.ctx = ctx;
    this.input = input;
    this.waiting = input instanceof WaitingIterator<?> w ? w : null;
    this.worker = worker;
    this.broadcasts = broadcasts;
    this.includes = includes;
    this.pythonVersion = pythonVersion;
    this.exchange = exchange;
    this.task = task;
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
      TaskHeader.write(out, task.partition(), pythonVersion, ctx, spec, includes, broadcasts);
      out.flush();
      frames = new TaskFrameWriter(out);
      exchange.writeInput(this);
      frames.endOfDataAndStream();
      frames.flush();
      clean = true;
    } catch (Throwable t) {
      // a flush before a wait failed inside hasNext(): the same failure as a write's
      Throwable cause = t instanceof FlushFailed f ? f.getCause() : t;
      failure = cause;
      onFailure.accept(cause);
    } finally {
      finished.countDown();
    }
  }

  @Override
  public boolean hasNext() {
    if (stop) return false;
    if (waiting != null && waiting.wouldWait()) {
      try {
        frames.flush(); // what exists now goes to the worker before the wait (WaitingIterator)
      } catch (IOException e) {
        throw new FlushFailed(e);
      }
    }
    pulling.setRelease(true);
    try {
      return input.hasNext();
    } finally {
      pulling.setRelease(false);
    }
  }

  @Override
  public Object next() {
    pulling.setRelease(true);
    try {
      return input.next();
    } finally {
      pulling.setRelease(false);
    }
  }

  @Override
  public boolean stopRequested() {
    return stop;
  }

  @Override
  public void writeFrame(byte[] data, int offset, int length) throws IOException {
    frames.data(data, offset, length);
  }

  @Override
  public void flush() throws IOException {
    frames.flush();
  }

  @Override
  public void writeNull() throws IOException {
    frames.nullRecord();
  }

  @Override
  public void recordsIn(long count) {
    recordsIn = count;
  }

  @Override
  public void progress() {
    onProgress.run();
  }

  // The task's identity is the reader's: one TaskInfo for both sides of the exchange.
  @Override
  public int partition() {
    return task.partition();
  }

  @Override
  public long workerPid() {
    return task.workerPid();
  }

  @Override
  public WorkerProtocolException protocolError(String message) {
    return task.protocolError(message);
  }

  /** Whether the writer is waiting for the input iterator (not for the worker). */
  boolean isPulling() {
    return pulling.getAcquire();
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

  /** Carries a flush's IOException out of {@link #hasNext()}, which cannot throw it; unwrapped in {@link #run()}. */
  private static final class FlushFailed extends RuntimeException {
    FlushFailed(IOException cause) {
      super(cause);
    }
  }
}
