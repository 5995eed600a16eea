package dev.pyworkers.spark.internal;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * The rows of result batches, read in place through Spark's {@code ArrowColumnVector}s: no copy until Spark projects
 * each row to its own format as it takes it. A batch is closed when the rows move past it, and the last one by
 * {@link #close} (which a task's completion listener calls, however the task ends). A row is valid until the next
 * {@link #hasNext}: Spark's scan of these rows copies each at once. The Spark task's thread.
 */
final class ArrowRows implements Iterator<InternalRow>, AutoCloseable {
  private final Iterator<?> batches;
  private VectorSchemaRoot current;
  private Iterator<InternalRow> rows = Collections.emptyIterator();

  ArrowRows(Iterator<?> batches) {
    this.batches = batches;
  }

  /** {@code rows} rows of {@code vectors}, read in place through Spark's column vectors. */
  static ColumnarBatch columnar(List<FieldVector> vectors, int rows) {
    ColumnVector[] columns = new ColumnVector[vectors.size()];
    for (int i = 0; i < columns.length; i++) columns[i] = new ArrowColumnVector(vectors.get(i));
    ColumnarBatch batch = new ColumnarBatch(columns);
    batch.setNumRows(rows);
    return batch;
  }

  @Override
  public boolean hasNext() {
    while (!rows.hasNext()) {
      closeCurrent();
      if (!batches.hasNext()) return false;
      current = (VectorSchemaRoot) batches.next();
      rows = columnar(current.getFieldVectors(), current.getRowCount()).rowIterator();
    }
    return true;
  }

  @Override
  public InternalRow next() {
    if (!hasNext()) throw new NoSuchElementException();
    return rows.next();
  }

  private void closeCurrent() {
    if (current != null) {
      current.close();
      current = null;
    }
    rows = Collections.emptyIterator();
  }

  @Override
  public void close() {
    closeCurrent();
  }
}
