package dev.pyworkers.spark.internal;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.ArrowUdf;
import dev.pyworkers.arrow.ScalarArrowCodec;
import dev.pyworkers.spi.EvalTypeCodec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.arrow.ArrowWriter;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * A UDF fed from Arrow batches over some columns of a Dataset's internal rows, its result added after the other
 * columns: a scalar pandas UDF (SQL_SCALAR_PANDAS_UDF, PySpark's {@code pandas_udf}) or a row function called once per
 * row (SQL_ARROW_BATCHED_UDF, PySpark's {@code @udf(useArrow=True)}, its 4.2 default). Each batch holds whole input
 * rows (Spark's ArrowWriter), the function reads its argument columns of it, and the batch stays, untouched, until its
 * result batch comes back: the output rows are read in place from the input batch's columns and the result's, so no
 * row is copied on the JVM before Spark's own projection. Batches in flight are a few (as many as the socket buffers
 * hold), each from a pool that reuses them. Serializable.
 */
public final class ArrowColumnJob extends ArrowJob implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  private final boolean pandas;
  private final StructType inputSchema;
  private final int[] columns;

  /** {@code pandas}: a pandas UDF; else a row function. */
  public ArrowColumnJob(boolean pandas, FunctionSpec function, String python, String zone, int maxRecords,
      StructType inputSchema, int[] columns, DataType resultType, String what) {
    super(function, python, zone, maxRecords, new StructType().add("_0", resultType), what);
    this.pandas = pandas;
    this.inputSchema = inputSchema;
    this.columns = columns.clone();
    arrow(inputSchema);
  }

  @Override
  protected EvalTypeCodec codec(BufferAllocator memory, PythonFunction f, Schema result) {
    List<ArrowUdf> udf = List.of(ArrowUdf.of(f, result.getFields().get(0), columns));
    return pandas ? ScalarArrowCodec.pandas(memory, udf) : ScalarArrowCodec.rows(memory, udf);
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> input) {
    Batches batches = new Batches(input, arrow(inputSchema), ExecutorWorkers.allocator(), maxRecords());
    return run(batches, results -> new Joined(results, batches, what()), batches);
  }

  /** One input batch and the writer that fills it. */
  private static final class Slot {
    final VectorSchemaRoot root;
    final ArrowWriter writer;

    Slot(Schema schema, BufferAllocator allocator) {
      root = VectorSchemaRoot.create(schema, allocator);
      writer = ArrowWriter.create(root);
    }
  }

  /**
   * The input batches: filled by the writer thread, kept in flight until the reader has read their rows, then
   * reused. Closed when the Spark task completes; a batch the writer is filling then is closed by the writer.
   */
  private static final class Batches implements Iterator<VectorSchemaRoot>, AutoCloseable {
    private final Iterator<InternalRow> rows;
    private final Schema schema;
    private final BufferAllocator allocator;
    private final int maxRecords;
    // guarded by this
    private final ArrayDeque<Slot> free = new ArrayDeque<>();
    private final ArrayDeque<Slot> inFlight = new ArrayDeque<>();
    private boolean closed;

    Batches(Iterator<InternalRow> rows, Schema schema, BufferAllocator allocator, int maxRecords) {
      this.rows = rows;
      this.schema = schema;
      this.allocator = allocator;
      this.maxRecords = maxRecords;
    }

    @Override
    public boolean hasNext() {
      return rows.hasNext();
    }

    @Override
    public VectorSchemaRoot next() {
      if (!rows.hasNext()) throw new NoSuchElementException();
      Slot s;
      synchronized (this) {
        if (closed) throw new IllegalStateException("the Spark task has ended; its input batches are closed");
        s = free.pollFirst();
        if (s == null) s = new Slot(schema, allocator);
      }
      boolean done = false;
      try {
        ArrowBatches.fill(s.writer, rows, maxRecords);
        done = true;
      } finally {
        synchronized (this) {
          if (closed || !done) {
            s.root.close();
          } else {
            inFlight.addLast(s); // before the batch goes: its result cannot come sooner
          }
        }
      }
      synchronized (this) {
        if (closed) throw new IllegalStateException("the Spark task ended while its input batch was being filled");
      }
      return s.root;
    }

    /** The oldest batch in flight, whose result comes next; null if none. */
    synchronized Slot oldest() {
      return inFlight.pollFirst();
    }

    /** {@code s} may be filled again. */
    synchronized void release(Slot s) {
      if (closed) s.root.close();
      else free.addLast(s);
    }

    @Override
    public synchronized void close() {
      if (closed) return;
      closed = true;
      for (Slot s : free) s.root.close();
      for (Slot s : inFlight) s.root.close();
      free.clear();
      inFlight.clear();
      // a batch being filled is in neither queue: the writer closes it when it comes back
    }

    @Override
    public String toString() {
      return "the task's Arrow input batches";
    }
  }

  /** Output rows: each input batch's columns and its result batch's column, read in place. The reader thread. */
  private static final class Joined implements Iterator<InternalRow>, AutoCloseable {
    private final Iterator<Object> results;
    private final Batches batches;
    private final String what;
    private Slot input;
    private VectorSchemaRoot result;
    private Iterator<InternalRow> rows = Collections.emptyIterator();

    Joined(Iterator<Object> results, Batches batches, String what) {
      this.results = results;
      this.batches = batches;
      this.what = what;
    }

    @Override
    public boolean hasNext() {
      while (!rows.hasNext()) {
        releaseCurrent();
        if (!results.hasNext()) return false;
        result = (VectorSchemaRoot) results.next();
        input = batches.oldest();
        if (input == null) throw new IllegalStateException(what + ": a result batch came for no input batch");
        if (input.root.getRowCount() != result.getRowCount()) {
          throw new IllegalStateException(what + ": a result batch of " + result.getRowCount() + " rows came for an"
              + " input batch of " + input.root.getRowCount());
        }
        List<FieldVector> vectors = new ArrayList<>(input.root.getFieldVectors());
        vectors.addAll(result.getFieldVectors());
        rows = ArrowRows.columnar(vectors, result.getRowCount()).rowIterator();
      }
      return true;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) throw new NoSuchElementException();
      return rows.next();
    }

    private void releaseCurrent() {
      rows = Collections.emptyIterator();
      if (result != null) {
        result.close();
        result = null;
      }
      if (input != null) {
        batches.release(input);
        input = null;
      }
    }

    @Override
    public void close() {
      releaseCurrent();
    }
  }
}
