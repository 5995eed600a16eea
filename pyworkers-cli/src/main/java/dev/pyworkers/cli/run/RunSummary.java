package dev.pyworkers.cli.run;

import java.util.Locale;

/**
 * The outcome of a successful run, printed as one line on stderr. Immutable.
 *
 * @param records records written to the output
 * @param nanos wall time from the start of the run (before the first Python process) to the rename of the output
 * @param workers distinct Python worker processes that ran partitions
 * @param partitions runner tasks (partitions) run
 * @param bootMillis the longest wait for a worker: the first includes starting the Python daemon
 * @param initMillis the longest time a task took to load its function before its first record (FUNC's import)
 */
public record RunSummary(long records, long nanos, int workers, int partitions, double bootMillis,
    double initMillis) {
  public double seconds() {
    return nanos / 1e9;
  }

  public double recordsPerSecond() {
    return nanos == 0 ? 0 : records / seconds();
  }

  /** {@code pyworkers run: 2000000 records in 3.42 s (584795 records/s), 2 workers, 35 partitions; worker boot ...}. */
  public String line() {
    return String.format(Locale.ROOT,
        "pyworkers run: %d records in %.2f s (%.0f records/s), %s, %s; worker boot %.1f ms, init %.1f ms",
        records, seconds(), recordsPerSecond(), count(workers, "worker"), count(partitions, "partition"), bootMillis,
        initMillis);
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
