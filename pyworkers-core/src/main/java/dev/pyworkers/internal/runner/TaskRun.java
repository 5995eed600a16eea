package dev.pyworkers.internal.runner;

import dev.pyworkers.PythonAccumulator;
import dev.pyworkers.PythonException;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.TaskCancelledException;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskIdleTimeoutException;
import dev.pyworkers.TaskMetrics;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerProtocolException;
import dev.pyworkers.events.TaskFailed;
import dev.pyworkers.events.TaskFinished;
import dev.pyworkers.events.WorkerEnded;
import dev.pyworkers.internal.events.EventSink;
import dev.pyworkers.internal.factory.RealPythonWorker;
import dev.pyworkers.internal.factory.RealWorkerFactory;
import dev.pyworkers.internal.pickle.FastPickle;
import dev.pyworkers.internal.protocol.OutputFrame;
import dev.pyworkers.internal.protocol.SpecialLength;
import dev.pyworkers.internal.protocol.TaskFrameReader;
import dev.pyworkers.internal.time.Ticker;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskOutput;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One task on one worker: a writer thread sends the header and the input while the caller's thread reads and decodes
 * the output, so large records can flow both ways at once and memory stays bounded by the buffers. The end-of-task
 * exchange decides, with one compare-and-set, whether the worker goes back to the pool or is killed. It knows no eval
 * type: the runner's {@link dev.pyworkers.spi.EvalTypeCodec} gives each task a {@link TaskExchange} that writes the
 * input frames (on the writer thread) and reads the data frames and its own markers into results (here).
 *
 * <p>A {@link StallWatch} reports a worker that makes no progress (takes no input, sends no output) while the task
 * waits on it, and kills it after the task idle timeout.
 *
 * <p>Thread-safety: iteration is confined to one reading thread; {@link #close()}, interruption, the kill-timeout
 * and the stall-watch tasks may run on other threads and only touch atomics and the worker's socket; the kills that
 * deadlines decide on the scheduler thread run on the registry's killer threads.
 *
 * <p>This class is over 250 lines because it holds the whole read side of the task protocol and its failure
 * handling in one place; the writer, header, value conversion and crash report live in their own classes.
 */
public final class TaskRun implements TaskResults<Object> {

  private final RunnerSpec spec;
  private final TaskContext ctx;
  private final int partition;
  private final RealWorkerFactory factory;
  private final RealPythonWorker worker;
  private final ScheduledExecutorService scheduler;
  /** Runs the kills decided by deadlines on the scheduler thread, which must never block on a kill. */
  private final Executor killer;
  private final TaskFrameReader in;
  private final InputWriter writer;
  private final ArrayDeque<Object> pending = new ArrayDeque<>();
  /** Whether the exchange was told the task ended; reader's thread (or close()'s). Once true, always true. */
  private boolean exchangeClosed;
  private final AtomicBoolean releasedOrDestroyed = new AtomicBoolean();
  private final boolean reused;
  private final TaskExchange exchange;
  private final Output output = new Output();
  /** Why the worker was killed from another thread, if it was; read by the reader to name the failure. */
  private volatile String cancelReason;
  /** What the stall watch saw just before it killed the worker for the idle timeout; null if it did not. */
  private volatile StallWatch.Capture idleTimedOut;
  /** Set by {@link #destroy} when it killed the worker; once true, always true. */
  private volatile boolean killed;
  /** True while the reading thread waits for the worker's next output; release stores, read by the stall watch. */
  private final AtomicBoolean readerWaiting = new AtomicBoolean();
  private final StallWatch stall;
  private final Reporting reporting;
  /** The worker's socket counts when this task began; the task's bytes are the difference. */
  private final long bytesWrittenBefore;
  private final long bytesReadBefore;
  /** Once true, the task's end was reported; set by the reading thread only. */
  private boolean reported;
  private boolean done;
  private long rowsOut;
  private long[] timing;
  private TaskMetrics metrics;

  public TaskRun(RunnerSpec spec, TaskContext ctx, int partition, java.util.Iterator<?> input,
      RealWorkerFactory factory, RealPythonWorker worker, TaskHeader.Broadcasts broadcasts, List<String> includes,
      String pythonVersion, ScheduledExecutorService scheduler, Executor killer, Ticker ticker,
      StallSettings stallSettings, Reporting reporting) {
    this.spec = spec;
    this.ctx = ctx;
    this.partition = partition;
    this.factory = factory;
    this.worker = worker;
    this.scheduler = scheduler;
    this.killer = killer;
    this.reused = worker.tasksServed() > 1;
    this.reporting = reporting;
    this.bytesWrittenBefore = worker.bytesWritten();
    this.bytesReadBefore = worker.bytesRead();
    this.in = new TaskFrameReader(new BufferedInputStream(worker.input(), spec.bufferSize()),
        "output of task partition " + partition + " from Python worker pid " + worker.pid());
    this.stall = new StallWatch(worker, partition, stallSettings, spec.taskIdleTimeout(), scheduler,
        ticker, this::waitsOnJvmSide, this::onIdleTimeout);
    this.exchange = spec.codec().newExchange(output);
    this.writer = new InputWriter(spec, ctx, input, worker, broadcasts, includes, pythonVersion,
        exchange, output, this::onWriterFailure, stall::progress);
    ctx.addInterruptListener(this::onInterrupt);
    stall.start();
    writer.start();
  }

  @Override
  public boolean hasNext() {
    while (pending.isEmpty() && !done) {
      if (ctx.isInterrupted()) throw fail(cancelled("it was interrupted (" + ctx.interruptReason() + ")"));
      readerWaiting.setRelease(true);
      try {
        readFrame();
      } finally {
        readerWaiting.setRelease(false);
      }
    }
    return !pending.isEmpty();
  }

  @Override
  public Object next() {
    if (!hasNext()) throw new NoSuchElementException("task for partition " + partition + " has no more results");
    Object v = pending.poll();
    return v == NullMarker.NULL ? null : v;
  }

  @Override
  public TaskMetrics metrics() {
    return metrics;
  }

  private void readFrame() {
    try {
      int head = in.readHead();
      stall.progress();
      if (head < 0 && SpecialLength.of(head) == null) {
        // a marker the eval type owns (issue 10's "start of an Arrow stream", say): its payload is the codec's
        if (!exchange.onMarker(head, output)) {
          throw protocol("output frame marker " + head + " is unknown: expected a data frame length >= 0, -1 (end),"
              + " -2 (exception), -3 (timing), -5 (null) or a marker of eval type " + spec.codec().evalType());
        }
        return;
      }
      OutputFrame f = in.readBody(head);
      if (f instanceof OutputFrame.Data d) {
        exchange.onFrame(d.payload(), output);
      } else if (f == OutputFrame.Null.INSTANCE) {
        exchange.onNull(output);
      } else if (f instanceof OutputFrame.Timing t) {
        timing = t.toArray();
      } else if (f instanceof OutputFrame.End end) {
        finish(null, end);
      } else if (f instanceof OutputFrame.PythonError p) {
        PythonException e = new PythonException(p.type(), p.message(), p.traceback(),
            "Python worker pid " + worker.pid() + ", partition " + partition);
        writer.stopFeeding();
        throw fail(afterException(e));
      }
    } catch (IOException e) {
      throw fail(readFailure(e));
    } catch (RuntimeException e) {
      throw fail(e);
    }
  }

  /** After -1: accumulator updates, then the end-of-stream exchange; release only if it is exact. */
  private void finish(PythonException failure, OutputFrame.End end) throws IOException {
    List<PythonAccumulator> accs = spec.codec().functions().stream().map(PythonFunction::accumulator)
        .filter(a -> a != null).distinct().toList();
    for (byte[] b : end.accumulatorUpdates()) {
      if (failure == null) {
        Object v = FastPickle.loads(b);
        for (PythonAccumulator a : accs) a.add(v);
      }
    }
    writer.stopFeeding();
    int last = in.readEndAnswer();
    boolean clean = last == SpecialLength.END_OF_STREAM.code() && writer.awaitClean(spec.killTimeout().toMillis());
    // After a clean end every input must have had its answer; after an exception the rest are moot.
    String unanswered = failure == null && clean ? exchange.unanswered() : null;
    done = true;
    if (clean && unanswered == null) release();
    else destroy(failure != null ? "it raised " + failure.pythonType() + " and then did not end the task exactly"
        : "it did not end the task exactly (" + (clean ? unanswered : "answer " + last + " instead of -4") + ")");
    if (failure == null) {
      if (!clean) throw protocol("task ended with " + last + " instead of the end-of-stream answer -4");
      if (unanswered != null) throw protocol(unanswered);
      long[] t = timing == null ? new long[4] : timing;
      metrics = new TaskMetrics(t[0], t[1], t[2], t[3], writer.recordsIn(), rowsOut, worker.pid(), reused,
          bytesToPython(), bytesFromPython());
      ctx.markCompleted();
      closeExchange();
      if (reporting.events().on() && !reported) {
        reported = true;
        reporting.events().taskFinished(new TaskFinished(reporting.taskId(), partition, metrics, reporting.elapsed()));
      }
    }
  }

  /** The worker reported an exception: let it finish the exchange (bounded by the kill timeout) to keep it. */
  private PythonException afterException(PythonException e) {
    ScheduledFuture<?> bound = scheduler.schedule(
        () -> destroyLater("it raised " + e.pythonType() + " and did not end the task within the kill timeout of "
            + spec.killTimeout().toMillis() + " ms"),
        spec.killTimeout().toMillis(), TimeUnit.MILLISECONDS);
    try {
      int head;
      while ((head = in.readHead()) == SpecialLength.TIMING_DATA.code()) in.readBody(head);
      if (head == SpecialLength.END_OF_DATA_SECTION.code()) finish(e, (OutputFrame.End) in.readBody(head));
      else destroy("it raised " + e.pythonType() + " and then sent " + head + " instead of the end of its data");
    } catch (IOException | RuntimeException ignored) {
      destroy("it raised " + e.pythonType() + " and then did not end the task: " + ignored);
    } finally {
      bound.cancel(false);
    }
    return e;
  }

  private RuntimeException readFailure(IOException e) {
    if (cancelReason != null) return cancelled(cancelReason);
    StallWatch.Capture timedOut = idleTimedOut;
    if (timedOut != null) return idleTimeout(timedOut);
    Throwable w = writer.failure();
    if (w instanceof PythonWorkerException upstream) {
      // the input is itself another task's results (one Python UDF over another's output): its error says it all
      destroy("its input failed: " + upstream);
      return upstream;
    }
    if (w != null && !(w instanceof IOException)) {
      return new PythonWorkerException("input for partition " + partition + " could not be sent to Python worker"
          + " pid " + worker.pid() + ": " + w.getMessage(), w);
    }
    destroy("its output failed: " + e);
    return CrashReport.of(worker, partition, spec.faulthandlerDir(), e);
  }

  private TaskIdleTimeoutException idleTimeout(StallWatch.Capture c) {
    String traceback = c.traceback().isEmpty() ? stall.lastTraceback() : c.traceback();
    StringBuilder sb = new StringBuilder("Python worker pid ").append(worker.pid())
        .append(" took no input and sent no output for ").append(spec.taskIdleTimeout().toMillis())
        .append(" ms (task idle timeout) while running partition ").append(partition)
        .append(" and was killed; its process state was ").append(c.state().description()).append("; ");
    if (!c.traceback().isEmpty()) {
      sb.append("main thread traceback just before the kill (most recent call first):\n").append(traceback);
    } else if (!traceback.isEmpty()) {
      sb.append(c.unavailable()).append("; main thread traceback of an earlier stall report (most recent call first):\n")
          .append(traceback);
    } else {
      sb.append(c.unavailable());
    }
    sb.append("\nrecent output:\n").append(worker.outputTail());
    return new TaskIdleTimeoutException(sb.toString(), spec.taskIdleTimeout(), worker.pid(), partition, traceback);
  }

  /** The caller is not reading results, or the input iterator is producing the next element: not the worker's stall. */
  private boolean waitsOnJvmSide() {
    return !readerWaiting.getAcquire() || writer.isPulling();
  }

  private void onIdleTimeout(StallWatch.Capture c) {
    idleTimedOut = c;
    destroyLater("it took no input and sent no output for the task idle timeout of "
        + spec.taskIdleTimeout().toMillis() + " ms");
  }

  private TaskCancelledException cancelled(String why) {
    return new TaskCancelledException("task for partition " + partition + " was cancelled: " + why
        + "; its Python worker pid " + worker.pid() + " was killed");
  }

  private WorkerProtocolException protocol(String message) {
    return new WorkerProtocolException(message + " (Python worker pid " + worker.pid() + ", partition " + partition + ")");
  }

  private RuntimeException fail(RuntimeException e) {
    if (!done) {
      done = true;
      destroy("its task failed: " + firstLine(e));
    }
    discard();
    dropFaulthandlerFile();
    ctx.markCompleted();
    reportFailure(e);
    return e;
  }

  private void reportFailure(RuntimeException e) {
    if (reported || !reporting.events().on()) return;
    reported = true;
    reporting.events().taskFailed(new TaskFailed(reporting.taskId(), partition, worker.pid(), writer.recordsIn(),
        rowsOut, bytesToPython(), bytesFromPython(), reporting.elapsed(), e));
  }

  private long bytesToPython() {
    return worker.bytesWritten() - bytesWrittenBefore;
  }

  private long bytesFromPython() {
    return worker.bytesRead() - bytesReadBefore;
  }

  /** "PythonException: ValueError: bad row" without its traceback, for the kill's reason. */
  private static String firstLine(RuntimeException e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return e.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
  }

  /**
   * After the task ended badly: drops the results not yet read (closing those that are {@link AutoCloseable}, such
   * as Arrow batches, which the caller never got), waits (bounded) for the writer to stop, and closes the exchange.
   */
  private void discard() {
    for (Object r : pending) {
      if (r instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          // a result the caller never saw: nothing to report it to
        }
      }
    }
    pending.clear();
    stall.stop();
    writer.join(spec.killTimeout().toMillis());
    closeExchange();
  }

  /** Tells the exchange, once, that its task has ended (TaskExchange#close). */
  private void closeExchange() {
    if (exchangeClosed) return;
    exchangeClosed = true;
    exchange.close();
  }

  private void onInterrupt(String reason) {
    writer.stopFeeding();
    Runnable kill = () -> {
      if (!ctx.isCompleted()) {
        cancelReason = "it was interrupted (" + reason + ") and did not finish within the kill timeout of "
            + spec.killTimeout().toMillis() + " ms";
        destroyLater("its task " + cancelReason);
      }
    };
    try {
      // never cancelled: when due, kill does nothing if the task completed meanwhile
      var unused = scheduler.schedule(kill, spec.killTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      kill.run(); // the registry is closing: its workers are being stopped anyway
    }
  }

  private void onWriterFailure(Throwable t) {
    if (!(t instanceof IOException)) destroy("its input could not be made: " + t);
  }

  private void release() {
    stall.stop();
    if (releasedOrDestroyed.compareAndSet(false, true)) factory.release(worker);
  }

  private void destroy(String why) {
    stall.stop();
    if (releasedOrDestroyed.compareAndSet(false, true)) {
      killed = true;
      factory.stop(worker, WorkerEnded.Reason.KILLED, why);
    }
  }

  /**
   * {@link #destroy} for a deadline on the scheduler thread: decides at once (the same compare-and-set), and hands
   * the kill itself to the killer threads, so that a slow kill delays no other deadline.
   */
  private void destroyLater(String why) {
    stall.stop();
    if (releasedOrDestroyed.compareAndSet(false, true)) {
      killed = true;
      killer.execute(() -> factory.stop(worker, WorkerEnded.Reason.KILLED, why));
    }
  }

  /**
   * A worker this task killed never deletes its faulthandler file, and once the task's error is made (a crash report
   * has read the file) nothing will read it: it goes now, not when the runner closes. The link itself, never what it
   * may point to.
   */
  private void dropFaulthandlerFile() {
    Path dir = spec.faulthandlerDir();
    if (dir == null || !killed) return;
    try {
      Files.deleteIfExists(dir.resolve(Long.toString(worker.pid())));
    } catch (IOException e) {
      // the runner's close() removes its whole folder
    }
  }

  @Override
  public void close() {
    if (!done) {
      cancelReason = "its results were closed before the end";
      done = true;
      destroy("its task's results were closed before the end");
      discard();
      dropFaulthandlerFile();
      reportFailure(cancelled(cancelReason));
    }
    ctx.markCompleted();
  }

  /**
   * Where and as what a task reports its end: the registry's events, the task's id there, and when the runner began
   * it ({@link System#nanoTime()}).
   */
  public record Reporting(EventSink events, long taskId, long begunNanos) {
    Duration elapsed() {
      return Duration.ofNanos(System.nanoTime() - begunNanos);
    }
  }

  /** The reading thread's {@link TaskOutput}: results go to the pending queue, counted. */
  private final class Output implements TaskOutput {
    @Override
    public void emit(Object result) {
      pending.add(result == null ? NullMarker.NULL : result);
      rowsOut++;
    }

    @Override
    public long resultsOut() {
      return rowsOut;
    }

    @Override
    public int readInt() throws IOException {
      return in.readInt("an int of a marker payload of eval type " + spec.codec().evalType());
    }

    @Override
    public long readLong() throws IOException {
      return in.readLong("a long of a marker payload of eval type " + spec.codec().evalType());
    }

    @Override
    public void readFully(byte[] b) throws IOException {
      in.readFully(b, b.length, b.length + " bytes of a marker payload of eval type " + spec.codec().evalType());
    }

    @Override
    public int partition() {
      return partition;
    }

    @Override
    public long workerPid() {
      return worker.pid();
    }

    @Override
    public WorkerProtocolException protocolError(String message) {
      return protocol(message);
    }
  }

  /** Stands for a null result in the pending queue, which does not take nulls. */
  private enum NullMarker { NULL }
}
