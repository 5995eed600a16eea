package dev.pyworkers.spark.internal;

import dev.pyworkers.OnMismatch;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.PythonUdf;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.UUID;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.expressions.codegen.GenerateUnsafeRowJoiner;
import org.apache.spark.sql.catalyst.expressions.codegen.UnsafeRowJoiner;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * A Python row UDF over some columns of a Dataset's internal rows, its result added after the other columns: on each
 * executor, each partition's rows go through the executor's pooled workers as one SQL_BATCHED_UDF task, and each
 * output row is its input row with the result after it, in order, joined byte-wise ({@link RowAppender}, or Spark's
 * row joiner for a variable-length result). The arguments are read straight from Spark's rows by one {@link
 * CatalystValues.Reader} per column; the rows whose results are still on the way wait, copied, in {@link PendingRows},
 * as many as the worker's batch and the socket buffers hold, not the partition. Serializable, built on the driver; its
 * runner is made once per executor.
 */
public final class RowUdfJob implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  private final String id = UUID.randomUUID().toString();
  private final FunctionSpec function;
  private final String python;
  private final StructType inputSchema;
  private final int[] columns;
  private final CatalystValues.Reader[] readers;
  private final DataType resultType;
  private final OnMismatch onMismatch;
  private final int batchSize;
  private final CatalystValues values;
  private final String what;

  /** {@code columns}: the argument columns, indices in {@code inputSchema}. */
  public RowUdfJob(FunctionSpec function, String python, StructType inputSchema, int[] columns, DataType resultType,
      OnMismatch onMismatch, int batchSize, CatalystValues values, String what) {
    this.function = function;
    this.python = python;
    this.inputSchema = inputSchema;
    this.columns = columns.clone();
    this.readers = new CatalystValues.Reader[columns.length];
    for (int i = 0; i < columns.length; i++) readers[i] = values.reader(inputSchema.fields()[columns[i]].dataType());
    this.resultType = resultType;
    this.onMismatch = onMismatch;
    this.batchSize = batchSize;
    this.values = values;
    this.what = what;
  }

  private ExecutorWorkers.Lease runner() {
    return ExecutorWorkers.runner(id, registry -> {
      String exe = function.executable(python);
      // core converts to a plain type first (and reports those mismatches itself, naming row and value);
      // CatalystValues narrows to Spark's types
      PythonFunction f = function.toFunction(exe).withReturnType(SparkValues.coreType(resultType), onMismatch);
      int[] offsets = new int[columns.length];
      for (int i = 0; i < offsets.length; i++) offsets[i] = i;
      return PythonRunner.builder(registry).udf(PythonUdf.of(offsets, f)).batchSize(batchSize)
          .pythonExecutable(exe).build();
    });
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> input) {
    org.apache.spark.TaskContext spark = org.apache.spark.TaskContext.get();
    if (spark == null) throw new IllegalStateException(what + " runs only inside a Spark task");
    TaskContext ctx = SparkTasks.context(spark);
    PendingRows waiting = new PendingRows();
    UnsafeProjection toUnsafe = UnsafeProjection.create(inputSchema); // for a plan whose rows are not Spark's compact
    Iterator<Object[]> args = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return input.hasNext();
      }

      @Override
      public Object[] next() {
        InternalRow r = input.next();
        Object[] a = new Object[columns.length];
        for (int i = 0; i < a.length; i++) a[i] = readers[i].read(r, columns[i]);
        // the scan may reuse r for the next row
        waiting.add(PendingRows.keep(r instanceof UnsafeRow ? r : toUnsafe.apply(r)));
        return a;
      }
    };
    TaskResults<Object> results = SparkTasks.start(spark, ctx, runner(), args);
    // the output row is the input row's bytes and the result's, joined in one buffer (Spark's row joiner)
    RowAppender appender = RowAppender.of(inputSchema, resultType); // null for variable-length results
    // Spark's joiner and projection are generated code: made only for the results RowAppender cannot append
    UnsafeRowJoiner joiner = appender != null ? null
        : GenerateUnsafeRowJoiner.create(inputSchema, new StructType().add("_r", resultType));
    UnsafeProjection resultRow = appender != null ? null : UnsafeProjection.create(new DataType[] {resultType});
    GenericInternalRow holder = new GenericInternalRow(1);
    return new Iterator<>() {
      private long row;

      @Override
      public boolean hasNext() {
        return results.hasNext();
      }

      @Override
      public InternalRow next() {
        if (!results.hasNext()) throw new NoSuchElementException();
        Object result = results.next();
        InternalRow in = waiting.poll();
        if (in == null) throw new IllegalStateException("a result came back for a row that was never sent");
        Object value = values.toInternal(result, resultType, onMismatch, what, row++);
        if (appender != null) return appender.append((UnsafeRow) in, value);
        holder.update(0, value);
        return joiner.join((UnsafeRow) in, resultRow.apply(holder));
      }
    };
  }
}
