package dev.pyworkers.bench;

import java.util.Objects;

/**
 * What one {@link ArrowBenchmark} run measures. Immutable.
 *
 * @param python the Python executable, a path or a name on PATH
 * @param rows values per task (issue 10 asks for 10,000,000)
 * @param batchRows rows per Arrow batch (Spark's maxRecordsPerBatch default, 10,000)
 * @param repeat timed tasks per case, after one warm-up; the median is reported
 * @param groups groups of {@value #GROUP_ROWS} rows in the grouped map cases (issue 10 asks for 100,000)
 */
public record ArrowBenchOptions(String python, long rows, int batchRows, int repeat, int groups) {
  public static final long DEFAULT_ROWS = 10_000_000;
  public static final int DEFAULT_BATCH_ROWS = 10_000;
  public static final int DEFAULT_REPEAT = 3;
  public static final long MAX_ROWS = 100_000_000;
  public static final int MAX_BATCH_ROWS = 1_000_000;
  public static final int MAX_REPEAT = 100;
  public static final int DEFAULT_GROUPS = 100_000;
  public static final int MAX_GROUPS = 10_000_000;
  /** Rows per group in the grouped map cases. */
  public static final int GROUP_ROWS = 10;

  public ArrowBenchOptions {
    Objects.requireNonNull(python, "python");
    if (rows < 1 || rows > MAX_ROWS) throw new IllegalArgumentException("--rows must be 1.." + MAX_ROWS + ", got " + rows);
    if (batchRows < 1 || batchRows > MAX_BATCH_ROWS) {
      throw new IllegalArgumentException("--batch-rows must be 1.." + MAX_BATCH_ROWS + ", got " + batchRows);
    }
    if (repeat < 1 || repeat > MAX_REPEAT) {
      throw new IllegalArgumentException("--repeat must be 1.." + MAX_REPEAT + ", got " + repeat);
    }
    if (groups < 1 || groups > MAX_GROUPS) {
      throw new IllegalArgumentException("--groups must be 1.." + MAX_GROUPS + ", got " + groups);
    }
  }
}
