package dev.pyworkers.spark.internal;

import dev.pyworkers.PythonRunner;
import dev.pyworkers.RecordFormat;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import java.util.Iterator;
import java.util.UUID;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * {@code f(partition_index, iterator)} over each partition of an RDD of {@code byte[]} or {@code String} records
 * (NON_UDF), as PySpark's {@code mapPartitionsWithIndex}: the records stream to the executor's pooled workers and
 * the function's records stream back, any number of them. Serializable, built on the driver.
 *
 * @param <T> the records, {@code byte[]} or {@code String}, in and out
 */
public final class PartitionsJob<T> implements FlatMapFunction<Iterator<T>, T> {
  private static final long serialVersionUID = 1L;

  private final String id = UUID.randomUUID().toString();
  private final FunctionSpec function;
  private final String python;
  private final RecordFormat format;

  public PartitionsJob(FunctionSpec function, String python, RecordFormat format) {
    this.function = function;
    this.python = python;
    this.format = format;
  }

  @Override
  @SuppressWarnings("unchecked") // the runner gives back the records of the format asked for: T
  public Iterator<T> call(Iterator<T> input) {
    org.apache.spark.TaskContext spark = org.apache.spark.TaskContext.get();
    if (spark == null) throw new IllegalStateException("a pyworkers mapPartitions runs only inside a Spark task");
    ExecutorWorkers.Lease lease = ExecutorWorkers.runner(id, registry -> {
      String exe = function.executable(python);
      return PythonRunner.builder(registry).nonUdf(function.toFunction(exe)).inputFormat(format)
          .outputFormat(format).pythonExecutable(exe).build();
    });
    TaskContext ctx = SparkTasks.context(spark);
    TaskResults<Object> results = SparkTasks.start(spark, ctx, lease, input);
    return (Iterator<T>) (Iterator<?>) results;
  }
}
