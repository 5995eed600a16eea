package dev.pyworkers.arrow.internal;

import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.arrow.ArrowUdf;
import dev.pyworkers.arrow.SharedMemory;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskInput;
import dev.pyworkers.spi.TaskOutput;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One scalar Arrow task (docs/protocol.md section 7): the writer sends the input's schema, then each caller batch as
 * it is (one of at least the shared-memory threshold as a file, section 7.10); the reader checks the result schema
 * against the declared one, then loads each result batch into a new {@link VectorSchemaRoot} of the caller's
 * allocator, checked against the row count of its input batch. The frames' Arrow memory comes from a child allocator
 * of the task, and its files from a private folder, both freed by {@link #close}. The queue of sent row counts is
 * shared by the writer (adds) and the reader (polls); everything else is confined to its side's thread.
 */
public final class ScalarExchange implements TaskExchange {

  private final String evalName;
  private final List<ArrowUdf> udfs;
  private final Schema resultSchema;
  private final TaskMemory memory;
  private final TaskInfo task;
  private final SharedMemoryBatches shm;
  /** Row count of each input batch sent and not yet answered, in order. */
  private final ConcurrentLinkedQueue<Integer> unansweredRows = new ConcurrentLinkedQueue<>();

  // reader thread
  private boolean schemaRead;
  private long batchesRead;

  public ScalarExchange(String evalName, List<ArrowUdf> udfs, Schema resultSchema, BufferAllocator caller,
      TaskInfo task, SharedMemory sharedMemory) {
    this.evalName = evalName;
    this.udfs = udfs;
    this.resultSchema = resultSchema;
    this.task = task;
    this.memory = new TaskMemory(caller, evalName, task);
    this.shm = new SharedMemoryBatches(sharedMemory, evalName, task);
  }

  @Override
  public void writeInput(TaskInput in) throws IOException {
    // the row count is noted before the frame goes: its answer cannot come sooner
    PlainInput.write(in, evalName, schema -> checkOffsets(schema, in.partition()), unansweredRows::add, shm);
  }

  private void checkOffsets(Schema schema, int partition) {
    int columns = schema.getFields().size();
    for (int i = 0; i < udfs.size(); i++) {
      for (int o : udfs.get(i).argOffsets()) {
        if (o >= columns) {
          throw new IllegalArgumentException("UDF " + (i + 1) + " (" + udfs.get(i).name() + ") of " + evalName
              + " reads column " + o + ", but the input batches of partition " + partition + " have " + columns
              + " columns " + schema.getFields().stream().map(Field::getName).toList()
              + "; give argument offsets below " + columns);
        }
      }
    }
  }

  @Override
  public void onFrame(byte[] frame, TaskOutput out) throws IOException {
    boolean file = schemaRead && SharedMemoryFrame.kindOf(frame) == SharedMemoryFrame.BATCH;
    if (!file && !IpcFrames.isMessage(frame)) {
      throw out.protocolError("an output frame of " + frame.length + " bytes of a " + evalName + " task does not"
          + " start with the Arrow IPC continuation marker 0xFFFFFFFF" + (schemaRead ? " and is no SHM_BATCH frame"
          : ""));
    }
    if (!schemaRead) {
      checkResultSchema(IpcFrames.resultSchema(frame, out, evalName));
      schemaRead = true;
      return;
    }
    Integer expected = unansweredRows.poll();
    if (expected == null) {
      throw out.protocolError("result batch " + batchesRead + " of a " + evalName + " task arrived, but only "
          + batchesRead + " input batches were sent");
    }
    try (ArrowRecordBatch batch = file ? memory.read(shm, frame) : memory.read(frame)) {
      if (batch.getLength() != expected) {
        throw new PythonWorkerException("result batch " + batchesRead + " of " + evalName + " (UDFs " + names()
            + ") has " + batch.getLength() + " rows, but input batch " + batchesRead + " has " + expected
            + " (Python worker pid " + task.workerPid() + ", partition " + task.partition() + ")");
      }
      VectorSchemaRoot root = memory.toCaller(batch, resultSchema);
      batchesRead++;
      shm.answered();
      out.emit(root);
    }
  }

  /** The worker's result schema must be the declared one, field by field, before any result batch is read. */
  private void checkResultSchema(Schema got) {
    List<Field> fields = got.getFields();
    if (fields.size() != udfs.size()) {
      throw new PythonWorkerException("the result schema of a " + evalName + " task has " + fields.size()
          + " columns " + got + ", but there are " + udfs.size() + " UDFs " + names() + " (Python worker pid "
          + task.workerPid() + ", partition " + task.partition() + ")");
    }
    for (int i = 0; i < fields.size(); i++) {
      Field want = resultSchema.getFields().get(i);
      if (!want.getType().equals(fields.get(i).getType())) {
        throw new PythonWorkerException("UDF " + (i + 1) + " (" + udfs.get(i).name() + ") of " + evalName
            + " returned Arrow type " + fields.get(i).getType() + " in result batch " + batchesRead
            + ", but its declared result type is " + want.getType() + " (Python worker pid " + task.workerPid()
            + ", partition " + task.partition() + ")");
      }
      String mismatch = ResultSchemas.mismatch(want, fields.get(i), want.getName());
      if (mismatch != null) {
        throw new PythonWorkerException("UDF " + (i + 1) + " (" + udfs.get(i).name() + ") of " + evalName
            + " returned a result that does not have its declared type " + ResultSchemas.show(want) + ": "
            + mismatch + " (Python worker pid " + task.workerPid() + ", partition " + task.partition() + ")");
      }
    }
  }

  private List<String> names() {
    return udfs.stream().map(ArrowUdf::name).toList();
  }

  @Override
  public String unanswered() {
    int left = unansweredRows.size();
    if (left == 0) return null;
    return left + " input batches of the " + evalName + " task got no result batch (the first of them is input"
        + " batch " + batchesRead + "): a scalar UDF answers every input batch with one result batch";
  }

  @Override
  public void close() {
    shm.close();
    memory.close();
  }
}
