package dev.pyworkers.cli.run;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What one {@code pyworkers run} does, checked by the command before anything starts. Immutable.
 *
 * @param udfFile FILE.py
 * @param function FUNC, a Python identifier
 * @param input the input file
 * @param output the output file (JSON lines)
 * @param format how to read the input
 * @param workers Python workers, and partitions running at once (>= 1)
 * @param batchRecords records per frame sent to a worker; 0: frames of about 64 KiB
 * @param partitionBytes input bytes per partition (one runner task), 1 to {@link #MAX_PARTITION_BYTES}; 0: chosen
 *     from the input size
 * @param python the Python executable
 * @param showProgress whether to draw the progress bar on stderr
 * @param stallWarning how long a worker may make no progress before a stall WARN (repeated at that interval);
 *     zero: off
 * @param taskTimeout how long a worker may make no progress before it is killed and the run fails; zero: off
 * @param records the record size limit and whether NaN and Infinity are allowed
 * @param pandas {@code --pandas}: how OUT is written and the declared schema; null for the record-at-a-time job
 */
public record RunSettings(Path udfFile, String function, Path input, Path output, InputFormat format, int workers,
    int batchRecords, long partitionBytes, String python, boolean showProgress, Duration stallWarning,
    Duration taskTimeout, RecordRules records, PandasSettings pandas) {
  public static final long MIN_AUTO_PARTITION = 64L << 10;
  public static final long MAX_AUTO_PARTITION = 2L << 20;
  /** The largest --partition-size: workers + 2 partitions are held at once, and must fit the default heap. */
  public static final long MAX_PARTITION_BYTES = 64L << 20;
  /** An input this small is cut into at least this many partitions per worker, down to one record each. */
  static final int MIN_PARTITIONS_PER_WORKER = 4;

  /** The record-at-a-time job (no {@code --pandas}). */
  public RunSettings(Path udfFile, String function, Path input, Path output, InputFormat format, int workers,
      int batchRecords, long partitionBytes, String python, boolean showProgress, Duration stallWarning,
      Duration taskTimeout, RecordRules records) {
    this(udfFile, function, input, output, format, workers, batchRecords, partitionBytes, python, showProgress,
        stallWarning, taskTimeout, records, null);
  }

  public RunSettings {
    Objects.requireNonNull(udfFile, "udfFile");
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(python, "python");
    Objects.requireNonNull(stallWarning, "stallWarning");
    Objects.requireNonNull(taskTimeout, "taskTimeout");
    Objects.requireNonNull(records, "records");
    if (format == InputFormat.ARROW && pandas == null) {
      throw new IllegalArgumentException("Arrow input needs the pandas mode");
    }
    if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
    if (batchRecords < 0) throw new IllegalArgumentException("batchRecords must be >= 0, got " + batchRecords);
    if (partitionBytes < 0 || partitionBytes > MAX_PARTITION_BYTES) {
      throw new IllegalArgumentException("partitionBytes must be between 0 (automatic) and " + MAX_PARTITION_BYTES
          + ", got " + partitionBytes);
    }
  }

  /**
   * {@code --pandas}: how OUT is written, and the schema every result is cast to ({@code --schema}, "" for none:
   * the first result with rows fixes OUT's schema). Immutable.
   */
  public record PandasSettings(OutputFormat output, String schema) {
    public PandasSettings {
      Objects.requireNonNull(output, "output");
      Objects.requireNonNull(schema, "schema");
    }
  }

  /** Whether this is a {@code --pandas} run. */
  public boolean isPandas() {
    return pandas != null;
  }

  /**
   * The partition size for an input of {@code inputBytes} (0: unknown, e.g. a pipe): the given one, or about a
   * sixteenth of each worker's share (so the last partitions finish close together), between 64 KiB and 2 MiB; but
   * a small input is cut into at least {@value #MIN_PARTITIONS_PER_WORKER} partitions per worker, down to one record
   * each, so every worker gets work whenever there are at least as many records as workers.
   */
  public long partitionBytesFor(long inputBytes) {
    if (partitionBytes > 0) return partitionBytes;
    if (inputBytes <= 0) return MIN_AUTO_PARTITION;
    long share = Math.max(MIN_AUTO_PARTITION, Math.min(MAX_AUTO_PARTITION, inputBytes / (16L * workers)));
    return Math.max(1, Math.min(share, inputBytes / ((long) MIN_PARTITIONS_PER_WORKER * workers)));
  }
}
