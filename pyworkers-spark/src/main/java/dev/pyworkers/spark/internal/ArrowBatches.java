package dev.pyworkers.spark.internal;

import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.arrow.ArrowWriter;

/**
 * Spark's internal rows as Arrow batches, written by Spark's own {@code ArrowWriter} (the one PySpark's Arrow paths
 * use): at most {@code maxRecords} rows a batch, all in one {@link VectorSchemaRoot} that is refilled for each
 * batch. pyworkers-arrow serializes a batch when it is taken (docs/protocol.md 7.2), so the root is free again when
 * the next is asked for; a batch is never empty. The root comes from {@code allocator} and is freed by
 * {@link #close}, called when the Spark task completes: if the writer is then still filling a batch (a scan that did
 * not return within the kill timeout), the writer frees the root when it comes back, and fails. The writer thread
 * fills; close may come from any thread.
 */
final class ArrowBatches implements Iterator<VectorSchemaRoot>, AutoCloseable {
  private final Iterator<InternalRow> rows;
  private final int maxRecords;
  private final VectorSchemaRoot root;
  private final ArrowWriter writer;
  private boolean filling; // guarded by this
  private boolean closed; // guarded by this

  ArrowBatches(Iterator<InternalRow> rows, Schema schema, BufferAllocator allocator, int maxRecords) {
    this.rows = rows;
    this.maxRecords = maxRecords;
    this.root = VectorSchemaRoot.create(schema, allocator);
    this.writer = ArrowWriter.create(root);
  }

  @Override
  public boolean hasNext() {
    return rows.hasNext();
  }

  @Override
  public VectorSchemaRoot next() {
    if (!rows.hasNext()) throw new NoSuchElementException();
    synchronized (this) {
      if (closed) throw new IllegalStateException("the Spark task has ended; its input batches are closed");
      filling = true;
    }
    try {
      fill(writer, rows, maxRecords);
    } finally {
      synchronized (this) {
        filling = false;
        if (closed) root.close();
      }
    }
    synchronized (this) {
      if (closed) throw new IllegalStateException("the Spark task ended while its input batch was being filled");
    }
    return root;
  }

  /** Refills {@code writer}'s batch with the next rows, at least one and at most {@code maxRecords}. */
  static void fill(ArrowWriter writer, Iterator<InternalRow> rows, int maxRecords) {
    writer.reset();
    int n = 0;
    do {
      writer.write(rows.next());
      n++;
    } while (n < maxRecords && rows.hasNext());
    writer.finish();
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    if (!filling) root.close();
  }

  @Override
  public String toString() {
    return "the task's Arrow input batch (" + root.getSchema().getFields().size() + " columns)";
  }
}
