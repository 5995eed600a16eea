package dev.pyworkers.arrow;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.internal.IpcFrames;
import dev.pyworkers.arrow.internal.MemoryAccess;
import dev.pyworkers.arrow.internal.ScalarExchange;
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
 * The scalar Arrow eval types, SQL_SCALAR_PANDAS_UDF (200), SQL_SCALAR_ARROW_UDF (250) and SQL_ARROW_BATCHED_UDF
 * (101, plain row functions fed from Arrow batches), as a codec for {@code
 * PythonRunner.builder(registry).evalType(codec)}. A task's input elements are the caller's {@code VectorSchemaRoot}
 * batches (the caller owns them and must keep each open until the task has ended; without shared memory each is
 * serialized before the next is asked for, so the caller may refill one batch instead; serialized as they are, never
 * copied row by row); its results are one {@code VectorSchemaRoot} per input batch, with the input batch's row
 * count and one column {@code _i} per UDF, of its declared type, allocated from {@code allocator}: the caller owns
 * and closes each. Each task takes its own Arrow memory from a child of {@code allocator}, closed when the task
 * ends. Batches of at least a threshold go through a private folder in shared memory rather than the socket ({@link
 * SharedMemory}, {@link #withSharedMemory}). docs/protocol.md section 7 has the bytes. Immutable and thread-safe.
 */
public final class ScalarArrowCodec implements EvalTypeCodec {
  /** The handler modules this module's jar bundles ({@code pyworkers/arrow}). */
  static final String ARROW_HANDLER = "pyworkers.arrow.scalar:HANDLER";
  static final String PANDAS_HANDLER = "pyworkers.arrow.scalar_pandas:HANDLER";
  static final String ROWS_HANDLER = "pyworkers.arrow.batched:HANDLER";

  private final EvalType evalType;
  private final String handler;
  private final BufferAllocator allocator;
  private final List<ArrowUdf> udfs;
  private final Schema resultSchema;
  private final byte[] resultSchemaMessage;
  private final SharedMemory sharedMemory;

  private ScalarArrowCodec(EvalType evalType, String handler, BufferAllocator allocator, List<ArrowUdf> udfs) {
    this(evalType, handler, allocator, udfs, SharedMemory.fromSystemProperties());
  }

  private ScalarArrowCodec(EvalType evalType, String handler, BufferAllocator allocator, List<ArrowUdf> udfs,
      SharedMemory sharedMemory) {
    MemoryAccess.require();
    this.sharedMemory = Objects.requireNonNull(sharedMemory, "sharedMemory");
    this.evalType = evalType;
    this.handler = handler;
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    this.udfs = ArrowUdf.checkedCopy(evalType, udfs, "");
    this.resultSchema = ArrowUdf.resultSchema(this.udfs);
    this.resultSchemaMessage = IpcFrames.schemaMessage(resultSchema);
  }

  /** SQL_SCALAR_PANDAS_UDF: each function takes one {@code pandas.Series} per argument column, returns a Series. */
  public static ScalarArrowCodec pandas(BufferAllocator allocator, List<ArrowUdf> udfs) {
    return new ScalarArrowCodec(ArrowEvalTypes.SQL_SCALAR_PANDAS_UDF, PANDAS_HANDLER, allocator, udfs);
  }

  /** SQL_SCALAR_ARROW_UDF: each function takes one {@code pyarrow.Array} per argument column, returns an Array. */
  public static ScalarArrowCodec arrow(BufferAllocator allocator, List<ArrowUdf> udfs) {
    return new ScalarArrowCodec(ArrowEvalTypes.SQL_SCALAR_ARROW_UDF, ARROW_HANDLER, allocator, udfs);
  }

  /**
   * SQL_ARROW_BATCHED_UDF: each function is a plain Python function of one row's values ({@code None} for null),
   * called once per row; its results are converted to the declared type without loss or fail naming the row
   * (docs/protocol.md section 7.9). Needs pyarrow in the workers, not pandas.
   */
  public static ScalarArrowCodec rows(BufferAllocator allocator, List<ArrowUdf> udfs) {
    return new ScalarArrowCodec(ArrowEvalTypes.SQL_ARROW_BATCHED_UDF, ROWS_HANDLER, allocator, udfs);
  }

  /**
   * This codec with {@code sharedMemory} in place of its shared-memory settings, which are by default those of the
   * system properties {@code pyworkers.arrow.sharedMemory*} when the codec was made ({@link
   * SharedMemory#fromSystemProperties}).
   */
  public ScalarArrowCodec withSharedMemory(SharedMemory sharedMemory) {
    return new ScalarArrowCodec(evalType, handler, allocator, udfs, sharedMemory);
  }

  /** The shared-memory settings this codec sends large batches with. */
  public SharedMemory sharedMemory() {
    return sharedMemory;
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

  /** docs/protocol.md section 7.1: the UDFs with their offsets and chains, then the result schema message. */
  @Override
  public void writeCommand(DataOutputStream out) throws IOException {
    out.writeInt(udfs.size());
    for (ArrowUdf u : udfs) u.writeCommand(out);
    out.writeInt(resultSchemaMessage.length);
    out.write(resultSchemaMessage);
  }

  @Override
  public TaskExchange newExchange(TaskInfo task) {
    return new ScalarExchange(evalType.name(), udfs, resultSchema, allocator, task, sharedMemory);
  }
}
