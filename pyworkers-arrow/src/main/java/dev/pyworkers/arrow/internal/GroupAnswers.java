package dev.pyworkers.arrow.internal;

import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The worker-to-JVM side of the grouped layouts (docs/protocol.md 7.5 to 7.8), the same for groups, window
 * partitions and cogroups: the result schema message, checked against the declared one before any batch; result
 * batches, each loaded into a new root of the caller's allocator; and GROUP_END frames, each matched to the oldest
 * group sent and checked against the rows that arrived for it and against the eval type's own rule
 * ({@link AnswerRule}). The queue of sent groups is shared by the writer (adds, through {@link #sent}) and the
 * reader (polls); everything else is the reader's.
 */
final class GroupAnswers implements AutoCloseable {

  /** A group sent and not yet answered. */
  static final class Pending {
    final long index;
    final List<Object> key;
    volatile long rows; // set by the writer before its GROUP_END, which the worker's GROUP_END follows

    Pending(long index, List<Object> key) {
      this.index = index;
      this.key = key;
    }
  }

  /** What an eval type asks of the row count a group is answered with, beyond its arriving whole. */
  @FunctionalInterface
  interface AnswerRule {
    /** Throws a {@code PythonWorkerException} when {@code rows} result rows are not a valid answer to {@code g}. */
    void check(Pending g, long rows);

    AnswerRule ANY = (g, rows) -> { };
  }

  private final String evalName;
  private final String udfName;
  private final String group; // "group", "cogroup": for messages
  private final Schema resultSchema;
  private final AnswerRule rule;
  private final TaskMemory memory;
  private final TaskInfo task;
  private final ConcurrentLinkedQueue<Pending> unanswered = new ConcurrentLinkedQueue<>();

  // reader thread
  private boolean schemaRead;
  private long resultRows; // rows of the current group's results so far
  private long answered;

  GroupAnswers(String evalName, String udfName, String group, Schema resultSchema, AnswerRule rule,
      BufferAllocator caller, TaskInfo task) {
    this.evalName = evalName;
    this.udfName = udfName;
    this.group = group;
    this.resultSchema = resultSchema;
    this.rule = rule;
    this.task = task;
    this.memory = new TaskMemory(caller, evalName, task);
  }

  /** Writer: group {@code index} is about to be sent; call before its GROUP_START, as its answer may follow. */
  Pending sent(long index, List<Object> key) {
    Pending p = new Pending(index, key);
    unanswered.add(p);
    return p;
  }

  /** Reader: one frame of the worker's data section. */
  void onFrame(byte[] frame, TaskOutput out) throws IOException {
    if (!IpcFrames.isMessage(frame)) {
      onControl(frame, out);
      return;
    }
    if (!schemaRead) {
      checkResultSchema(IpcFrames.resultSchema(frame, out, evalName));
      schemaRead = true;
      return;
    }
    if (unanswered.isEmpty()) {
      throw out.protocolError("a result batch of a " + evalName + " task arrived after all " + answered + " "
          + group + "s sent were answered");
    }
    try (ArrowRecordBatch batch = memory.read(frame)) {
      VectorSchemaRoot root = memory.toCaller(batch, resultSchema);
      resultRows += root.getRowCount();
      out.emit(root);
    }
  }

  private void onControl(byte[] frame, TaskOutput out) {
    if (frame.length != ControlFrame.LENGTH || ControlFrame.kindOf(frame) != ControlFrame.GROUP_END) {
      throw out.protocolError("an output frame of " + frame.length + " bytes of a " + evalName + " task is"
          + " neither an Arrow IPC message (0xFFFFFFFF first) nor an 8-byte GROUP_END control frame (kind 2)"
          + (frame.length >= 4 ? ": its kind is " + ByteBuffer.wrap(frame).getInt(0) : ""));
    }
    Pending g = unanswered.poll();
    if (g == null) {
      throw out.protocolError("a GROUP_END of a " + evalName + " task arrived, but all " + answered + " " + group
          + "s sent were answered");
    }
    int claimed = ControlFrame.payloadOf(frame);
    if (claimed != resultRows) {
      throw out.protocolError("the GROUP_END of " + group + " " + g.index + " (key " + g.key + ") of a " + evalName
          + " task says " + claimed + " result rows, but " + resultRows + " arrived");
    }
    rule.check(g, claimed);
    resultRows = 0;
    answered++;
  }

  /** The worker's result schema must be the declared one, all the way down, before any result batch is read. */
  private void checkResultSchema(Schema got) {
    String mismatch = ResultSchemas.mismatch(resultSchema, got, true);
    if (mismatch != null) {
      throw new PythonWorkerException("the result schema of " + evalName + " UDF " + udfName + " is " + got
          + ", but the declared one is " + resultSchema + ": " + mismatch + " (" + where() + ")");
    }
  }

  /** "Python worker pid P, partition N", for messages. */
  String where() {
    return "Python worker pid " + task.workerPid() + ", partition " + task.partition();
  }

  /** Null when every group sent was answered, else what is missing. */
  String unanswered() {
    Pending first = unanswered.peek();
    if (first == null) return null;
    return unanswered.size() + " " + group + "s of the " + evalName + " task got no GROUP_END (the first of them is "
        + group + " " + first.index + ", key " + first.key + "): the worker answers every " + group + " it is sent";
  }

  @Override
  public void close() {
    memory.close();
  }
}
