package dev.pyworkers.spark.internal;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.arrow.ArrowEvalTypes;
import dev.pyworkers.spi.EvalTypeCodec;
import java.io.Serializable;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.ArrowUtils;

/**
 * What the pandas and Arrow jobs on Datasets share: a function, its interpreter, the session time zone (the pandas
 * eval types give zoned timestamps to pandas as wall time of that zone, as PySpark does), the batch size, and the
 * declared result schema; one runner per executor for the job, built on its registry with the codec {@link #codec}
 * makes; and a task's life: the input elements go to the runner, the result batches come back as rows read in place,
 * and everything is closed when the Spark task completes. Serializable, built on the driver.
 */
public abstract class ArrowJob implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String id = UUID.randomUUID().toString();
  private final FunctionSpec function;
  private final String python;
  private final String zone;
  private final int maxRecords;
  private final StructType resultSchema;
  private final String what;

  protected ArrowJob(FunctionSpec function, String python, String zone, int maxRecords, StructType resultSchema,
      String what) {
    this.function = function;
    this.python = python;
    this.zone = zone;
    this.maxRecords = maxRecords;
    this.resultSchema = resultSchema;
    this.what = what;
    java.util.Set<String> names = new java.util.HashSet<>();
    for (String n : resultSchema.fieldNames()) {
      if (!names.add(n)) {
        throw new IllegalArgumentException(what + "'s result schema " + resultSchema.simpleString() + " has the"
            + " column name '" + n + "' twice; results are matched to it by name, so give each column its own");
      }
    }
    arrowSchema(resultSchema, zone, what + "'s result schema"); // fails now on a type Arrow cannot carry
  }

  /**
   * {@code schema} as the Arrow schema Spark's own Arrow writer and readers use (timestamps in {@code zone}); fails
   * naming {@code what} and the type when a column has no Arrow type.
   */
  public static Schema arrowSchema(StructType schema, String zone, String what) {
    try {
      return ArrowUtils.toArrowSchema(schema, zone, true, false);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(what + " " + schema.simpleString() + " cannot go through Arrow: "
          + e.getMessage() + "; cast such columns to a type Arrow carries (numbers, strings, binary, dates,"
          + " timestamps, decimals, and arrays, maps and structs of them)", e);
    }
  }

  /** The codec of this job's eval type for {@code f}, its results in {@code result}, its memory from {@code memory}. */
  protected abstract EvalTypeCodec codec(BufferAllocator memory, PythonFunction f, Schema result);

  protected final int maxRecords() {
    return maxRecords;
  }

  protected final String what() {
    return what;
  }

  /** {@code schema} in Arrow, in this job's time zone. */
  protected final Schema arrow(StructType schema) {
    return arrowSchema(schema, zone, what);
  }

  private ExecutorWorkers.Lease runner() {
    return ExecutorWorkers.runner(id, registry -> {
      String exe = function.executable(python);
      EvalTypeCodec codec = codec(ExecutorWorkers.allocator(), function.toFunction(exe), arrow(resultSchema));
      return PythonRunner.builder(registry).evalType(codec).pythonExecutable(exe)
          .conf(Map.of(ArrowEvalTypes.SESSION_TIME_ZONE, zone)).build();
    });
  }

  /**
   * Runs the Spark task's input elements ({@code input}: batches, groups or cogroups) as one pyworkers task and gives
   * the result rows; {@code inputs} (what {@code input} reads from) are closed after the task's results when the
   * Spark task completes.
   */
  protected final Iterator<InternalRow> run(Iterator<?> input, AutoCloseable... inputs) {
    return run(input, ArrowRows::new, inputs);
  }

  /** As {@link #run(Iterator, AutoCloseable...)}, the result batches made rows by {@code rowsOf}. */
  protected final <R extends Iterator<InternalRow> & AutoCloseable> Iterator<InternalRow> run(Iterator<?> input,
      Function<Iterator<Object>, R> rowsOf, AutoCloseable... inputs) {
    org.apache.spark.TaskContext spark = org.apache.spark.TaskContext.get();
    if (spark == null) throw new IllegalStateException(what + " runs only inside a Spark task");
    TaskContext ctx = SparkTasks.context(spark);
    AutoCloseable[] rows = new AutoCloseable[1]; // the result rows, made once the task has started
    AutoCloseable[] more = new AutoCloseable[inputs.length + 1];
    more[0] = () -> {
      if (rows[0] != null) rows[0].close();
    };
    System.arraycopy(inputs, 0, more, 1, inputs.length);
    TaskResults<Object> results = SparkTasks.start(spark, ctx, runner(), input, more);
    R out = rowsOf.apply(results);
    rows[0] = out;
    return out;
  }

  /** Spark's rows of {@code schema} as Arrow batches of this job, from the executor's Arrow memory. */
  protected final ArrowBatches batches(Iterator<InternalRow> rows, StructType schema) {
    return new ArrowBatches(rows, arrow(schema), ExecutorWorkers.allocator(), maxRecords);
  }
}
