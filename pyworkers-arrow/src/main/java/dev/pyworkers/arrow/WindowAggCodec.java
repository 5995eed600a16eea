package dev.pyworkers.arrow;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.internal.BatchLimit;
import dev.pyworkers.arrow.internal.GroupedExchange;
import dev.pyworkers.arrow.internal.IpcFrames;
import dev.pyworkers.arrow.internal.MemoryAccess;
import dev.pyworkers.spi.EvalTypeCodec;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The window eval types, SQL_WINDOW_AGG_PANDAS_UDF (203) and SQL_WINDOW_AGG_ARROW_UDF (253), as a codec for {@code
 * PythonRunner.builder(registry).evalType(codec)}. Input elements are {@link ArrowGroup}s, one per window partition
 * (the caller's, or {@link ArrowGroups#sortedBy}), which may span many batches; a partition without rows is not
 * sent. Each UDF has its argument columns, its declared result type and its {@link WindowFrame}, and returns one
 * value per frame: {@code pandas.Series} in, a scalar out (203), or {@code pyarrow.Array}s in, a scalar out (253).
 *
 * <p>The results are one row per input row of each partition, in input order: {@code VectorSchemaRoot}s of {@link
 * #resultSchema()} (columns {@code _0.._{n-1}}, one per UDF, of their declared types), allocated from {@code
 * allocator}, each of at most {@link #maxRecordsPerBatch()} rows; the caller owns and closes each. A result batch
 * never holds rows of two partitions: a partition is answered by one batch, or by several when it has more rows
 * than the maximum, so partition p's rows are the results that follow partition p - 1's. The task checks that each
 * partition is answered with exactly as many rows as it has, and fails naming the UDFs, the partition (its index
 * and key) and both counts otherwise. docs/protocol.md section 7.7 has the bytes. Immutable and thread-safe.
 */
public final class WindowAggCodec implements EvalTypeCodec {
  private static final ArrowType INT32 = new ArrowType.Int(32, true);

  private final EvalType evalType;
  private final String handler;
  private final BufferAllocator allocator;
  private final List<ArrowUdf> udfs;
  private final List<WindowFrame> frames;
  private final BatchLimit limit;
  private final Schema resultSchema;
  private final byte[] resultSchemaMessage;
  private final int[] columns;

  private WindowAggCodec(Builder b, EvalType evalType, String handler) {
    MemoryAccess.require();
    this.evalType = evalType;
    this.handler = handler;
    this.allocator = b.allocator;
    this.udfs = ArrowUdf.checkedCopy(evalType, b.udfs, "; add them with udf(ArrowUdf, WindowFrame)");
    this.frames = List.copyOf(b.frames);
    this.limit = b.limit;
    TreeSet<Integer> read = new TreeSet<>();
    for (int i = 0; i < udfs.size(); i++) {
      for (int o : udfs.get(i).argOffsets()) read.add(o);
      WindowFrame f = frames.get(i);
      if (f.kind() == WindowFrame.Kind.BOUNDS) {
        read.add(f.lowerColumn());
        read.add(f.upperColumn());
      }
    }
    this.resultSchema = ArrowUdf.resultSchema(udfs);
    this.resultSchemaMessage = IpcFrames.schemaMessage(resultSchema);
    this.columns = read.stream().mapToInt(Integer::intValue).toArray();
  }

  /** A builder of UDFs and their frames over {@code allocator}, the allocator of the result batches. */
  public static Builder builder(BufferAllocator allocator) {
    return new Builder(allocator);
  }

  /**
   * The schema of every result batch: {@code _0.._{n-1}}, of the UDFs' declared types and nullability (an
   * {@code ArrowType} declares a nullable column, a {@code Field} keeps its own).
   */
  public Schema resultSchema() {
    return resultSchema;
  }

  public List<ArrowUdf> udfs() {
    return udfs;
  }

  /** The frame of each UDF, in the order of {@link #udfs()}. */
  public List<WindowFrame> frames() {
    return frames;
  }

  public int maxRecordsPerBatch() {
    return limit.records();
  }

  /** Input batches larger than about this many bytes are cut before they are sent. */
  public long maxBytesPerBatch() {
    return limit.bytes();
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
    return ArrowUdf.functions(udfs);
  }

  /** docs/protocol.md section 7.7: per UDF its offsets, chain and frame; max records; the result schema. */
  @Override
  public void writeCommand(DataOutputStream out) throws IOException {
    out.writeInt(udfs.size());
    for (int i = 0; i < udfs.size(); i++) {
      udfs.get(i).writeCommand(out);
      frames.get(i).write(out);
    }
    out.writeInt(limit.records());
    out.writeInt(resultSchemaMessage.length);
    out.write(resultSchemaMessage);
  }

  @Override
  public TaskExchange newExchange(TaskInfo task) {
    return new GroupedExchange(evalType.name(), ArrowUdf.names(udfs), columns, "argument or bound column", resultSchema,
        limit, GroupedExchange.ROWS_OF_THE_GROUP, allocator, task, this::checkInput);
  }

  /** Every argument and bound column is in the input, and every bound column is int32. */
  private void checkInput(Schema schema, int partition) {
    List<Field> fields = schema.getFields();
    for (int i = 0; i < udfs.size(); i++) {
      String udf = "UDF " + (i + 1) + " (" + udfs.get(i).name() + ") of " + evalType.name();
      for (int o : udfs.get(i).argOffsets()) {
        if (o >= fields.size()) {
          throw new IllegalArgumentException("argument column " + o + " of " + udf + " is not a column of the"
              + " input batches of partition " + partition + ", which have " + fields.size() + " columns "
              + names(schema) + "; give column indices below " + fields.size());
        }
      }
      WindowFrame f = frames.get(i);
      if (f.kind() != WindowFrame.Kind.BOUNDS) continue;
      for (int c : new int[] {f.lowerColumn(), f.upperColumn()}) {
        String side = c == f.lowerColumn() ? "lower" : "upper";
        if (c >= fields.size()) {
          throw new IllegalArgumentException("the " + side + " bound column " + c + " of " + udf + " is not a"
              + " column of the input batches of partition " + partition + ", which have " + fields.size()
              + " columns " + names(schema));
        }
        if (!INT32.equals(fields.get(c).getType())) {
          throw new IllegalArgumentException("the " + side + " bound column " + c + " ('" + fields.get(c).getName()
              + "') of " + udf + " is of type " + fields.get(c).getType() + "; window bounds are int32 row"
              + " indices into the partition (cast the column to Int(32, true))");
        }
      }
    }
  }

  private static List<String> names(Schema schema) {
    return schema.getFields().stream().map(Field::getName).toList();
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final BufferAllocator allocator;
    private final List<ArrowUdf> udfs = new ArrayList<>();
    private final List<WindowFrame> frames = new ArrayList<>();
    private BatchLimit limit = BatchLimit.DEFAULT;

    private Builder(BufferAllocator allocator) {
      this.allocator = Objects.requireNonNull(allocator, "allocator");
    }

    /** Adds a UDF over {@code frame}; its result is column {@code _i}, i counted from 0 in the order of adding. */
    public Builder udf(ArrowUdf udf, WindowFrame frame) {
      udfs.add(Objects.requireNonNull(udf, "udf"));
      frames.add(Objects.requireNonNull(frame, "frame"));
      return this;
    }

    /** Input and result batches longer than this many rows are cut. Default 10,000; 1 to 2^31-1. */
    public Builder maxRecordsPerBatch(int records) {
      this.limit = limit.withRecords(records);
      return this;
    }

    /**
     * Input batches larger than about this many bytes (by their average row size) are cut too; a single row larger
     * than this goes alone. Default 64 MiB, Spark's {@code spark.sql.execution.arrow.maxBytesPerBatch}; >= 1.
     */
    public Builder maxBytesPerBatch(long bytes) {
      this.limit = limit.withBytes(bytes);
      return this;
    }

    /** SQL_WINDOW_AGG_PANDAS_UDF: each function takes one {@code pandas.Series} per argument, returns a scalar. */
    public WindowAggCodec pandas() {
      return new WindowAggCodec(this, ArrowEvalTypes.SQL_WINDOW_AGG_PANDAS_UDF,
          "pyworkers.arrow.window_pandas:HANDLER");
    }

    /** SQL_WINDOW_AGG_ARROW_UDF: each function takes one {@code pyarrow.Array} per argument, returns one value. */
    public WindowAggCodec arrow() {
      return new WindowAggCodec(this, ArrowEvalTypes.SQL_WINDOW_AGG_ARROW_UDF, "pyworkers.arrow.window:HANDLER");
    }
  }
}
