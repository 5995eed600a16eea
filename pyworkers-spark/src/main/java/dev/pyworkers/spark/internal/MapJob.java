package dev.pyworkers.spark.internal;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.MapArrowCodec;
import dev.pyworkers.spi.EvalTypeCodec;
import java.util.Iterator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * mapInPandas and mapInArrow over a Dataset's internal rows: each partition is one task whose function gets an
 * iterator of DataFrames (or RecordBatches) of at most the batch size and yields any number of rows of the declared
 * schema. Serializable.
 */
public final class MapJob extends ArrowJob implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  private final boolean pandas;
  private final StructType inputSchema;

  public MapJob(boolean pandas, FunctionSpec function, String python, String zone, int maxRecords,
      StructType inputSchema, StructType resultSchema, String what) {
    super(function, python, zone, maxRecords, resultSchema, what);
    this.pandas = pandas;
    this.inputSchema = inputSchema;
    arrow(inputSchema);
  }

  @Override
  protected EvalTypeCodec codec(BufferAllocator memory, PythonFunction f, Schema result) {
    return pandas ? MapArrowCodec.pandas(memory, f, result) : MapArrowCodec.arrow(memory, f, result);
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
    ArrowBatches batches = batches(rows, inputSchema);
    return run(batches, batches);
  }
}
