package dev.pyworkers.arrow.internal;

import dev.pyworkers.spi.TaskInput;
import java.io.IOException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * How long an input batch of the grouped eval types may be on the wire: at most {@code records} rows and about
 * {@code bytes} bytes. A caller's batch over either is sent as slices (zero-copy views of its buffers; only an
 * unaligned validity bitmap is copied), each at most {@code records} rows and, by the batch's average row size, at
 * most {@code bytes} (at least one row: a single row larger than the limit goes alone). Immutable.
 *
 * @param records at most this many rows per batch sent, >= 1
 * @param bytes about this many bytes per batch sent, >= 1
 */
public record BatchLimit(int records, long bytes) {
  /** Spark's {@code spark.sql.execution.arrow.maxRecordsPerBatch} default. */
  public static final int DEFAULT_RECORDS = 10_000;
  /** Spark's {@code spark.sql.execution.arrow.maxBytesPerBatch} default, 64 MiB. */
  public static final long DEFAULT_BYTES = 64L << 20;
  /** Spark's defaults: 10,000 rows and 64 MiB. */
  public static final BatchLimit DEFAULT = new BatchLimit(DEFAULT_RECORDS, DEFAULT_BYTES);

  public BatchLimit {
    if (records < 1) throw new IllegalArgumentException("maxRecordsPerBatch must be >= 1, got " + records);
    if (bytes < 1) throw new IllegalArgumentException("maxBytesPerBatch must be >= 1, got " + bytes);
  }

  /** This limit with at most {@code records} rows; fails naming {@code maxRecordsPerBatch} when it is below 1. */
  public BatchLimit withRecords(int records) {
    return new BatchLimit(records, bytes);
  }

  /** This limit with about {@code bytes} bytes; fails naming {@code maxBytesPerBatch} when it is below 1. */
  public BatchLimit withBytes(long bytes) {
    return new BatchLimit(records, bytes);
  }

  /** The rows of each slice {@code root} is sent in: {@code records} or fewer, by its average row size. */
  public int rowsPerSlice(VectorSchemaRoot root) {
    int n = root.getRowCount();
    if (n <= 1) return Math.max(n, 1);
    long size = 0;
    for (FieldVector v : root.getFieldVectors()) size += v.getBufferSize();
    long perRow = Math.max(1, (size + n - 1) / n);
    return (int) Math.min(records, Math.max(1, bytes / perRow));
  }

  /** Writes {@code root} (with rows) as one record batch frame, or as slices by {@link #rowsPerSlice}. */
  void write(VectorSchemaRoot root, IpcFrames.Sink sink, TaskInput in) throws IOException {
    int n = root.getRowCount();
    int step = rowsPerSlice(root);
    for (int start = 0; start < n; start += step) {
      int len = Math.min(step, n - start);
      sink.reset();
      if (start == 0 && len == n) {
        IpcFrames.writeBatch(root, sink);
      } else {
        try (VectorSchemaRoot part = root.slice(start, len)) {
          IpcFrames.writeBatch(part, sink);
        }
      }
      in.writeFrame(sink.buffer(), 0, sink.size());
      in.progress();
    }
  }
}
