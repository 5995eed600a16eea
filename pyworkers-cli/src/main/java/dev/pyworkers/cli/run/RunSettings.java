package dev.pyworkers.cli.run;

import java.nio.file.Path;
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
 * @param partitionBytes input bytes per partition (one runner task); 0: chosen from the input size
 * @param python the Python executable
 * @param showProgress whether to draw the progress bar on stderr
 * @param records the record size limit and whether NaN and Infinity are allowed
 */
public record RunSettings(Path udfFile, String function, Path input, Path output, InputFormat format, int workers,
    int batchRecords, long partitionBytes, String python, boolean showProgress, RecordRules records) {
  public static final long MIN_AUTO_PARTITION = 64L << 10;
  public static final long MAX_AUTO_PARTITION = 2L << 20;

  public RunSettings {
    Objects.requireNonNull(udfFile, "udfFile");
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(python, "python");
    Objects.requireNonNull(records, "records");
    if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
    if (batchRecords < 0) throw new IllegalArgumentException("batchRecords must be >= 0, got " + batchRecords);
    if (partitionBytes < 0) throw new IllegalArgumentException("partitionBytes must be >= 0, got " + partitionBytes);
  }

  /**
   * The partition size for an input of {@code inputBytes}: the given one, or about a sixteenth of each worker's share
   * (so the last partitions finish close together), between 64 KiB and 2 MiB.
   */
  public long partitionBytesFor(long inputBytes) {
    if (partitionBytes > 0) return partitionBytes;
    long share = inputBytes / (16L * workers);
    return Math.max(MIN_AUTO_PARTITION, Math.min(MAX_AUTO_PARTITION, share));
  }
}
