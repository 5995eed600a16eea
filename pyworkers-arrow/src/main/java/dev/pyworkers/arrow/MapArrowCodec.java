package dev.pyworkers.arrow;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.internal.IpcFrames;
import dev.pyworkers.arrow.internal.MapUdf;
import dev.pyworkers.arrow.internal.MemoryAccess;
import dev.pyworkers.arrow.internal.StreamExchange;
import dev.pyworkers.spi.Commands;
import dev.pyworkers.spi.EvalTypeCodec;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * mapInPandas (SQL_MAP_PANDAS_ITER_UDF, 205) and mapInArrow (SQL_MAP_ARROW_ITER_UDF, 207) as a codec for {@code
 * PythonRunner.builder(registry).evalType(codec)}. The function gets an iterator over the task's input batches (a
 * {@code pandas.DataFrame} or a {@code pyarrow.RecordBatch} each, read from the socket as it asks for them) and
 * yields any number of DataFrames or batches with any number of rows. A task's input elements are the caller's
 * {@code VectorSchemaRoot} batches (kept open by the caller until the task has ended, or refilled once the next
 * is asked for: each is serialized, as it is, before the task asks for the next); its
 * results are one {@code VectorSchemaRoot} of {@code resultSchema} per batch the function yields, allocated from
 * {@code allocator}, owned and closed by the caller. A function that yields nothing gives no result. pandas results
 * are matched to the schema by name (a missing or an extra column is an error), Arrow results must have its names
 * and types exactly. docs/protocol.md section 7.4 has the bytes. Immutable and thread-safe.
 */
public final class MapArrowCodec implements EvalTypeCodec {
  static final String ARROW_HANDLER = "pyworkers.arrow.iterators:MAP_ARROW";
  static final String PANDAS_HANDLER = "pyworkers.arrow.iterators_pandas:MAP_PANDAS";

  private final EvalType evalType;
  private final String handler;
  private final BufferAllocator allocator;
  private final PythonFunction function;
  private final Schema resultSchema;
  private final byte[] resultSchemaMessage;

  private MapArrowCodec(EvalType evalType, String handler, BufferAllocator allocator, PythonFunction function,
      Schema resultSchema) {
    MemoryAccess.require();
    this.evalType = evalType;
    this.handler = handler;
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    this.function = Objects.requireNonNull(function, "function");
    this.resultSchema = Objects.requireNonNull(resultSchema, "resultSchema");
    Set<String> names = new HashSet<>();
    for (Field f : resultSchema.getFields()) {
      if (!names.add(f.getName())) {
        throw new IllegalArgumentException("the result schema " + resultSchema + " of " + evalType + " has the"
            + " column name '" + f.getName() + "' twice; results are matched by name, so give each column its own");
      }
    }
    this.resultSchemaMessage = IpcFrames.schemaMessage(resultSchema);
  }

  /** mapInPandas: {@code function(Iterator[DataFrame]) -> Iterator[DataFrame]} of {@code resultSchema}. */
  public static MapArrowCodec pandas(BufferAllocator allocator, PythonFunction function, Schema resultSchema) {
    return new MapArrowCodec(ArrowEvalTypes.SQL_MAP_PANDAS_ITER_UDF, PANDAS_HANDLER, allocator, function,
        resultSchema);
  }

  /** mapInArrow: {@code function(Iterator[RecordBatch]) -> Iterator[RecordBatch]} of {@code resultSchema}. */
  public static MapArrowCodec arrow(BufferAllocator allocator, PythonFunction function, Schema resultSchema) {
    return new MapArrowCodec(ArrowEvalTypes.SQL_MAP_ARROW_ITER_UDF, ARROW_HANDLER, allocator, function,
        resultSchema);
  }

  /** The schema of every result batch, as declared. */
  public Schema resultSchema() {
    return resultSchema;
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
    return List.of(function);
  }

  /** docs/protocol.md section 7.4: the function as a chain of one, then the result schema message. */
  @Override
  public void writeCommand(DataOutputStream out) throws IOException {
    Commands.writeChain(out, List.of(function));
    out.writeInt(resultSchemaMessage.length);
    out.write(resultSchemaMessage);
  }

  @Override
  public TaskExchange newExchange(TaskInfo task) {
    return new StreamExchange(evalType.name(), name(), StreamExchange.Rows.ANY, new int[0], resultSchema,
        allocator, task);
  }

  private String name() {
    return MapUdf.nameOf(function);
  }
}
