package dev.pyworkers.arrow.internal;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.ColumnMatch;
import dev.pyworkers.spi.Commands;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What the grouped map and the cogrouped map codecs and their builders share: the one function, its declared result
 * schema, whether it gets the key as its first argument, how its result columns meet the schema, and the batch
 * limit; and the part of their commands these make (docs/protocol.md sections 7.5 and 7.8). A builder holds one and
 * replaces it on each option; its codec keeps the last. Immutable.
 *
 * @param function the UDF
 * @param resultSchema the declared schema of its results, with at least one field
 * @param keyArgument whether it is called with the key first
 * @param match how its result columns meet {@code resultSchema}
 * @param limit the longest input and result batches
 */
public record MapUdf(PythonFunction function, Schema resultSchema, boolean keyArgument, ColumnMatch match,
    BatchLimit limit) {
  public MapUdf {
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(resultSchema, "resultSchema");
    Objects.requireNonNull(match, "match");
    Objects.requireNonNull(limit, "limit");
  }

  /**
   * {@code function} returning rows of {@code resultSchema}, with the defaults: no key argument, columns matched by
   * name, {@link BatchLimit#DEFAULT}. {@code kind} names the UDF kind in the message when the schema has no fields.
   */
  public static MapUdf of(PythonFunction function, Schema resultSchema, String kind) {
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(resultSchema, "resultSchema");
    if (resultSchema.getFields().isEmpty()) {
      throw new IllegalArgumentException("the result schema of " + kind + " " + function.functionName()
          + " has no fields; declare at least one column");
    }
    return new MapUdf(function, resultSchema, false, ColumnMatch.BY_NAME, BatchLimit.DEFAULT);
  }

  public MapUdf withKeyArgument() {
    return new MapUdf(function, resultSchema, true, match, limit);
  }

  public MapUdf withMatch(ColumnMatch match) {
    return new MapUdf(function, resultSchema, keyArgument, Objects.requireNonNull(match, "match"), limit);
  }

  /** Fails naming {@code maxRecordsPerBatch} when {@code records} is below 1. */
  public MapUdf withMaxRecords(int records) {
    return new MapUdf(function, resultSchema, keyArgument, match, limit.withRecords(records));
  }

  /** Fails naming {@code maxBytesPerBatch} when {@code bytes} is below 1. */
  public MapUdf withMaxBytes(long bytes) {
    return new MapUdf(function, resultSchema, keyArgument, match, limit.withBytes(bytes));
  }

  /** The function's name, for messages: its name, else its text, else {@code <cloudpickled>}. */
  public String name() {
    return nameOf(function);
  }

  /** {@code f}'s name, for messages: its name, else its text, else {@code <cloudpickled>}. */
  public static String nameOf(PythonFunction f) {
    if (f.functionName() != null) return f.functionName();
    return f.text() != null ? f.text() : "<cloudpickled>";
  }

  /**
   * Writes what follows the key columns in the command: the key argument flag, the column match (0 by name, 1 by
   * position), the max records per batch, the function as a chain of one, then {@code resultSchemaMessage} (the
   * result schema as an IPC message, made once by the codec) with its length.
   */
  public void writeCommand(DataOutputStream out, byte[] resultSchemaMessage) throws IOException {
    out.writeInt(keyArgument ? 1 : 0);
    out.writeInt(match == ColumnMatch.BY_NAME ? 0 : 1);
    out.writeInt(limit.records());
    Commands.writeChain(out, List.of(function));
    out.writeInt(resultSchemaMessage.length);
    out.write(resultSchemaMessage);
  }
}
