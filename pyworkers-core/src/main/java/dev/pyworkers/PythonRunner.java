package dev.pyworkers;

import dev.pyworkers.events.TaskFailed;
import dev.pyworkers.events.TaskStarted;
import dev.pyworkers.events.WorkerEnded;
import dev.pyworkers.internal.evaltype.batched.BatchedUdfCodec;
import dev.pyworkers.internal.evaltype.nonudf.NonUdfCodec;
import dev.pyworkers.internal.events.EventSink;
import dev.pyworkers.internal.factory.RealPythonWorker;
import dev.pyworkers.internal.factory.RealWorkerFactory;
import dev.pyworkers.internal.runner.RunnerSpec;
import dev.pyworkers.internal.runner.StallSettings;
import dev.pyworkers.internal.runner.TaskRun;
import dev.pyworkers.internal.runner.TaskSettings;
import dev.pyworkers.internal.runner.TaskSetup;
import dev.pyworkers.spi.EvalTypeCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Runs Python functions over partitions of data in pooled workers of a {@link WorkerRegistry}. Build one per set of
 * functions with {@link #builder(WorkerRegistry)}, then call {@link #compute} once per partition, from any number of
 * threads at once: each task holds its own worker. Close it to delete the broadcast files and faulthandler folder it
 * made. Thread-safe.
 *
 * <p>The eval type is NON_UDF ({@link Builder#nonUdf}), SQL_BATCHED_UDF ({@link Builder#udf}, the default) or one a
 * module brings with its own {@link EvalTypeCodec} ({@link Builder#evalType(EvalTypeCodec)}; docs/spi.md).
 *
 * <pre>{@code
 * PythonRunner runner = PythonRunner.builder(registry)
 *     .udf(PythonUdf.of(new int[] {0}, PythonFunction.source("def inc(x):\n    return x + 1\n", "inc")
 *         .withReturnType(ReturnType.LONG)))
 *     .build();
 * try (TaskResults<Object> out = runner.compute(rows.iterator(), 0, TaskContext.of(0))) {
 *   out.forEachRemaining(System.out::println);
 * }
 * }</pre>
 */
public final class PythonRunner implements AutoCloseable {
  private final WorkerRegistry registry;
  private final RunnerSpec spec;
  private final TaskSetup setup;
  private final StallSettings stall;

  private PythonRunner(WorkerRegistry registry, RunnerSpec spec, TaskSetup setup, StallSettings stall) {
    this.registry = registry;
    this.spec = spec;
    this.setup = setup;
    this.stall = stall;
  }

  public static Builder builder(WorkerRegistry registry) {
    return new Builder(Objects.requireNonNull(registry, "registry"));
  }

  /**
   * Starts one task: gets a worker, sends the header and streams {@code input} while the returned results stream
   * back. NON_UDF input elements are {@code byte[]}, {@code String} or null; SQL_BATCHED_UDF input elements are
   * rows ({@code Object[]}); another eval type's are what its codec takes.
   *
   * @throws WorkerStartException no worker could be had
   */
  public TaskResults<Object> compute(Iterator<?> input, int partitionIndex, TaskContext context) {
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(context, "context");
    if (partitionIndex < 0) throw new IllegalArgumentException("partitionIndex must be >= 0, got " + partitionIndex);
    if (context.isCompleted()) {
      throw new IllegalStateException(context + " is already completed; give each task a fresh TaskContext");
    }
    EventSink events = registry.events();
    long begun = System.nanoTime();
    long taskId = events.nextTaskId();
    PythonEnvironment env = setup.environment();
    if (events.on()) events.taskStarted(new TaskStarted(taskId, env, evalType(), partitionIndex, context));
    RealPythonWorker worker;
    RealWorkerFactory factory;
    try {
      factory = registry.realFactory(env);
      worker = factory.createWorker(taskId);
    } catch (RuntimeException e) {
      if (events.on()) {
        events.taskFailed(new TaskFailed(taskId, partitionIndex, -1, 0, 0, 0, 0,
            Duration.ofNanos(System.nanoTime() - begun), e));
      }
      throw e;
    }
    try {
      return new TaskRun(spec, context, partitionIndex, input, factory, worker, setup.broadcastsFor(worker),
          setup.includes(), setup.pythonVersion(), registry.scheduler(), registry.killer(), registry.ticker(),
          stall, new TaskRun.Reporting(events, taskId, begun));
    } catch (RuntimeException e) {
      factory.stop(worker, WorkerEnded.Reason.KILLED, "its task could not start: " + e);
      if (events.on()) {
        events.taskFailed(new TaskFailed(taskId, partitionIndex, worker.pid(), 0, 0, 0, 0,
            Duration.ofNanos(System.nanoTime() - begun), e));
      }
      throw e;
    }
  }

  public EvalType evalType() {
    return spec.codec().evalType();
  }

  /** Deletes the broadcast files and the faulthandler folder this runner made. Running tasks are not stopped. */
  @Override
  public void close() {
    setup.close();
  }

  /** Collects a runner's settings; {@link #build()} checks them. Not thread-safe. */
  public static final class Builder {
    private final WorkerRegistry registry;
    private EvalType evalType = EvalType.SQL_BATCHED_UDF;
    private List<PythonFunction> functions = List.of();
    private List<PythonUdf> udfs = List.of();
    private EvalTypeCodec codec;
    private RecordFormat inputFormat = RecordFormat.PICKLED_BATCHES;
    private RecordFormat outputFormat = RecordFormat.PICKLED_BATCHES;
    private int outputBatchSize = 1000;
    private int batchSize = 1000;
    private Duration killTimeout = Duration.ofSeconds(2);
    private Duration taskIdleTimeout = Duration.ZERO;
    private Duration stallWarning = Duration.ofSeconds(60);
    private Consumer<StallEvent> stallListener = StallSettings.LOG_LISTENER;
    private Map<String, String> conf = Map.of();
    private String filesFolder = "";
    private List<Path> localDirs = List.of();
    private boolean faulthandler;
    private int memoryLimitMb;
    private String pythonExecutable;

    private Builder(WorkerRegistry registry) {
      this.registry = registry;
    }

    /** NON_UDF: the functions {@code func(partition_index, iterator)}, innermost first. Sets the eval type. */
    public Builder nonUdf(PythonFunction... chain) {
      this.evalType = EvalType.NON_UDF;
      this.codec = null;
      this.functions = List.of(chain);
      return this;
    }

    /** SQL_BATCHED_UDF: one UDF. Sets the eval type. */
    public Builder udf(PythonUdf udf) {
      return udfs(List.of(udf));
    }

    /** SQL_BATCHED_UDF: several UDFs evaluated in one pass over each row. Sets the eval type. */
    public Builder udfs(List<PythonUdf> list) {
      this.evalType = EvalType.SQL_BATCHED_UDF;
      this.codec = null;
      this.udfs = List.copyOf(list);
      return this;
    }

    /**
     * SQL_BATCHED_UDF from parallel lists: chain {@code i} takes the arguments at {@code argOffsets.get(i)}. The
     * two lists must be equally long.
     */
    public Builder udfs(List<List<PythonFunction>> chains, List<int[]> argOffsets) {
      if (chains.size() != argOffsets.size()) {
        throw new IllegalArgumentException(chains.size() + " UDFs but " + argOffsets.size()
            + " argument offset groups; give one group of offsets per UDF");
      }
      List<PythonUdf> list = new java.util.ArrayList<>();
      for (int i = 0; i < chains.size(); i++) list.add(PythonUdf.of(argOffsets.get(i), chains.get(i)));
      return udfs(list);
    }

    /**
     * An eval type of a module's own (docs/spi.md): its codec writes the command and the data frames and reads the
     * results. Sets the eval type; the settings of the built-in ones ({@link #inputFormat}, {@link #batchSize}, ...)
     * then do not apply. Its {@code evalType()} must not be a built-in one: use {@link #nonUdf} or {@link #udf}.
     */
    public Builder evalType(EvalTypeCodec codec) {
      Objects.requireNonNull(codec, "codec");
      EvalType type = Objects.requireNonNull(codec.evalType(), "codec.evalType()");
      if (type.isBuiltIn()) {
        throw new IllegalArgumentException("eval type " + type + " is built in; build it with "
            + (EvalType.NON_UDF.equals(type) ? "nonUdf(...)" : "udf(...) or udfs(...)") + ", not evalType(codec)");
      }
      String handler = codec.handler();
      if (handler == null || !handler.matches("[A-Za-z_][\\w.]*:[A-Za-z_][\\w.]*")) {
        throw new IllegalArgumentException("the handler of eval type " + type + " is '" + handler + "'; it must"
            + " be 'module:attribute', e.g. 'mypkg.handler:HANDLER'");
      }
      Objects.requireNonNull(codec.functions(), "codec.functions()");
      this.evalType = type;
      this.codec = codec;
      return this;
    }

    /** NON_UDF input record format. Default PICKLED_BATCHES. */
    public Builder inputFormat(RecordFormat f) { this.inputFormat = Objects.requireNonNull(f); return this; }
    /** NON_UDF output record format. Default PICKLED_BATCHES. */
    public Builder outputFormat(RecordFormat f) { this.outputFormat = Objects.requireNonNull(f); return this; }
    /** NON_UDF: records per pickled output frame, 1..1000000. Default 1000. */
    public Builder outputBatchSize(int n) { this.outputBatchSize = n; return this; }
    /** SQL_BATCHED_UDF: rows per pickled input batch, 1..1000000. Default 1000. */
    public Builder batchSize(int n) { this.batchSize = n; return this; }
    /** How long an interrupted task may still run before its worker is killed. Default 2 s. */
    public Builder killTimeout(Duration d) { this.killTimeout = Objects.requireNonNull(d); return this; }
    /**
     * Kill a worker that takes no input and sends no output for this long while its task waits on it; the task then
     * fails with {@link TaskIdleTimeoutException}, which carries the pid, the partition and the main thread's Python
     * traceback taken just before the kill. Time the caller spends not reading results, or the input iterator
     * spends producing the next element, does not count. Zero (default) turns it off; at most 1 day.
     */
    public Builder taskIdleTimeout(Duration d) { this.taskIdleTimeout = Objects.requireNonNull(d); return this; }

    /**
     * Report a worker that took no input and sent no output for {@code interval} while its task waits on it (the
     * same notion of progress as {@link #taskIdleTimeout}), and again after each further {@code interval} while the
     * stall lasts, by logging one WARN ({@link StallEvent#describe()}) through SLF4J logger {@code
     * dev.pyworkers.PythonRunner}. Default 60 s; zero turns it off; at most 1 day.
     */
    public Builder stallWarning(Duration interval) {
      return stallWarning(interval, StallSettings.LOG_LISTENER);
    }

    /**
     * Like {@link #stallWarning(Duration)}, with {@code listener} receiving each {@link StallEvent} instead of the
     * log. The listener is called on the registry's scheduler thread, so it must return quickly; what it throws is
     * logged.
     */
    public Builder stallWarning(Duration interval, Consumer<StallEvent> listener) {
      this.stallWarning = Objects.requireNonNull(interval, "interval");
      this.stallListener = Objects.requireNonNull(listener, "listener");
      return this;
    }
    /** Key/value settings passed to the worker with every task. */
    public Builder conf(Map<String, String> c) { this.conf = Map.copyOf(c); return this; }
    /** Folder the worker puts on sys.path, and that relative includes are resolved against. */
    public Builder filesFolder(Path p) { this.filesFolder = p.toAbsolutePath().toString(); return this; }
    /** Scratch folders (broadcast files live in the first). Default: a folder under java.io.tmpdir. */
    public Builder localDirs(List<Path> dirs) { this.localDirs = List.copyOf(dirs); return this; }
    /** Make workers write fatal-error tracebacks (segfaults, aborts) for crash messages. Default off. */
    public Builder faulthandler(boolean on) { this.faulthandler = on; return this; }
    /**
     * Address-space limit of each of the runner's tasks in MiB: the worker's soft RLIMIT_AS while the task runs (sent
     * in the task header, so a pooled worker serves tasks with other limits too); 0 (default) is no limit.
     */
    public Builder memoryLimitMb(int mb) { this.memoryLimitMb = mb; return this; }
    /** The Python executable; default: the functions' own, else "python3". */
    public Builder pythonExecutable(String exe) { this.pythonExecutable = exe; return this; }

    public PythonRunner build() {
      EvalTypeCodec c = codec != null ? codec
          : EvalType.NON_UDF.equals(evalType) ? NonUdfCodec.of(functions, inputFormat, outputFormat, outputBatchSize)
          : BatchedUdfCodec.of(udfs, batchSize);
      range("outputBatchSize", outputBatchSize, 1, 1_000_000);
      range("batchSize", batchSize, 1, 1_000_000);
      range("memoryLimitMb", memoryLimitMb, 0, Integer.MAX_VALUE);
      if (killTimeout.toMillis() < 1 || killTimeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("killTimeout must be between 1 ms and 1 h, got " + killTimeout);
      }
      if (taskIdleTimeout.isNegative() || taskIdleTimeout.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException("taskIdleTimeout must be between 0 (off) and 1 day, got " + taskIdleTimeout);
      }
      if (stallWarning.isNegative() || stallWarning.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException("stallWarning must be between 0 (off) and 1 day, got " + stallWarning);
      }
      byte[] command = RunnerSpec.command(c);
      TaskSetup setup = TaskSetup.create(List.copyOf(c.functions()), pythonExecutable, localDirs, faulthandler);
      RunnerSpec spec = new RunnerSpec(c, command, killTimeout, taskIdleTimeout, conf, filesFolder,
          setup.localDirs(), setup.faulthandlerDir(), registry.config().bufferSize(), new TaskSettings(memoryLimitMb));
      return new PythonRunner(registry, spec, setup, new StallSettings(stallWarning, stallListener));
    }

    private static void range(String key, long v, long min, long max) {
      if (v < min || v > max) throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + v);
    }
  }
}
