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
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The grouped aggregate eval types, SQL_GROUPED_AGG_PANDAS_UDF (202) and SQL_GROUPED_AGG_ARROW_UDF (252), as a codec
 * for {@code PythonRunner.builder(registry).evalType(codec)}. Input elements are {@link ArrowGroup}s, as for
 * {@link GroupedMapCodec}; each UDF gets its argument columns of a whole group ({@code pandas.Series} or {@code
 * pyarrow.Array}) and returns one value. The results are one {@code VectorSchemaRoot} of one row per group with
 * rows, columns {@code _0.._{n-1}} of the UDFs' declared types, allocated from {@code allocator}: the caller owns and
 * closes each. docs/protocol.md section 7.6 has the bytes. Immutable and thread-safe.
 */
public final class GroupedAggCodec implements EvalTypeCodec {
  private final EvalType evalType;
  private final String handler;
  private final BufferAllocator allocator;
  private final List<ArrowUdf> udfs;
  private final Schema resultSchema;
  private final byte[] resultSchemaMessage;
  private final int[] columns;

  private GroupedAggCodec(EvalType evalType, String handler, BufferAllocator allocator, List<ArrowUdf> udfs) {
    MemoryAccess.require();
    this.evalType = evalType;
    this.handler = handler;
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    this.udfs = ArrowUdf.checkedCopy(evalType, udfs, "");
    TreeSet<Integer> read = new TreeSet<>();
    for (ArrowUdf u : this.udfs) {
      for (int o : u.argOffsets()) read.add(o);
    }
    this.resultSchema = ArrowUdf.resultSchema(this.udfs);
    this.resultSchemaMessage = IpcFrames.schemaMessage(resultSchema);
    this.columns = read.stream().mapToInt(Integer::intValue).toArray();
  }

  /** SQL_GROUPED_AGG_PANDAS_UDF: each function takes one {@code pandas.Series} per argument, returns a scalar. */
  public static GroupedAggCodec pandas(BufferAllocator allocator, List<ArrowUdf> udfs) {
    return new GroupedAggCodec(ArrowEvalTypes.SQL_GROUPED_AGG_PANDAS_UDF, "pyworkers.arrow.grouped_agg_pandas:HANDLER",
        allocator, udfs);
  }

  /** SQL_GROUPED_AGG_ARROW_UDF: each function takes one {@code pyarrow.Array} per argument, returns one value. */
  public static GroupedAggCodec arrow(BufferAllocator allocator, List<ArrowUdf> udfs) {
    return new GroupedAggCodec(ArrowEvalTypes.SQL_GROUPED_AGG_ARROW_UDF, "pyworkers.arrow.grouped_agg:HANDLER",
        allocator, udfs);
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

  /** docs/protocol.md section 7.6: the command of section 7.1 (UDFs, offsets, chains, result schema). */
  @Override
  public void writeCommand(DataOutputStream out) throws IOException {
    out.writeInt(udfs.size());
    for (ArrowUdf u : udfs) u.writeCommand(out);
    out.writeInt(resultSchemaMessage.length);
    out.write(resultSchemaMessage);
  }

  @Override
  public TaskExchange newExchange(TaskInfo task) {
    return new GroupedExchange(evalType.name(), ArrowUdf.names(udfs), columns, "argument column", resultSchema,
        BatchLimit.DEFAULT, 1, allocator, task);
  }
}
