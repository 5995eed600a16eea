package dev.pyworkers.arrow;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.internal.BatchLimit;
import dev.pyworkers.arrow.internal.CogroupedExchange;
import dev.pyworkers.arrow.internal.IpcFrames;
import dev.pyworkers.arrow.internal.MapUdf;
import dev.pyworkers.arrow.internal.MemoryAccess;
import dev.pyworkers.spi.EvalTypeCodec;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The cogrouped map eval types, SQL_COGROUPED_MAP_PANDAS_UDF (206, {@code cogroup(...).applyInPandas}) and
 * SQL_COGROUPED_MAP_ARROW_UDF (210, {@code applyInArrow}), as a codec for
 * {@code PythonRunner.builder(registry).evalType(codec)}. A task's input elements are {@link ArrowCogroup}s (the
 * caller's, or {@link ArrowCogroups#sortedBy}'s), whose sides have the declared left and right schemas; the function
 * gets each cogroup whole, its two sides as {@code pandas.DataFrame}s or {@code pyarrow.Table}s ({@code f(left,
 * right)}, or {@code f(key, left, right)} with {@link Builder#withKeyArgument()}; a side without rows is an empty
 * frame of its side's columns), and returns any number of rows of the declared result schema. The results are
 * {@code VectorSchemaRoot}s of that schema, at most {@link Builder#maxRecordsPerBatch} rows each, allocated from
 * {@code allocator}: the caller owns and closes each. docs/protocol.md section 7.8 has the bytes. Immutable and
 * thread-safe.
 */
public final class CogroupedMapCodec implements EvalTypeCodec {
  /**
   * The default of {@link Builder#maxRecordsPerBatch}, Spark's {@code spark.sql.execution.arrow.maxRecordsPerBatch}.
   */
  public static final int DEFAULT_MAX_RECORDS_PER_BATCH = BatchLimit.DEFAULT_RECORDS;

  private final EvalType evalType;
  private final String handler;
  private final BufferAllocator allocator;
  private final MapUdf udf;
  private final Schema leftSchema;
  private final Schema rightSchema;
  private final byte[] resultSchemaMessage;
  private final int[] leftKeys;
  private final int[] rightKeys;

  private CogroupedMapCodec(Builder b, EvalType evalType, String handler) {
    MemoryAccess.require();
    this.evalType = evalType;
    this.handler = handler;
    this.allocator = b.allocator;
    this.udf = b.udf;
    this.leftSchema = b.leftSchema;
    this.rightSchema = b.rightSchema;
    this.resultSchemaMessage = IpcFrames.schemaMessage(udf.resultSchema());
    this.leftKeys = b.leftKeys.clone();
    this.rightKeys = b.rightKeys.clone();
  }

  /**
   * A cogrouped map UDF {@code function} over cogroups whose sides have {@code leftSchema} and {@code rightSchema},
   * returning rows of {@code resultSchema}.
   */
  public static Builder builder(BufferAllocator allocator, PythonFunction function, Schema leftSchema,
      Schema rightSchema, Schema resultSchema) {
    return new Builder(allocator, function, leftSchema, rightSchema, resultSchema);
  }

  public Schema leftSchema() {
    return leftSchema;
  }

  public Schema rightSchema() {
    return rightSchema;
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

  /**
   * docs/protocol.md section 7.8: left key columns, right key columns, key argument, column match, max records, the
   * function, the result schema.
   */
  @Override
  public void writeCommand(DataOutputStream out) throws IOException {
    for (int[] keys : List.of(leftKeys, rightKeys)) {
      out.writeInt(keys.length);
      for (int c : keys) out.writeInt(c);
    }
    udf.writeCommand(out, resultSchemaMessage);
  }

  @Override
  public TaskExchange newExchange(TaskInfo task) {
    return new CogroupedExchange(evalType.name(), name(), leftSchema, rightSchema, udf.resultSchema(), udf.limit(),
        allocator, task);
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final BufferAllocator allocator;
    private final Schema leftSchema;
    private final Schema rightSchema;
    private MapUdf udf;
    private int[] leftKeys = new int[0];
    private int[] rightKeys = new int[0];

    private Builder(BufferAllocator allocator, PythonFunction function, Schema leftSchema, Schema rightSchema,
        Schema resultSchema) {
      this.allocator = Objects.requireNonNull(allocator, "allocator");
      Objects.requireNonNull(function, "function");
      this.leftSchema = Objects.requireNonNull(leftSchema, "leftSchema");
      this.rightSchema = Objects.requireNonNull(rightSchema, "rightSchema");
      this.udf = MapUdf.of(function, resultSchema, "cogrouped map UDF");
    }

    /**
     * The key columns of each side (indices in its batches, the same number on both sides; default none). The key
     * the function gets is their values in the left side's first row, or the right side's when the left is empty.
     */
    public Builder keyColumns(int[] left, int[] right) {
      Objects.requireNonNull(left, "left key columns");
      Objects.requireNonNull(right, "right key columns");
      if (left.length != right.length) {
        throw new IllegalArgumentException("cogrouped map UDF " + udf.name() + " has "
            + left.length + " left key columns " + Arrays.toString(left) + " and " + right.length
            + " right key columns " + Arrays.toString(right) + "; give both sides the same number of keys");
      }
      if (left.length > 1000) {
        throw new IllegalArgumentException("a cogrouped map UDF has at most 1000 key columns, got " + left.length);
      }
      check(left, leftSchema, "left");
      check(right, rightSchema, "right");
      this.leftKeys = left.clone();
      this.rightKeys = right.clone();
      return this;
    }

    private void check(int[] columns, Schema schema, String side) {
      int n = schema.getFields().size();
      for (int c : columns) {
        if (c < 0 || c >= n) {
          throw new IllegalArgumentException("key column " + c + " of the " + side + " side of cogrouped map UDF "
              + udf.name() + " is not a column of its declared schema, which has " + n
              + " columns " + schema.getFields().stream().map(Field::getName).toList()
              + "; give key columns from 0 to " + (n - 1));
        }
      }
    }

    /** Calls {@code f(key, left, right)}, key a tuple of the cogroup's key values, not {@code f(left, right)}. */
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

    /** SQL_COGROUPED_MAP_PANDAS_UDF: the function takes two {@code pandas.DataFrame}s and returns one. */
    public CogroupedMapCodec pandas() {
      return new CogroupedMapCodec(this, ArrowEvalTypes.SQL_COGROUPED_MAP_PANDAS_UDF,
          "pyworkers.arrow.cogrouped_pandas:HANDLER");
    }

    /** SQL_COGROUPED_MAP_ARROW_UDF: the function takes two {@code pyarrow.Table}s and returns a Table. */
    public CogroupedMapCodec arrow() {
      return new CogroupedMapCodec(this, ArrowEvalTypes.SQL_COGROUPED_MAP_ARROW_UDF,
          "pyworkers.arrow.cogrouped:HANDLER");
    }
  }
}
