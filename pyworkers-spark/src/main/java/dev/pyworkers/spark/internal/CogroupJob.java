package dev.pyworkers.spark.internal;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.ArrowCogroups;
import dev.pyworkers.arrow.CogroupedMapCodec;
import dev.pyworkers.spi.EvalTypeCodec;
import java.util.Iterator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.api.java.function.FlatMapFunction2;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * cogroup(...).applyInPandas (and applyInArrow) over two Datasets' internal rows that Spark has partitioned alike
 * by their key columns (same key types, same number of partitions) and sorted by them: partition i of each side
 * holds the same keys, and each key's two runs (either may be empty) go to the function together. Serializable.
 */
public final class CogroupJob extends ArrowJob
    implements FlatMapFunction2<Iterator<InternalRow>, Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  private final boolean pandas;
  private final boolean keyArgument;
  private final StructType leftSchema;
  private final int[] leftKeys;
  private final StructType rightSchema;
  private final int[] rightKeys;

  public CogroupJob(boolean pandas, boolean keyArgument, FunctionSpec function, String python, String zone,
      int maxRecords, StructType leftSchema, int[] leftKeys, StructType rightSchema, int[] rightKeys,
      StructType resultSchema, String what) {
    super(function, python, zone, maxRecords, resultSchema, what);
    this.pandas = pandas;
    this.keyArgument = keyArgument;
    this.leftSchema = leftSchema;
    this.leftKeys = leftKeys.clone();
    this.rightSchema = rightSchema;
    this.rightKeys = rightKeys.clone();
    arrow(leftSchema);
    arrow(rightSchema);
  }

  @Override
  protected EvalTypeCodec codec(BufferAllocator memory, PythonFunction f, Schema result) {
    CogroupedMapCodec.Builder b = CogroupedMapCodec.builder(memory, f, arrow(leftSchema), arrow(rightSchema), result)
        .keyColumns(leftKeys, rightKeys).maxRecordsPerBatch(maxRecords());
    if (keyArgument) b.withKeyArgument();
    return pandas ? b.pandas() : b.arrow();
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> left, Iterator<InternalRow> right) {
    ArrowBatches l = batches(left, leftSchema);
    ArrowBatches r = batches(right, rightSchema);
    return run(ArrowCogroups.sortedBy(l, leftKeys, r, rightKeys), l, r);
  }
}
