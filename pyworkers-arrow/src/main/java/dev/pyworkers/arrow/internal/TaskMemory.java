package dev.pyworkers.arrow.internal;

import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.spi.TaskInfo;
import java.io.IOException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Arrow memory of one task, the same for every Arrow exchange: a child of the caller's allocator for the result
 * frames it reads, closed once when the task ends, and the result batches themselves, loaded into new roots of the
 * caller's own allocator, which the caller closes. Reads are confined to the task's reading thread.
 */
final class TaskMemory implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(TaskMemory.class.getName());

  private final String evalName;
  private final BufferAllocator caller;
  private final BufferAllocator frames;
  private final TaskInfo task;

  TaskMemory(BufferAllocator caller, String evalName, TaskInfo task) {
    this.evalName = evalName;
    this.task = task;
    this.caller = caller;
    this.frames = caller.newChildAllocator("pyworkers-arrow " + evalName + " partition " + task.partition()
        + " pid " + task.workerPid(), 0, caller.getLimit());
  }

  /**
   * A record batch message of the worker, its buffers in this task's allocator; the caller closes it. A frame that
   * holds no record batch (a second schema, or metadata or buffer bounds Arrow cannot parse) is a protocol error of
   * the worker naming what Arrow found; running out of Arrow memory stays what it is.
   */
  ArrowRecordBatch read(byte[] frame) {
    try {
      return IpcFrames.readBatch(frame, frames);
    } catch (OutOfMemoryException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw task.protocolError("an output frame (" + frame.length + " bytes) of a " + evalName + " task is not a"
          + " valid Arrow IPC record batch message, which every result frame after the schema must be: " + e);
    }
  }

  /** The record batch a shared-memory frame names (section 7.10), its buffers in this task's allocator. */
  ArrowRecordBatch read(SharedMemoryBatches shm, byte[] frame) throws IOException {
    return shm.read(frame, frames);
  }

  /** {@code batch} as a new root of {@code schema} in the caller's allocator: the vectors take its buffers over. */
  VectorSchemaRoot toCaller(ArrowRecordBatch batch, Schema schema) {
    String nulls = ResultSchemas.nullsInNonNullable(schema, batch);
    if (nulls != null) {
      throw new PythonWorkerException("a result batch of a " + evalName + " task does not fit its declared schema "
          + schema + ": " + nulls + " (Python worker pid " + task.workerPid() + ", partition " + task.partition()
          + ")");
    }
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, caller);
    try {
      new VectorLoader(root).load(batch);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
    return root;
  }

  @Override
  public void close() {
    try {
      frames.close();
    } catch (RuntimeException e) {
      // a leak in this module: the caller's allocator.close() reports it too, with the same accounting
      LOG.log(System.Logger.Level.ERROR, "the Arrow memory of a " + evalName + " task was not all freed", e);
    }
  }
}
