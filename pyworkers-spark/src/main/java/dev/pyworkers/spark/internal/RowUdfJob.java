package dev.pyworkers.spark.internal;

import dev.pyworkers.OnMismatch;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.PythonUdf;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.UUID;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;

/**
 * A Python row UDF over some columns of a {@code Dataset<Row>}, its result added as the last column or in place of
 * one: on each
 * executor, each partition's rows go through the executor's pooled workers as one SQL_BATCHED_UDF task, and each
 * output row is its input row with the result after it, in order. The rows whose results are still on the way wait
 * in a queue; how many that is is bounded by the worker's batch and the socket buffers, not by the partition.
 * Serializable, built on the driver; its runner is made once per executor.
 */
public final class RowUdfJob implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final String id = UUID.randomUUID().toString();
  private final FunctionSpec function;
  private final String python;
  private final int[] columns;
  private final DataType resultType;
  private final OnMismatch onMismatch;
  private final int batchSize;
  private final SparkValues values;
  private final String what;
  private final int target;

  /** {@code target}: the index of the column the result replaces, or -1 to add it after the others. */
  public RowUdfJob(FunctionSpec function, String python, int[] columns, DataType resultType, OnMismatch onMismatch,
      int batchSize, SparkValues values, String what, int target) {
    this.function = function;
    this.python = python;
    this.columns = columns.clone();
    this.resultType = resultType;
    this.onMismatch = onMismatch;
    this.batchSize = batchSize;
    this.values = values;
    this.what = what;
    this.target = target;
  }

  private PythonRunner runner() {
    return ExecutorWorkers.runner(id, registry -> {
      String exe = function.executable(python);
      // core converts to a plain type first (and reports those mismatches itself, naming row and value);
      // SparkValues narrows to Spark's types
      PythonFunction f = function.toFunction(exe).withReturnType(SparkValues.coreType(resultType), onMismatch);
      int[] offsets = new int[columns.length];
      for (int i = 0; i < offsets.length; i++) offsets[i] = i;
      return PythonRunner.builder(registry).udf(PythonUdf.of(offsets, f)).batchSize(batchSize)
          .pythonExecutable(exe).build();
    });
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    org.apache.spark.TaskContext spark = org.apache.spark.TaskContext.get();
    if (spark == null) throw new IllegalStateException(what + " runs only inside a Spark task");
    TaskContext ctx = SparkTasks.context(spark);
    ArrayDeque<Row> waiting = new ArrayDeque<>();
    Iterator<Object[]> args = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return input.hasNext();
      }

      @Override
      public Object[] next() {
        Row r = input.next();
        Object[] a = new Object[columns.length];
        for (int i = 0; i < a.length; i++) a[i] = values.toPython(r.get(columns[i]));
        synchronized (waiting) {
          waiting.addLast(r);
        }
        return a;
      }
    };
    TaskResults<Object> results = runner().compute(args, spark.partitionId(), ctx);
    SparkTasks.closeOnCompletion(spark, ctx, results);
    return new Iterator<>() {
      private long row;

      @Override
      public boolean hasNext() {
        return results.hasNext();
      }

      @Override
      public Row next() {
        if (!results.hasNext()) throw new NoSuchElementException();
        Object result = results.next();
        Row in;
        synchronized (waiting) {
          in = waiting.pollFirst();
        }
        if (in == null) throw new IllegalStateException("a result came back for a row that was never sent");
        Object converted = values.toSpark(result, resultType, onMismatch, what, row++);
        Object[] out = new Object[target < 0 ? in.length() + 1 : in.length()];
        for (int i = 0; i < in.length(); i++) out[i] = in.get(i);
        out[target < 0 ? in.length() : target] = converted;
        return RowFactory.create(out);
      }
    };
  }
}
