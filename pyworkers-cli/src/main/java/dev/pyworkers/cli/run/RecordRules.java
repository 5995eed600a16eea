package dev.pyworkers.cli.run;

/**
 * What a record of {@code pyworkers run} may be, in and out: the longest input record and the longest JSON result
 * of one record ({@code --max-record-size}), and whether NaN and Infinity are accepted in input lines and written in
 * results ({@code --allow-nan}; they are not JSON, RFC 8259). Immutable.
 *
 * <p>Why the default is what it is: a partition ends with the frame that brings it to its size (at most 2 MiB when
 * chosen automatically), so a partition holds at most one record over that, and up to {@code workers + 2}
 * partitions are in memory at once, each with its input and, once done, its output. A record of the limit size is
 * then held as its input frame and its result per partition, plus the splitter's read buffer, its growth copy and
 * the frame cut from it: about {@code 2 * (workers + 2) + 3} copies. {@link #defaultMaxRecordBytes} allows 4 per
 * partition, so that {@code (workers + 2) * 4 * limit} fits in the JVM's heap, capped at 16 MiB: with the 512 MiB
 * heap of {@code bin/pyworkers}, 16 MiB up to 5 workers, 12 MiB for 8, 1 MiB for 100.
 *
 * @param maxRecordBytes the longest record in bytes, without its line end, and the longest JSON of one result
 * @param allowNan whether NaN, Infinity and -Infinity are accepted in JSONL input and written in results
 */
public record RecordRules(long maxRecordBytes, boolean allowNan) {
  /** The default limit when the heap allows it. */
  public static final long DEFAULT_MAX_RECORD_BYTES = 16L << 20;
  /** The smallest limit given with {@code --max-record-size}. */
  public static final long MIN_RECORD_BYTES = 1L << 10;
  /** The largest limit of {@code --max-record-size}: a frame of records stays far below the protocol's 1 GiB. */
  public static final long MAX_RECORD_BYTES = InputSplitter.MAX_RECORD_BYTES;
  /** Copies of a record held per partition in memory, counted by the default limit. */
  static final int COPIES_PER_PARTITION = 4;

  public RecordRules {
    if (maxRecordBytes < MIN_RECORD_BYTES || maxRecordBytes > MAX_RECORD_BYTES) {
      throw new IllegalArgumentException("maxRecordBytes must be between " + MIN_RECORD_BYTES + " and "
          + MAX_RECORD_BYTES + ", got " + maxRecordBytes);
    }
  }

  /**
   * The default limit for {@code workers} workers in a JVM whose heap is at most {@code maxHeapBytes}: 16 MiB, or
   * less (whole MiB, at least 1 MiB) when {@code (workers + 2) * 4} records of it would not fit in the heap.
   */
  public static long defaultMaxRecordBytes(int workers, long maxHeapBytes) {
    long share = maxHeapBytes / ((long) COPIES_PER_PARTITION * (workers + 2L));
    long mib = Math.max(1, Math.min(DEFAULT_MAX_RECORD_BYTES, share) >> 20);
    return mib << 20;
  }

  /** {@code bytes} for a message: "16.0 MiB (16777216 bytes)", "1.5 KiB (1536 bytes)", "12 bytes". */
  public static String describe(long bytes) {
    if (bytes < 1024) return bytes + " bytes";
    String unit = bytes >= 1L << 30 ? "GiB" : bytes >= 1L << 20 ? "MiB" : "KiB";
    double scaled = bytes / (double) (bytes >= 1L << 30 ? 1L << 30 : bytes >= 1L << 20 ? 1L << 20 : 1L << 10);
    return String.format(java.util.Locale.ROOT, "%.1f %s (%d bytes)", scaled, unit, bytes);
  }
}
