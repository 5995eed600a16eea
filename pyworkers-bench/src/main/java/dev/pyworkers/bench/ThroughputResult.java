package dev.pyworkers.bench;

import dev.pyworkers.EvalType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What one {@link ThroughputBenchmark} run measured, with its human-readable tables and its one-line JSON summary.
 * The ratio of a case is the median over the rounds of its paired per-round ratios, the for-loop baseline's time in
 * a round over our task's time in the same round ({@link ThroughputCase#vsLoop}); the headline ratio of an eval type
 * is the minimum of those over the functions ({@link #headline}). The JSON keeps the field names it had when the
 * ratio was a ratio of medians, and adds each case's lowest and highest per-round ratio. Immutable and thread-safe.
 *
 * @param python the interpreter of the workers and the baseline (absolute path when Python reported it)
 * @param pythonVersion the interpreter's version
 * @param requestedPython the executable as given, before resolution
 * @param workerPid the one worker that served every task
 * @param tasks tasks that worker served, warm-up included
 * @param cases every function with every eval type
 * @param jvm the JVM side alone, per function
 * @param cpus processors available to the JVM (the worker and the JVM share them)
 */
public record ThroughputResult(
    String python,
    String pythonVersion,
    String requestedPython,
    ThroughputOptions options,
    long workerPid,
    int tasks,
    List<ThroughputCase> cases,
    Map<ThroughputFunction, ThroughputJvmCost> jvm,
    int cpus) implements BenchReport {
  /** Issue 3: at least half the rows/s of the plain in-process loop, for both eval types. */
  static final double TARGET = 0.5;
  private static final List<EvalType> EVAL_TYPES = List.of(EvalType.SQL_BATCHED_UDF, EvalType.NON_UDF);

  public ThroughputResult {
    cases = List.copyOf(cases);
    jvm = Map.copyOf(jvm);
  }

  /** The case with the lowest ratio to the for-loop baseline among those of {@code evalType}. */
  ThroughputCase headline(EvalType evalType) {
    return cases.stream().filter(c -> Objects.equals(c.evalType(), evalType))
        .min(Comparator.comparingDouble(ThroughputCase::vsLoop))
        .orElseThrow(() -> new IllegalStateException("no case of " + evalType + " was measured"));
  }

  boolean targetMet(EvalType evalType) {
    return headline(evalType).vsLoop() >= TARGET;
  }

  /** The tables, one line per element, without line separators. */
  @Override
  public List<String> tableLines() {
    List<String> lines = new ArrayList<>();
    lines.add("pyworkers bench throughput: rows/s through one pooled worker vs the same Python function in a plain"
        + " in-process loop");
    lines.add("python     " + python + " (Python " + pythonVersion + ")"
        + (python.equals(requestedPython) ? "" : ", resolved from '" + requestedPython + "'"));
    lines.add(String.format(Locale.ROOT, "rows       %d per task; batch size %d; %d measured rounds of one task per"
        + " case; one worker (pid %d) served all %d tasks", options.rows(), options.batchSize(), options.repeat(),
        workerPid, tasks));
    lines.add("machine    " + cpus + " CPUs, shared by the JVM, the worker and any other process (column 'others'"
        + " below)");
    lines.add("baseline   'loop' is out = []; for v in values: out.append(f(v)); 'map' is list(map(f, values));"
        + " one long-lived Python process, values built once untimed, each timed once per round right before the"
        + " function's tasks, while the JVM and the worker are idle");
    lines.add(String.format(Locale.ROOT, "ratio      the median over the %d rounds of the paired per-round ratio"
        + " (loop time / our time in the same round), not a ratio of medians; 'min-max' is their spread;"
        + " rows/s columns are medians over the rounds", options.repeat()));
    lines.add("");
    throughputTable(lines);
    lines.add("");
    costTable(lines);
    lines.add("");
    targetLines(lines);
    return lines;
  }

  private void throughputTable(List<String> lines) {
    lines.add(String.format(Locale.ROOT, "%-20s  %-15s  %10s  %8s  %12s  %12s  %6s  %11s  %12s  %6s",
        "case", "eval type", "rows", "seconds", "rows/s", "loop rows/s", "ratio", "min-max", "map rows/s", "vs map"));
    for (ThroughputCase c : cases) {
      lines.add(String.format(Locale.ROOT,
          "%-20s  %-15s  %10d  %8.3f  %,12.0f  %,12.0f  %6.3f  %5.3f-%5.3f  %,12.0f  %6.3f",
          label(c.function()), c.evalType(), c.rows(), c.median().wallNanos() / 1e9, c.rowsPerSecond(),
          c.loopRowsPerSecond(), c.vsLoop(), c.vsLoopMin(), c.vsLoopMax(), c.mapRowsPerSecond(), c.vsMap()));
    }
  }

  private void costTable(List<String> lines) {
    lines.add("where the time goes, ns per row: during the median task (CPU from the OS), and each part alone"
        + " (py loop and py alone: medians over the rounds)");
    lines.add(String.format(Locale.ROOT, "%-20s  %-15s  %7s  %7s  %7s  %7s  %7s  %6s  %8s  |  %7s  %8s  %7s  %7s",
        "case", "eval type", "wall", "JVM cpu", "reader", "py cpu", "py busy", "others", "GC n/ms", "py loop",
        "py alone", "jvm pkl", "jvm unp"));
    for (ThroughputCase c : cases) {
      ThroughputCase.Round m = c.median();
      ThroughputJvmCost j = jvm.get(c.function());
      lines.add(String.format(Locale.ROOT,
          "%-20s  %-15s  %7.1f  %7s  %7s  %7s  %7s  %6s  %8s  |  %7.1f  %8.1f  %7s  %7s",
          label(c.function()), c.evalType(), c.wallNanosPerRow(), perRow(m.jvmCpuNanos(), c.rows()),
          perRow(m.readerCpuNanos(), c.rows()), perRow(m.workerCpuNanos(), c.rows()),
          c.workerBusy() < 0 ? "-" : percent(c.workerBusy()), c.othersBusy() < 0 ? "-" : percent(c.othersBusy()),
          m.gcCount() + "/" + m.gcMillis(),
          (double) c.baselineLoopNanos() / c.rows(), (double) c.workerAloneNanos() / c.rows(),
          j == null ? "-" : oneDecimal(j.pickleNanosPerRow()),
          j == null ? "-" : oneDecimal(j.unpickleNanosPerRow())));
    }
    lines.add("  JVM cpu: all JVM threads (writer, reader, GC, JIT); reader: the calling thread, which reads,"
        + " unpickles, converts and checks the results; py cpu: the worker process; py busy: py cpu / wall;"
        + " others: CPU used by every other process meanwhile / wall (100% = one of the CPUs taken from us)");
    lines.add("  py loop: the baseline loop; py alone: the worker's own code without the socket (decode, f, encode);"
        + " jvm pkl: generating and pickling the input; jvm unp: unpickling, boxing and checking the output; both"
        + " in the JVM alone, one thread, with the runner's codec (Pickles)");
  }

  private void targetLines(List<String> lines) {
    for (EvalType t : EVAL_TYPES) {
      ThroughputCase h = headline(t);
      lines.add(String.format(Locale.ROOT, "headline   %s = %.3f (the minimum over the functions, %s; vs the"
          + " for-loop baseline)", headlineKey(t), h.vsLoop(), h.function().key()));
    }
    for (EvalType t : EVAL_TYPES) {
      StringBuilder each = new StringBuilder();
      for (ThroughputCase c : cases) {
        if (!Objects.equals(c.evalType(), t)) continue;
        if (each.length() > 0) each.append(", ");
        each.append(c.function().key()).append(String.format(Locale.ROOT, " %.3f", c.vsLoop()));
      }
      lines.add("target     " + t + " >= " + TARGET + "x the in-process loop for every function: "
          + (targetMet(t) ? "met" : "NOT met") + " (" + each + ")");
    }
    for (ThroughputCase c : cases) {
      if (c.vsLoop() < TARGET) lines.add(why(c));
    }
  }

  /**
   * For a case below the target: how far, and the per-row costs that explain it. What the target allows is the
   * median task's time scaled by the case ratio over the target, {@code wall * ratio / TARGET}: the time at which the
   * (paired) ratio would have been the target, so a case is missed exactly when its time is above it.
   */
  private String why(ThroughputCase c) {
    ThroughputCase.Round m = c.median();
    String s = String.format(Locale.ROOT, "missed     %s %s: %.1f ns/row, the target allows %.1f; the worker's own"
        + " work alone takes %.1f", c.function().key(), c.evalType(), c.wallNanosPerRow(),
        c.wallNanosPerRow() * c.vsLoop() / TARGET, (double) c.workerAloneNanos() / c.rows());
    if (m.jvmCpuNanos() >= 0 && m.workerCpuNanos() >= 0) {
      s += String.format(Locale.ROOT, "; CPU per row: JVM %.1f (reader %s), worker %.1f, together %.1f on %d CPUs",
          (double) m.jvmCpuNanos() / c.rows(), perRow(m.readerCpuNanos(), c.rows()),
          (double) m.workerCpuNanos() / c.rows(), (double) (m.jvmCpuNanos() + m.workerCpuNanos()) / c.rows(), cpus);
    }
    return s;
  }

  /**
   * One JSON object on one line: the headline ratios first, then every case (ratio, ratio to map, rows/s), then
   * every case's lowest and highest per-round ratio, then the baseline's rows/s, then the settings.
   */
  @Override
  public String toJson() {
    StringBuilder b = new StringBuilder("{");
    for (EvalType t : EVAL_TYPES) {
      number(b, headlineKey(t), headline(t).vsLoop(), 3);
    }
    field(b, "headline", jsonString("minimum over identity, inc, str of rows/s divided by the in-process for-loop's,"
        + " each the median over the rounds of the ratio paired within a round"));
    number(b, "target", TARGET, 1);
    field(b, "batched_udf_target_met", Boolean.toString(targetMet(EvalType.SQL_BATCHED_UDF)));
    field(b, "non_udf_target_met", Boolean.toString(targetMet(EvalType.NON_UDF)));
    for (ThroughputCase c : cases) {
      number(b, c.jsonPrefix() + "_vs_inprocess", c.vsLoop(), 3);
      number(b, c.jsonPrefix() + "_vs_map", c.vsMap(), 3);
      number(b, c.jsonPrefix() + "_rows_per_s", c.rowsPerSecond(), 0);
    }
    for (ThroughputCase c : cases) {
      number(b, c.jsonPrefix() + "_vs_inprocess_min", c.vsLoopMin(), 3);
      number(b, c.jsonPrefix() + "_vs_inprocess_max", c.vsLoopMax(), 3);
    }
    for (ThroughputFunction f : ThroughputFunction.values()) {
      cases.stream().filter(c -> c.function() == f).findFirst().ifPresent(c -> {
        number(b, "inprocess_" + f.key() + "_loop_rows_per_s", c.loopRowsPerSecond(), 0);
        number(b, "inprocess_" + f.key() + "_map_rows_per_s", c.mapRowsPerSecond(), 0);
      });
    }
    field(b, "rows", Long.toString(options.rows()));
    field(b, "batch_size", Integer.toString(options.batchSize()));
    field(b, "repeat", Integer.toString(options.repeat()));
    field(b, "worker_pid", Long.toString(workerPid));
    field(b, "tasks_on_one_worker", Integer.toString(tasks));
    field(b, "cpus", Integer.toString(cpus));
    number(b, "others_cpu_max", cases.stream().mapToDouble(ThroughputCase::othersBusy).max().orElse(-1), 2);
    field(b, "python", jsonString(python));
    return b.append('}').toString();
  }

  static String headlineKey(EvalType t) {
    return EvalType.NON_UDF.equals(t) ? "non_udf_vs_inprocess" : "batched_udf_vs_inprocess";
  }

  private static String label(ThroughputFunction f) {
    return f.key() + " (" + f.expression() + ")";
  }

  private static String perRow(long nanos, long rows) {
    return nanos < 0 ? "-" : oneDecimal((double) nanos / rows);
  }

  static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
  }

  private static String oneDecimal(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static void number(StringBuilder b, String key, double value, int decimals) {
    field(b, key, String.format(Locale.ROOT, "%." + decimals + "f", value));
  }

  private static void field(StringBuilder b, String key, String json) {
    if (b.length() > 1) b.append(',');
    b.append(jsonString(key)).append(':').append(json);
  }

  private static String jsonString(String s) {
    return AcquireResult.jsonString(s);
  }
}
