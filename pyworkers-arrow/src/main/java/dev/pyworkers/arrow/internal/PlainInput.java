package dev.pyworkers.arrow.internal;

import dev.pyworkers.spi.TaskInput;
import java.io.IOException;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The plain input layout of the scalar, iterator and map eval types (docs/protocol.md section 7.2): the first batch's
 * schema message, then each of the caller's batches as a record batch message, all of one schema; large ones of a
 * scalar task through shared memory (section 7.10). Writer thread.
 */
final class PlainInput {
  private PlainInput() {}

  /**
   * Writes {@code in}'s batches. {@code checkSchema} sees the first batch's schema before anything is sent (it
   * throws {@link IllegalArgumentException} for a schema the UDFs cannot read); {@code beforeBatch} gets each batch's
   * row count just before its frame, so that the reader may expect its answer. With {@code shm} (null for none), the
   * task's shared-memory folder is announced before the schema and large batches go through it (section 7.10).
   */
  static void write(TaskInput in, String evalName, Consumer<Schema> checkSchema, IntConsumer beforeBatch,
      SharedMemoryBatches shm) throws IOException {
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
        checkSchema.accept(first);
        byte[] folder = shm == null ? null : shm.open();
        if (folder != null) in.writeFrame(folder);
        sink.reset();
        IpcFrames.writeSchema(first, sink);
        in.writeFrame(sink.buffer(), 0, sink.size());
      } else if (!first.equals(root.getSchema())) {
        throw new IllegalArgumentException("input batch " + index + " of partition " + in.partition()
            + " has schema " + root.getSchema() + ", but batch 0 had " + first
            + "; every input batch of one " + evalName + " task must have the same schema");
      }
      if (shm != null && !shm.awaitSlot(in)) return;
      byte[] file = shm == null ? null : shm.write(root);
      if (file != null) {
        beforeBatch.accept(root.getRowCount());
        in.writeFrame(file);
      } else {
        sink.reset();
        IpcFrames.writeBatch(root, sink);
        beforeBatch.accept(root.getRowCount());
        in.writeFrame(sink.buffer(), 0, sink.size());
      }
      index++;
      in.recordsIn(index);
      in.progress();
      if (in.stopRequested()) return;
    }
  }
}
