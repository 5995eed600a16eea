package dev.pyworkers.bench;

import java.util.Objects;

/**
 * What {@link ThroughputBenchmark} runs. Checked on construction. Immutable and thread-safe.
 *
 * @param python the Python executable, a path or a name on PATH; the benchmark resolves it to the real interpreter
 * @param rows rows (values) per measured task, for every function (default {@link #DEFAULT_ROWS})
 * @param batchSize rows per pickled batch: the SQL_BATCHED_UDF batch size, and the values per NON_UDF input record
 *     and per NON_UDF output record (default {@link #DEFAULT_BATCH_SIZE})
 * @param repeat measured rounds: in each, every function's baseline is timed once and then every case runs one
 *     measured task; a case's ratio is the median of its paired per-round ratios (default {@link #DEFAULT_REPEAT})
 */
public record ThroughputOptions(String python, long rows, int batchSize, int repeat) {
  public static final long DEFAULT_ROWS = 5_000_000;
  public static final int DEFAULT_BATCH_SIZE = 4096;
  public static final int DEFAULT_REPEAT = 5;
  public static final long MAX_ROWS = 1_000_000_000;
  public static final int MAX_BATCH_SIZE = 1_000_000;
  public static final int MAX_REPEAT = 100;

  public ThroughputOptions {
    Objects.requireNonNull(python, "python");
    if (python.isBlank()) {
      throw new IllegalArgumentException("python executable is blank; give a path or a name on PATH such as python3");
    }
    if (rows < 1 || rows > MAX_ROWS) {
      throw new IllegalArgumentException("rows must be between 1 and " + MAX_ROWS + ", got " + rows);
    }
    if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new IllegalArgumentException("batchSize must be between 1 and " + MAX_BATCH_SIZE + ", got " + batchSize);
    }
    if (repeat < 1 || repeat > MAX_REPEAT) {
      throw new IllegalArgumentException("repeat must be between 1 and " + MAX_REPEAT + ", got " + repeat);
    }
  }

  public static ThroughputOptions defaults(String python) {
    return new ThroughputOptions(python, DEFAULT_ROWS, DEFAULT_BATCH_SIZE, DEFAULT_REPEAT);
  }
}
