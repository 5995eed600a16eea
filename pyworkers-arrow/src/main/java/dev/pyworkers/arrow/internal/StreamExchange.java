package dev.pyworkers.arrow.internal;

import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskInput;
import dev.pyworkers.spi.TaskOutput;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
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
  private static final System.Logger LOG = System.getLogger(StreamExchange.class.getName());

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
  private final BufferAllocator caller;
  private final BufferAllocator memory;
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
    this.caller = caller;
    this.task = task;
    this.memory = caller.newChildAllocator("pyworkers-arrow " + evalName + " partition " + task.partition()
        + " pid " + task.workerPid(), 0, caller.getLimit());
  }

  @Override
  public void writeInput(TaskInput in) throws IOException {
    IpcFrames.Sink sink = new IpcFrames.Sink(64 * 1024);
    Schema first = null;
    long index = 0;
    while (in.hasNext()) {
      Object e = in.next();
      if (!(e instanceof VectorSchemaRoot root)) {
        throw new IllegalArgumentException("input element " + index + " of partition " + in.partition() + " is "
            + (e == null ? "null" : "a " + e.getClass().getName()) + "; " + evalName
            + " input elements are org.apache.arrow.vector.VectorSchemaRoot batches");
      }
      if (first == null) {
        first = root.getSchema();
        checkOffsets(first, in.partition());
        sink.reset();
        IpcFrames.writeSchema(first, sink);
        in.writeFrame(sink.buffer(), 0, sink.size());
      } else if (!first.equals(root.getSchema())) {
        throw new IllegalArgumentException("input batch " + index + " of partition " + in.partition()
            + " has schema " + root.getSchema() + ", but batch 0 had " + first
            + "; every input batch of one " + evalName + " task must have the same schema");
      }
      sink.reset();
      IpcFrames.writeBatch(root, sink);
      rowsSent.addAndGet(root.getRowCount()); // before the frame: its answer cannot come sooner
      in.writeFrame(sink.buffer(), 0, sink.size());
      index++;
      in.recordsIn(index);
      in.progress();
      if (in.stopRequested()) return;
    }
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
      checkResultSchema(IpcFrames.readSchema(frame));
      schemaRead = true;
      return;
    }
    try (ArrowRecordBatch batch = IpcFrames.readBatch(frame, memory)) {
      rowsRead += batch.getLength();
      if (rows == Rows.OF_INPUT && rowsRead > rowsSent.get()) {
        throw new PythonWorkerException("result batch " + batchesRead + " of " + evalName + " (UDF " + udfName
            + ") brings the result rows to " + rowsRead + ", more than the " + rowsSent.get() + " input rows sent"
            + " (Python worker pid " + task.workerPid() + ", partition " + task.partition() + ")");
      }
      VectorSchemaRoot root = VectorSchemaRoot.create(resultSchema, caller);
      try {
        new VectorLoader(root).load(batch); // the vectors take the body's buffers over into the caller's allocator
      } catch (RuntimeException e) {
        root.close();
        throw e;
      }
      batchesRead++;
      out.emit(root);
    }
  }

  /** The worker's result schema must be the declared one, names and types, before any result batch is read. */
  private void checkResultSchema(Schema got) {
    List<Field> want = resultSchema.getFields();
    List<Field> fields = got.getFields();
    boolean same = fields.size() == want.size();
    for (int i = 0; same && i < fields.size(); i++) {
      same = want.get(i).getName().equals(fields.get(i).getName())
          && want.get(i).getType().equals(fields.get(i).getType());
    }
    if (!same) {
      throw new PythonWorkerException("the UDF (" + udfName + ") of " + evalName + " sent result schema " + got
          + " before result batch 0, but its declared result schema is " + resultSchema + " (Python worker pid "
          + task.workerPid() + ", partition " + task.partition() + ")");
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
    try {
      memory.close();
    } catch (RuntimeException e) {
      // a leak in this module: the caller's allocator.close() reports it too, with the same accounting
      LOG.log(System.Logger.Level.ERROR, "the Arrow memory of a " + evalName + " task was not all freed", e);
    }
  }
}
