package dev.pyworkers.cli.run;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.RecordFormat;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.events.WorkerEventListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One {@code pyworkers run}: start the workers, check that FUNC loads (before any input is read), stream the input
 * through a {@link PartitionPipeline} into an {@link AtomicOutput}, rename it, and report a {@link RunSummary}.
 * Everything it started is stopped when {@link #run} returns, and also when {@link #interrupt} is called from the
 * interrupt hook. Thread-safe: {@link #run} once on one thread, {@link #interrupt} from any thread.
 */
public final class RunJob {
  /** The system property that picks the worker mode (DAEMON by default). */
  public static final String WORKER_MODE_PROPERTY = "pyworkers.run.workerMode";
  private final RunSettings settings;
  private final PrintStream progressStream;
  private final StallReporter stalls;
  private final WorkerEventListener events;
  private final CountDownLatch finished = new CountDownLatch(1);
  /** Once true, always true. */
  private volatile boolean interrupted;
  private volatile WorkerRegistry registry;
  private volatile PythonRunner runner;
  private volatile PartitionPipeline pipeline;
  private volatile AtomicOutput output;

  public RunJob(RunSettings settings, PrintStream progressStream) {
    this(settings, progressStream, WorkerEventListener.NONE);
  }

  /** A run whose registry reports its daemons, workers and tasks to {@code events} ({@code --verbose}). */
  public RunJob(RunSettings settings, PrintStream progressStream, WorkerEventListener events) {
    this.settings = settings;
    this.progressStream = progressStream;
    this.stalls = new StallReporter(progressStream, settings.showProgress());
    this.events = events;
  }

  /** Runs the job; throws the failure with its exit code. */
  public RunSummary run() throws RunFailure {
    long started = System.nanoTime();
    if (settings.format() == InputFormat.ARROW) checkArrowInput();
    WorkerConfig config = WorkerConfig.builder()
        .mode(workerMode())
        .idlePoolSize(settings.workers())
        .stopTimeout(Duration.ofMillis(500))
        .preloadModules(settings.isPandas() ? List.of("pyworkers.jobs", "pyworkers.jobs_pandas_preload")
            : List.of("pyworkers.jobs"))
        .build();
    try (WorkerRegistry reg = WorkerRegistry.create(config, events)) {
      // Publish, then look at the flag; interrupt() sets the flag, then looks here: one of the two sees the other,
      // so a registry or runner made while an interrupt begins is always closed (by interrupt() or by unwinding).
      registry = reg;
      if (interrupted) throw interruptedFailure();
      try (PythonRunner r = runner(reg)) {
        runner = r;
        if (interrupted) throw interruptedFailure();
        double checkBootMillis = checkFunction(r);
        return process(r, started, checkBootMillis);
      }
    } catch (RuntimeException e) {
      throw interrupted ? interruptedFailure() : Failures.of(e, null);
    } finally {
      finished.countDown();
    }
  }

  private RunSummary process(PythonRunner runner, long started, double bootMillis) throws RunFailure {
    try (InputStream in = Files.newInputStream(settings.input());
        AtomicOutput out = AtomicOutput.create(settings.output());
        Progress progress = settings.showProgress() ? Progress.bar(progressStream) : Progress.none();
        PartitionPipeline pipe = new PartitionPipeline(runner, settings.workers(), progress, stalls);
        ArrowFileSplitter arrow = settings.format() == InputFormat.ARROW ? arrowInput() : null) {
      output = out;
      pipeline = pipe;
      if (interrupted) throw interruptedFailure();
      long size = Files.size(settings.input());
      long records;
      try {
        records = pipe.run(arrow != null ? arrow : lineInput(in, size), size, out, sink(out), settings.isPandas()
            ? PartitionPipeline.Framing.DATAFRAMES : PartitionPipeline.Framing.RECORDS);
      } catch (RunFailure e) {
        throw interrupted ? interruptedFailure() : e;
      }
      progress.close();
      if (!out.commit()) throw interruptedFailure();
      return new RunSummary(records, System.nanoTime() - started, pipe.workersUsed(), pipe.partitions(),
          Math.max(bootMillis, pipe.maxAcquireMillis()), pipe.maxInitMillis());
    } catch (IOException e) {
      throw interrupted ? interruptedFailure()
          : new RunFailure(ExitCode.FAILURE, "I/O error: " + e.getMessage() + " (input " + settings.input()
              + ", output " + settings.output() + ")", e);
    }
  }

  /**
   * JSONL, CSV or text input, cut into frames of whole records; a {@code --pandas} frame is one DataFrame, so it
   * may be as large as its partition.
   */
  private InputSplitter lineInput(InputStream in, long size) {
    int batchBytes = settings.isPandas() ? InputSplitter.MAX_BATCH_BYTES : InputSplitter.DEFAULT_BATCH_BYTES;
    return new InputSplitter(in, settings.format(), settings.batchRecords(), settings.partitionBytesFor(size),
        settings.records().maxRecordBytes(), batchBytes);
  }

  private ArrowFileSplitter arrowInput() throws IOException, RunFailure {
    return ArrowFileSplitter.open(settings.input(), settings.batchRecords(),
        settings.partitionBytesFor(Files.size(settings.input())));
  }

  /**
   * The worker mode: DAEMON (forked from a Python daemon), unless the system property {@value #WORKER_MODE_PROPERTY}
   * says SIMPLE (one {@code python -m} process per worker; the tests run both, docs/configuration.md).
   */
  private static WorkerMode workerMode() throws RunFailure {
    String mode = System.getProperty(WORKER_MODE_PROPERTY, "DAEMON").strip().toUpperCase(java.util.Locale.ROOT);
    try {
      return WorkerMode.valueOf(mode);
    } catch (IllegalArgumentException e) {
      throw new RunFailure(ExitCode.BAD_ARGUMENT, "the system property " + WORKER_MODE_PROPERTY + " is '" + mode
          + "'; give DAEMON or SIMPLE (e.g. PYWORKERS_JAVA_OPTS=-D" + WORKER_MODE_PROPERTY + "=SIMPLE)", e);
    }
  }

  /** An Arrow input that is not an IPC file fails before any Python process starts. */
  private void checkArrowInput() throws RunFailure {
    try {
      arrowInput().close();
    } catch (IOException e) {
      throw new RunFailure(ExitCode.FAILURE, "I/O error reading --input " + settings.input() + ": " + e.getMessage(),
          e);
    }
  }

  private OutputSink sink(AtomicOutput out) {
    return settings.isPandas() && settings.pandas().output() == OutputFormat.ARROW ? new ArrowFileSink(out)
        : OutputSink.lines(out);
  }

  private PythonRunner runner(WorkerRegistry reg) {
    String source = settings.isPandas() ? JobSource.pandas(settings)
        : JobSource.of(settings.udfFile(), settings.function(), settings.format(), settings.records());
    return PythonRunner.builder(reg)
        .nonUdf(PythonFunction.source(source, JobSource.FUNCTION).withPythonExecutable(settings.python()))
        .inputFormat(RecordFormat.BYTES)
        .outputFormat(RecordFormat.BYTES)
        .killTimeout(Duration.ofMillis(500))
        .stallWarning(settings.stallWarning(), stalls)
        .taskIdleTimeout(settings.taskTimeout())
        .faulthandler(true)
        .build();
  }

  /**
   * Runs a task without input: {@code pyworkers.jobs} then only loads FUNC, so a bad --udf fails before any data is
   * read. Returns how long the first worker took to be ready (the Python daemon's start included).
   */
  private double checkFunction(PythonRunner runner) throws RunFailure {
    long t0 = System.nanoTime();
    TaskResults<Object> results;
    try {
      TaskContext check = TaskContext.builder().partitionId(0)
          .localProperties(Map.of(EventReport.PHASE, EventReport.CHECK)).build();
      results = runner.compute(Collections.emptyIterator(), 0, check);
    } catch (RuntimeException e) {
      throw interrupted ? interruptedFailure() : Failures.of(e, null);
    }
    double bootMillis = (System.nanoTime() - t0) / 1e6;
    try (results) {
      while (results.hasNext()) results.next();
    } catch (RuntimeException e) {
      throw interrupted ? interruptedFailure() : Failures.of(e, null);
    }
    return bootMillis;
  }

  /**
   * Stops the run from another thread: kills the workers, closes the registry (its socket folder goes) and the runner
   * (its private folder goes), deletes the temporary output, and waits up to {@code waitMillis} for {@link #run} to
   * unwind. Returns what became of the output, for the notice line.
   */
  public String interrupt(long waitMillis) {
    interrupted = true;
    PartitionPipeline p = pipeline;
    if (p != null) p.cancel();
    WorkerRegistry r = registry;
    if (r != null) r.close();
    PythonRunner pr = runner;
    if (pr != null) pr.close();
    AtomicOutput o = output;
    boolean unwritten = o == null || o.abort();
    try {
      finished.await(waitMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (o == null) o = output;
    if (o != null && !unwritten) unwritten = o.abort();
    if (unwritten) return "no output was written";
    return Files.exists(o.temporaryFile())
        ? "the temporary output " + o.temporaryFile() + " could not be deleted"
        : "the run had already finished: " + settings.output() + " is complete";
  }

  /** Whether {@link #interrupt} was called. */
  public boolean isInterrupted() {
    return interrupted;
  }

  private RunFailure interruptedFailure() {
    return new RunFailure(ExitCode.INTERRUPTED, "interrupted; the workers were stopped and no output was written");
  }
}
