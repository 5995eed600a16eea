package dev.pyworkers.bench;

import dev.pyworkers.EvalType;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * One measured case of {@link ThroughputBenchmark}: a function pushed through one worker with one eval type, round
 * by round, each round pairing one measured task with the in-process baseline timed right before it. Ratios are our
 * rows/s divided by the baseline's, so above 1 is faster than plain Python.
 *
 * <p>The ratio of a case ({@link #vsLoop}, {@link #vsMap}) is the <b>median over the rounds of the paired per-round
 * ratios</b> ({@code baseline_r / wall_r}), not the ratio of the medians: the machine's speed drifts over seconds, and
 * a round's baseline and task see about the same speed, so each per-round ratio cancels most of the drift that the
 * two medians, taken from different rounds, would keep. Rows/s numbers, ours and the baseline's, are medians over
 * the rounds; the CPU numbers come from the median round (by wall time). A median of an even count is the lower
 * middle value, as {@link Latency} takes it. Immutable and thread-safe.
 *
 * @param rows rows per task (the same for every round and for the baseline)
 * @param rounds one per measured task, in the order they ran, each with its paired baseline timings
 */
record ThroughputCase(ThroughputFunction function, EvalType evalType, long rows, List<Round> rounds) {

  /**
   * One measured task and the baseline timings paired with it (timed in the same round, just before the task).
   *
   * @param wallNanos from {@code compute()} to the last result read and checked
   * @param jvmCpuNanos CPU time of this whole JVM meanwhile (writer and reading threads, GC, JIT), -1 if unknown
   * @param readerCpuNanos CPU time of the calling thread meanwhile, which reads, unpickles, converts and checks the
   *     results (the runner decodes on the caller's thread), -1 if unknown
   * @param workerCpuNanos CPU time of the worker process meanwhile, -1 if the OS does not tell
   * @param othersCpuNanos CPU time every other process of the machine used meanwhile (they compete for the same
   *     CPUs), -1 if the OS does not tell
   * @param gcCount garbage collections meanwhile
   * @param gcMillis time the collectors reported meanwhile
   * @param baselineLoopNanos this round's time of {@code for v in values: out.append(f(v))} in one process, -1 for
   *     a warm-up task, which has no paired baseline
   * @param baselineMapNanos this round's time of {@code list(map(f, values))} in one process, -1 for a warm-up task
   * @param workerAloneNanos this round's time of the worker's own work on the data without the socket (see {@link
   *     ThroughputBaseline}), -1 for a warm-up task
   */
  record Round(long wallNanos, long jvmCpuNanos, long readerCpuNanos, long workerCpuNanos, long othersCpuNanos,
      long gcCount, long gcMillis, long baselineLoopNanos, long baselineMapNanos, long workerAloneNanos) {

    /** This round's paired ratio to the for-loop: its baseline loop time over its wall time. */
    double vsLoop() {
      return (double) baselineLoopNanos / wallNanos;
    }

    /** This round's paired ratio to {@code list(map(f, values))}. */
    double vsMap() {
      return (double) baselineMapNanos / wallNanos;
    }
  }

  ThroughputCase {
    rounds = List.copyOf(rounds);
    if (rounds.isEmpty()) throw new IllegalArgumentException("a case needs at least one measured task");
    if (rows < 1) throw new IllegalArgumentException("rows must be >= 1, got " + rows);
    for (int i = 0; i < rounds.size(); i++) {
      Round r = rounds.get(i);
      if (r.wallNanos() <= 0 || r.baselineLoopNanos() <= 0 || r.baselineMapNanos() <= 0
          || r.workerAloneNanos() <= 0) {
        throw new IllegalArgumentException("round " + (i + 1) + " of " + function.key() + " " + evalType
            + " needs a positive wall time and positive paired baseline times (a warm-up task has none), got " + r);
      }
    }
  }

  /** The round of median wall time (the lower middle one for an even count), whose CPU numbers are reported. */
  Round median() {
    List<Round> sorted = rounds.stream().sorted(Comparator.comparingLong(Round::wallNanos)).toList();
    return sorted.get((sorted.size() - 1) / 2);
  }

  /** "SQL_BATCHED_UDF" is "batched", "NON_UDF" is "nonudf": the prefix of this case's JSON keys. */
  String jsonPrefix() {
    return (EvalType.NON_UDF.equals(evalType) ? "nonudf_" : "batched_") + function.key();
  }

  /** Median over the rounds of the baseline loop's time. */
  long baselineLoopNanos() {
    return medianOf(Round::baselineLoopNanos);
  }

  /** Median over the rounds of {@code list(map(f, values))}'s time. */
  long baselineMapNanos() {
    return medianOf(Round::baselineMapNanos);
  }

  /** Median over the rounds of the worker's own work alone. */
  long workerAloneNanos() {
    return medianOf(Round::workerAloneNanos);
  }

  /** Our rows/s in the median round. */
  double rowsPerSecond() {
    return perSecond(median().wallNanos());
  }

  /** The for-loop baseline's rows/s, from its median time over the rounds. */
  double loopRowsPerSecond() {
    return perSecond(baselineLoopNanos());
  }

  /** {@code list(map(f, values))}'s rows/s, from its median time over the rounds. */
  double mapRowsPerSecond() {
    return perSecond(baselineMapNanos());
  }

  /** Our rows/s over the for-loop baseline's, the median of the paired per-round ratios: the ratio. */
  double vsLoop() {
    return medianRatio(Round::vsLoop);
  }

  /** The lowest paired per-round ratio to the for-loop: with {@link #vsLoopMax}, the spread over the rounds. */
  double vsLoopMin() {
    return rounds.stream().mapToDouble(Round::vsLoop).min().orElseThrow();
  }

  /** The highest paired per-round ratio to the for-loop. */
  double vsLoopMax() {
    return rounds.stream().mapToDouble(Round::vsLoop).max().orElseThrow();
  }

  /** Our rows/s over {@code list(map(f, values))}'s, the median of the paired per-round ratios. */
  double vsMap() {
    return medianRatio(Round::vsMap);
  }

  double wallNanosPerRow() {
    return (double) median().wallNanos() / rows;
  }

  /** Worker CPU time over wall time: near 1 means the Python side is the bottleneck. -1 when unknown. */
  double workerBusy() {
    Round m = median();
    return m.workerCpuNanos() < 0 ? -1 : (double) m.workerCpuNanos() / m.wallNanos();
  }

  /** Other processes' CPU time over wall time, in CPUs (0.25: a quarter of one CPU). -1 when unknown. */
  double othersBusy() {
    Round m = median();
    return m.othersCpuNanos() < 0 ? -1 : (double) m.othersCpuNanos() / m.wallNanos();
  }

  private long medianOf(ToLongFunction<Round> nanos) {
    return Latency.of(rounds.stream().mapToLong(nanos).toArray()).percentileNanos(50);
  }

  /** The median of a per-round ratio, the lower middle one for an even count (nearest rank, as {@link Latency}). */
  private double medianRatio(ToDoubleFunction<Round> ratio) {
    double[] sorted = rounds.stream().mapToDouble(ratio).toArray();
    Arrays.sort(sorted);
    return sorted[(sorted.length - 1) / 2];
  }

  private double perSecond(long nanos) {
    return rows * 1e9 / Math.max(1, nanos);
  }
}
