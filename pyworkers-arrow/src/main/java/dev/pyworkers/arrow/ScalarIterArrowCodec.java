package dev.pyworkers.arrow;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.internal.IpcFrames;
import dev.pyworkers.arrow.internal.MemoryAccess;
import dev.pyworkers.arrow.internal.StreamExchange;
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
 * The scalar iterator eval types, SQL_SCALAR_PANDAS_ITER_UDF (204) and SQL_SCALAR_ARROW_ITER_UDF (251), as a codec
 * for {@code PythonRunner.builder(registry).evalType(codec)}: one UDF of one function that gets an iterator over its
 * argument columns (a {@code pandas.Series} or {@code pyarrow.Array} per input batch, a tuple of them for several
 * columns) and yields results with as many rows in total as it got, in order. A task's input elements are the
 * caller's {@code VectorSchemaRoot} batches; its results are one {@code VectorSchemaRoot} with one column {@code _0}
 * of the declared type per result the function yields (their row counts need not match the input batches'; join
 * them back by row order), allocated from {@code allocator} and owned by the caller. docs/protocol.md section 7.4
 * has the bytes and the checks. Immutable and thread-safe.
 */
public final class ScalarIterArrowCodec implements EvalTypeCodec {
  static final String ARROW_HANDLER = "pyworkers.arrow.iterators:SCALAR_ARROW_ITER";
  static final String PANDAS_HANDLER = "pyworkers.arrow.iterators_pandas:SCALAR_PANDAS_ITER";

  private final EvalType evalType;
  private final String handler;
  private final BufferAllocator allocator;
  private final ArrowUdf udf;
  private final Schema resultSchema;
  private final byte[] resultSchemaMessage;

  private ScalarIterArrowCodec(EvalType evalType, String handler, BufferAllocator allocator, ArrowUdf udf) {
    MemoryAccess.require();
    this.evalType = evalType;
    this.handler = handler;
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    this.udf = Objects.requireNonNull(udf, "udf");
    if (udf.functions().size() != 1) {
      throw new IllegalArgumentException("the UDF " + udf.name() + " of " + evalType + " chains "
          + udf.functions().size() + " functions; an iterator UDF is one function (compose them in Python)");
    }
    this.resultSchema = new Schema(List.of(udf.resultColumn("_0")));
    this.resultSchemaMessage = IpcFrames.schemaMessage(resultSchema);
  }

  /** SQL_SCALAR_PANDAS_ITER_UDF: {@code Iterator[Series] -> Iterator[Series]}. */
  public static ScalarIterArrowCodec pandas(BufferAllocator allocator, ArrowUdf udf) {
    return new ScalarIterArrowCodec(ArrowEvalTypes.SQL_SCALAR_PANDAS_ITER_UDF, PANDAS_HANDLER, allocator, udf);
  }

  /** SQL_SCALAR_ARROW_ITER_UDF: {@code Iterator[pyarrow.Array] -> Iterator[pyarrow.Array]}. */
  public static ScalarIterArrowCodec arrow(BufferAllocator allocator, ArrowUdf udf) {
    return new ScalarIterArrowCodec(ArrowEvalTypes.SQL_SCALAR_ARROW_ITER_UDF, ARROW_HANDLER, allocator, udf);
  }

  /** The schema of every result batch: {@code _0}, of the UDF's declared type and nullability. */
  public Schema resultSchema() {
    return resultSchema;
  }

  public ArrowUdf udf() {
    return udf;
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
    return udf.functions();
  }

  /** The scalar command (docs/protocol.md section 7.1) with one UDF. */
  @Override
  public void writeCommand(DataOutputStream out) throws IOException {
    out.writeInt(1);
    udf.writeCommand(out);
    out.writeInt(resultSchemaMessage.length);
    out.write(resultSchemaMessage);
  }

  @Override
  public TaskExchange newExchange(TaskInfo task) {
    return new StreamExchange(evalType.name(), udf.name(), StreamExchange.Rows.OF_INPUT, udf.argOffsets(),
        resultSchema, allocator, task);
  }
}
