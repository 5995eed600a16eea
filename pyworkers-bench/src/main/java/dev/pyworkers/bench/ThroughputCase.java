package dev.pyworkers.bench;

import dev.pyworkers.EvalType;
import java.util.Comparator;
import java.util.List;

/**
 * One measured case of {@link ThroughputBenchmark}: a function pushed through one worker with one eval type, its
 * measured tasks and the medians of the in-process baseline for the same function and values. Ratios are our rows/s
 * divided by the baseline's, so above 1 is faster than plain Python. Immutable and thread-safe.
 *
 * @param rows rows per task (the same for every round and for the baseline)
 * @param rounds one per measured task, in the order they ran
 * @param baselineLoopNanos median time of {@code for v in values: out.append(f(v))} in one process
 * @param baselineMapNanos median time of {@code list(map(f, values))} in one process
 * @param workerAloneNanos median time of the worker's own work on the data without the socket (see {@link
 *     ThroughputBaseline})
 */
record ThroughputCase(ThroughputFunction function, EvalType evalType, long rows, List<Round> rounds,
    long baselineLoopNanos, long baselineMapNanos, long workerAloneNanos) {

  /**
   * One measured task.
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
   */
  record Round(long wallNanos, long jvmCpuNanos, long readerCpuNanos, long workerCpuNanos, long othersCpuNanos,
      long gcCount, long gcMillis) {}

  ThroughputCase {
    rounds = List.copyOf(rounds);
    if (rounds.isEmpty()) throw new IllegalArgumentException("a case needs at least one measured task");
    if (rows < 1) throw new IllegalArgumentException("rows must be >= 1, got " + rows);
  }

  /** The round of median wall time (the lower middle one for an even count), whose CPU numbers are reported. */
  Round median() {
    List<Round> sorted = rounds.stream().sorted(Comparator.comparingLong(Round::wallNanos)).toList();
    return sorted.get((sorted.size() - 1) / 2);
  }

  /** "SQL_BATCHED_UDF" is "batched", "NON_UDF" is "nonudf": the prefix of this case's JSON keys. */
  String jsonPrefix() {
    return (evalType == EvalType.NON_UDF ? "nonudf_" : "batched_") + function.key();
  }

  double rowsPerSecond() {
    return perSecond(median().wallNanos());
  }

  double loopRowsPerSecond() {
    return perSecond(baselineLoopNanos);
  }

  double mapRowsPerSecond() {
    return perSecond(baselineMapNanos);
  }

  /** Our rows/s over the for-loop baseline's: the ratio the target is about. */
  double vsLoop() {
    return (double) baselineLoopNanos / median().wallNanos();
  }

  /** Our rows/s over {@code list(map(f, values))}'s, the faster way to write the same loop. */
  double vsMap() {
    return (double) baselineMapNanos / median().wallNanos();
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

  private double perSecond(long nanos) {
    return rows * 1e9 / Math.max(1, nanos);
  }
}
