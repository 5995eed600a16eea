package dev.pyworkers.arrow.internal;

import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskInput;
import dev.pyworkers.spi.TaskOutput;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One task of an iterator Arrow eval type (docs/protocol.md section 7.4): the writer sends the input's schema, then
 * each caller batch as it is, as {@link ScalarExchange} does; the reader takes any number of result batches, each
 * loaded into a new {@link VectorSchemaRoot} of the caller's allocator, after checking the worker's result schema
 * against the declared one. With {@link Rows#OF_INPUT} the rows out may never pass the rows sent and must equal
 * them at the end. The frames' Arrow memory comes from a child allocator of the task, closed by {@link #close}.
 * The count of rows sent is shared by the writer (adds) and the reader (reads); the rest is confined to one side.
 */
public final class StreamExchange implements TaskExchange {

  /** What the result rows owe the input rows. */
  public enum Rows {
    /** Any number of result rows (mapInPandas, mapInArrow). */
    ANY,
    /** As many result rows as input rows, in order (the scalar iterator UDFs). */
    OF_INPUT
  }

  private final String evalName;
  private final String udfName;
  private final Rows rows;
  private final int[] argOffsets;
  private final Schema resultSchema;
  private final TaskMemory memory;
  private final TaskInfo task;
  private final AtomicLong rowsSent = new AtomicLong();

  // reader thread
  private boolean schemaRead;
  private long batchesRead;
  private long rowsRead;

  public StreamExchange(String evalName, String udfName, Rows rows, int[] argOffsets, Schema resultSchema,
      BufferAllocator caller, TaskInfo task) {
    this.evalName = evalName;
    this.udfName = udfName;
    this.rows = rows;
    this.argOffsets = argOffsets.clone();
    this.resultSchema = resultSchema;
    this.task = task;
    this.memory = new TaskMemory(caller, evalName, task);
  }

  @Override
  public void writeInput(TaskInput in) throws IOException {
    // the row count is noted before the frame goes: its answer cannot come sooner
    PlainInput.write(in, evalName, schema -> checkOffsets(schema, in.partition()), rowsSent::addAndGet, null);
  }

  private void checkOffsets(Schema schema, int partition) {
    int columns = schema.getFields().size();
    for (int o : argOffsets) {
      if (o >= columns) {
        throw new IllegalArgumentException("the UDF (" + udfName + ") of " + evalName + " reads column " + o
            + ", but the input batches of partition " + partition + " have " + columns + " columns "
            + schema.getFields().stream().map(Field::getName).toList() + "; give argument offsets below " + columns);
      }
    }
  }

  @Override
  public void onFrame(byte[] frame, TaskOutput out) throws IOException {
    if (!IpcFrames.isMessage(frame)) {
      throw out.protocolError("an output frame of " + frame.length + " bytes of a " + evalName + " task does not"
          + " start with the Arrow IPC continuation marker 0xFFFFFFFF");
    }
    if (!schemaRead) {
      checkResultSchema(IpcFrames.resultSchema(frame, out, evalName));
      schemaRead = true;
      return;
    }
    try (ArrowRecordBatch batch = memory.read(frame)) {
      rowsRead += batch.getLength();
      if (rows == Rows.OF_INPUT && rowsRead > rowsSent.get()) {
        throw new PythonWorkerException("result batch " + batchesRead + " of " + evalName + " (UDF " + udfName
            + ") brings the result rows to " + rowsRead + ", more than the " + rowsSent.get() + " input rows sent"
            + " (Python worker pid " + task.workerPid() + ", partition " + task.partition() + ")");
      }
      VectorSchemaRoot root = memory.toCaller(batch, resultSchema);
      batchesRead++;
      out.emit(root);
    }
  }

  /** The worker's result schema must be the declared one, names and types, before any result batch is read. */
  private void checkResultSchema(Schema got) {
    String mismatch = ResultSchemas.mismatch(resultSchema, got, true);
    if (mismatch != null) {
      throw new PythonWorkerException("the UDF (" + udfName + ") of " + evalName + " sent result schema " + got
          + " before result batch 0, but its declared result schema is " + resultSchema + ": " + mismatch
          + " (Python worker pid " + task.workerPid() + ", partition " + task.partition() + ")");
    }
  }

  @Override
  public String unanswered() {
    if (rows == Rows.ANY || rowsRead == rowsSent.get()) return null;
    return "the " + evalName + " task ended with " + rowsRead + " result rows for " + rowsSent.get()
        + " input rows: an iterator UDF returns one value per input row";
  }

  @Override
  public void close() {
    memory.close();
  }
}
