package dev.pyworkers.arrow.internal;

import dev.pyworkers.arrow.ArrowCogroup;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskInput;
import dev.pyworkers.spi.TaskOutput;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One cogrouped map task (docs/protocol.md section 7.8). The writer sends the two declared input schemas once,
 * before the first cogroup, then per cogroup with a row on either side: GROUP_START, the left side's batches,
 * LEFT_END with the left row count, the right side's batches, GROUP_END with the right row count (zero-row batches
 * left out, longer ones cut by the {@link BatchLimit}; every batch checked against its side's declared schema). A
 * cogroup without rows is not sent. The reader is {@link GroupAnswers}, the grouped map's, through which the writer
 * and the reader share the cogroups sent; everything else is confined to its side's thread.
 */
public final class CogroupedExchange implements TaskExchange {

  private final String evalName;
  private final String udfName;
  private final Schema leftSchema;
  private final Schema rightSchema;
  private final BatchLimit limit;
  private final GroupAnswers answers;

  // writer thread
  private final IpcFrames.Sink sink = new IpcFrames.Sink(64 * 1024);
  private boolean schemasSent;


  public CogroupedExchange(String evalName, String udfName, Schema leftSchema, Schema rightSchema,
      Schema resultSchema, BatchLimit limit, BufferAllocator caller, TaskInfo task) {
    this.evalName = evalName;
    this.udfName = udfName;
    this.leftSchema = leftSchema;
    this.rightSchema = rightSchema;
    this.limit = limit;
    this.answers = new GroupAnswers(evalName, udfName, "cogroup", resultSchema, GroupAnswers.AnswerRule.ANY, caller,
        task);
  }

  @Override
  public void writeInput(TaskInput in) throws IOException {
    long index = 0;
    while (in.hasNext()) {
      Object e = in.next();
      if (!(e instanceof ArrowCogroup cogroup)) {
        throw new IllegalArgumentException("input element " + index + " of partition " + in.partition() + " is "
            + (e == null ? "null" : "a " + e.getClass().getName()) + "; " + evalName + " input elements are"
            + " dev.pyworkers.arrow.ArrowCogroup cogroups (ArrowCogroup.of, or ArrowCogroups.sortedBy)");
      }
      if (index > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("partition " + in.partition() + " has more than " + Integer.MAX_VALUE
            + " cogroups; split it into several tasks");
      }
      try (cogroup) {
        Cogroup c = new Cogroup(in, index, cogroup.key());
        long left = c.side(cogroup.left(), "left", leftSchema);
        if (c.started) in.writeFrame(ControlFrame.LEFT_END.encode((int) left));
        long right = c.side(cogroup.right(), "right", rightSchema);
        if (c.started) in.writeFrame(ControlFrame.GROUP_END.encode((int) right));
      }
      index++;
      in.recordsIn(index);
      if (in.stopRequested()) return;
    }
  }

  /** The writing of one cogroup: its frames go out from its first row on. Writer thread. */
  private final class Cogroup {
    private final TaskInput in;
    private final long index;
    private final List<Object> key;
    boolean started;

    Cogroup(TaskInput in, long index, List<Object> key) {
      this.in = in;
      this.index = index;
      this.key = key;
    }

    /** Writes a side's batches after checking each; returns its row count. */
    long side(Iterator<VectorSchemaRoot> batches, String side, Schema declared) throws IOException {
      long rows = 0;
      long b = 0;
      while (batches.hasNext()) {
        VectorSchemaRoot root = batches.next();
        if (!declared.getFields().equals(root.getSchema().getFields())) {
          throw new IllegalArgumentException("batch " + b + " of the " + side + " side of cogroup " + index + " (key "
              + key + ") of partition " + in.partition() + " has schema " + root.getSchema() + ", but the declared "
              + side + " schema of " + evalName + " UDF " + udfName + " is " + declared + " (and the other side's "
              + (side.equals("left") ? rightSchema : leftSchema) + "); give each side batches of its declared"
              + " schema");
        }
        b++;
        int n = root.getRowCount();
        if (n == 0) continue;
        if (!started) start(side.equals("right"));
        limit.write(root, sink, in);
        rows += n;
        if (rows > Integer.MAX_VALUE) {
          throw new IllegalArgumentException("the " + side + " side of cogroup " + index + " (key " + key
              + ") of partition " + in.partition() + " has more than " + Integer.MAX_VALUE + " rows");
        }
      }
      return rows;
    }

    /** The schemas once per task, then GROUP_START (and an empty left side's LEFT_END, on its right side). */
    private void start(boolean onTheRight) throws IOException {
      if (!schemasSent) {
        for (Schema s : List.of(leftSchema, rightSchema)) {
          sink.reset();
          IpcFrames.writeSchema(s, sink);
          in.writeFrame(sink.buffer(), 0, sink.size());
        }
        schemasSent = true;
      }
      answers.sent(index, key); // before the frame: its answer cannot come sooner
      in.writeFrame(ControlFrame.GROUP_START.encode((int) index));
      if (onTheRight) in.writeFrame(ControlFrame.LEFT_END.encode(0));
      started = true;
    }
  }

  @Override
  public void onFrame(byte[] frame, TaskOutput out) throws IOException {
    answers.onFrame(frame, out);
  }

  @Override
  public String unanswered() {
    return answers.unanswered();
  }

  @Override
  public void close() {
    answers.close();
  }
}
