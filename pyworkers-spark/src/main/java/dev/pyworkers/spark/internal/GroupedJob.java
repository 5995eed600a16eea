package dev.pyworkers.spark.internal;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.ArrowGroups;
import dev.pyworkers.arrow.GroupedMapCodec;
import dev.pyworkers.spi.EvalTypeCodec;
import java.util.Iterator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * groupBy(...).applyInPandas (and applyInArrow) over a Dataset's internal rows that Spark has partitioned by the key
 * columns and sorted by them within each partition: the runs of equal keys are the groups, each given to the
 * function whole (across as many batches as it spans), which returns any number of rows of the declared schema.
 * Serializable.
 */
public final class GroupedJob extends ArrowJob implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  private final boolean pandas;
  private final boolean keyArgument;
  private final StructType inputSchema;
  private final int[] keys;

  public GroupedJob(boolean pandas, boolean keyArgument, FunctionSpec function, String python, String zone,
      int maxRecords, StructType inputSchema, int[] keys, StructType resultSchema, String what) {
    super(function, python, zone, maxRecords, resultSchema, what);
    this.pandas = pandas;
    this.keyArgument = keyArgument;
    this.inputSchema = inputSchema;
    this.keys = keys.clone();
    arrow(inputSchema);
  }

  @Override
  protected EvalTypeCodec codec(BufferAllocator memory, PythonFunction f, Schema result) {
    GroupedMapCodec.Builder b = GroupedMapCodec.builder(memory, f, result).keyColumns(keys)
        .maxRecordsPerBatch(maxRecords());
    if (keyArgument) b.withKeyArgument();
    return pandas ? b.pandas() : b.arrow();
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
    ArrowBatches batches = batches(rows, inputSchema);
    return run(ArrowGroups.sortedBy(batches, keys), batches);
  }
}
