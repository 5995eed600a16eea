package dev.pyworkers.arrow;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.internal.BatchLimit;
import dev.pyworkers.arrow.internal.GroupedExchange;
import dev.pyworkers.arrow.internal.IpcFrames;
import dev.pyworkers.arrow.internal.MapUdf;
import dev.pyworkers.arrow.internal.MemoryAccess;
import dev.pyworkers.spi.EvalTypeCodec;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The grouped map eval types, SQL_GROUPED_MAP_PANDAS_UDF (201, {@code applyInPandas}) and SQL_GROUPED_MAP_ARROW_UDF
 * (209, {@code applyInArrow}), as a codec for {@code PythonRunner.builder(registry).evalType(codec)}. A task's input
 * elements are {@link ArrowGroup}s (the caller's, or {@link ArrowGroups#sortedBy}'s); the function gets each group
 * whole, as a {@code pandas.DataFrame} or a {@code pyarrow.Table} ({@code f(df)}, or {@code f(key, df)} with
 * {@link Builder#withKeyArgument()}), and returns any number of rows of the declared result schema. The results are
 * {@code VectorSchemaRoot}s of that schema, at most {@link Builder#maxRecordsPerBatch} rows each, allocated from
 * {@code allocator}: the caller owns and closes each. docs/protocol.md section 7.5 has the bytes. Immutable and
 * thread-safe.
 */
public final class GroupedMapCodec implements EvalTypeCodec {
  /**
   * The default of {@link Builder#maxRecordsPerBatch}, Spark's {@code spark.sql.execution.arrow.maxRecordsPerBatch}.
   */
  public static final int DEFAULT_MAX_RECORDS_PER_BATCH = BatchLimit.DEFAULT_RECORDS;

  private final EvalType evalType;
  private final String handler;
  private final BufferAllocator allocator;
  private final MapUdf udf;
  private final byte[] resultSchemaMessage;
  private final int[] keyColumns;

  private GroupedMapCodec(Builder b, EvalType evalType, String handler) {
    MemoryAccess.require();
    this.evalType = evalType;
    this.handler = handler;
    this.allocator = b.allocator;
    this.udf = b.udf;
    this.resultSchemaMessage = IpcFrames.schemaMessage(udf.resultSchema());
    this.keyColumns = b.keyColumns.clone();
  }

  /** A grouped map UDF {@code function} whose results have {@code resultSchema}. */
  public static Builder builder(BufferAllocator allocator, PythonFunction function, Schema resultSchema) {
    return new Builder(allocator, function, resultSchema);
  }

  public Schema resultSchema() {
    return udf.resultSchema();
  }

  public int maxRecordsPerBatch() {
    return udf.limit().records();
  }

  /** Input batches larger than about this many bytes are cut before they are sent. */
  public long maxBytesPerBatch() {
    return udf.limit().bytes();
  }

  /** The function's name, for messages. */
  public String name() {
    return udf.name();
  }

  @Override
  public EvalType evalType() {
    return evalType;
  }

  @Override
  public String handler() {
    return handler;
  }

  @Override
  public List<PythonFunction> functions() {
    return List.of(udf.function());
  }

  /** docs/protocol.md section 7.5: key columns, key argument, column match, max records, the function, schema. */
  @Override
  public void writeCommand(DataOutputStream out) throws IOException {
    out.writeInt(keyColumns.length);
    for (int c : keyColumns) out.writeInt(c);
    udf.writeCommand(out, resultSchemaMessage);
  }

  @Override
  public TaskExchange newExchange(TaskInfo task) {
    return new GroupedExchange(evalType.name(), name(), keyColumns, "key column", udf.resultSchema(), udf.limit(), -1,
        allocator, task);
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final BufferAllocator allocator;
    private MapUdf udf;
    private int[] keyColumns = new int[0];

    private Builder(BufferAllocator allocator, PythonFunction function, Schema resultSchema) {
      this.allocator = Objects.requireNonNull(allocator, "allocator");
      this.udf = MapUdf.of(function, resultSchema, "grouped map UDF");
    }

    /** The key columns (indices in the input batches); the key the function gets is their values. Default none. */
    public Builder keyColumns(int... columns) {
      Objects.requireNonNull(columns, "key columns");
      if (columns.length > 1000) {
        throw new IllegalArgumentException("a grouped map UDF has at most 1000 key columns, got " + columns.length);
      }
      for (int c : columns) {
        if (c < 0) {
          throw new IllegalArgumentException("key column " + c + " must be >= 0: it is a column index of the"
              + " input batches");
        }
      }
      this.keyColumns = columns.clone();
      return this;
    }

    /** Calls {@code f(key, df)}, key a tuple of the group's key values, instead of {@code f(df)}. */
    public Builder withKeyArgument() {
      this.udf = udf.withKeyArgument();
      return this;
    }

    /** How result columns meet the declared schema. Default {@link ColumnMatch#BY_NAME}. */
    public Builder match(ColumnMatch match) {
      this.udf = udf.withMatch(match);
      return this;
    }

    /** Input and result batches longer than this many rows are cut. Default 10,000; 1 to 2^31-1. */
    public Builder maxRecordsPerBatch(int records) {
      this.udf = udf.withMaxRecords(records);
      return this;
    }

    /**
     * Input batches larger than about this many bytes (by their average row size) are cut too; a single row larger
     * than this goes alone. Default 64 MiB, Spark's {@code spark.sql.execution.arrow.maxBytesPerBatch}; >= 1.
     */
    public Builder maxBytesPerBatch(long bytes) {
      this.udf = udf.withMaxBytes(bytes);
      return this;
    }

    /** SQL_GROUPED_MAP_PANDAS_UDF: the function takes and returns a {@code pandas.DataFrame}. */
    public GroupedMapCodec pandas() {
      return new GroupedMapCodec(this, ArrowEvalTypes.SQL_GROUPED_MAP_PANDAS_UDF,
          "pyworkers.arrow.grouped_pandas:HANDLER");
    }

    /** SQL_GROUPED_MAP_ARROW_UDF: the function takes and returns a {@code pyarrow.Table}. */
    public GroupedMapCodec arrow() {
      return new GroupedMapCodec(this, ArrowEvalTypes.SQL_GROUPED_MAP_ARROW_UDF, "pyworkers.arrow.grouped:HANDLER");
    }
  }
}
