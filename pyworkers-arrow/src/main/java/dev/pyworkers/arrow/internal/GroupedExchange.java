package dev.pyworkers.arrow.internal;

import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.arrow.ArrowGroup;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskInput;
import dev.pyworkers.spi.TaskOutput;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiConsumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One grouped map task (docs/protocol.md section 7.5). The writer sends the input schema once, before the first
 * group, then per group with rows: GROUP_START, its batches (zero-row batches left out, longer ones cut at the
 * maximum record count), GROUP_END with its row count; a group without rows is not sent. The reader checks the
 * result schema against the declared one, loads each result batch into a new {@link VectorSchemaRoot} of the
 * caller's allocator, and matches each GROUP_END of the worker to the oldest group sent, checking its row count.
 * The queue of sent groups is shared by the writer (adds) and the reader (polls), and so is each sent group's row
 * count (volatile, written before its GROUP_END is sent); everything else is confined to its side's thread.
 */
public final class GroupedExchange implements TaskExchange {
  /** {@code rowsPerGroup} of a window: every group is answered with as many rows as it has. */
  public static final int ROWS_OF_THE_GROUP = -2;

  /** A group sent and not yet answered. */
  private static final class Sent {
    final long index;
    final List<Object> key;
    volatile long rows; // set by the writer before its GROUP_END, which the worker's GROUP_END follows

    Sent(long index, List<Object> key) {
      this.index = index;
      this.key = key;
    }

    long index() {
      return index;
    }

    List<Object> key() {
      return key;
    }
  }

  private final String evalName;
  private final String udfName;
  private final int[] keyColumns;
  private final String columnsAre;
  private final Schema resultSchema;
  private final BatchLimit limit;
  private final int rowsPerGroup;
  private final TaskMemory memory;
  private final TaskInfo task;
  private final BiConsumer<Schema, Integer> inputCheck;
  private final ConcurrentLinkedQueue<Sent> unanswered = new ConcurrentLinkedQueue<>();

  // reader thread
  private boolean schemaRead;
  private long resultRows; // rows of the current group's results so far
  private long groupsAnswered;

  /**
   * {@code columns} are the input columns the UDFs read ({@code columnsAre} says what they are, for messages);
   * {@code rowsPerGroup} is the exact result row count of every group (1 for an aggregate), -1 for any, or
   * {@link #ROWS_OF_THE_GROUP}.
   */
  public GroupedExchange(String evalName, String udfName, int[] columns, String columnsAre, Schema resultSchema,
      BatchLimit limit, int rowsPerGroup, BufferAllocator caller, TaskInfo task) {
    this(evalName, udfName, columns, columnsAre, resultSchema, limit, rowsPerGroup, caller, task, (s, p) -> { });
  }

  /**
   * As the other constructor, and {@code inputCheck} gets the input schema and the partition before anything is
   * sent, to throw an {@code IllegalArgumentException} for an input the UDFs cannot read.
   */
  public GroupedExchange(String evalName, String udfName, int[] columns, String columnsAre, Schema resultSchema,
      BatchLimit limit, int rowsPerGroup, BufferAllocator caller, TaskInfo task,
      BiConsumer<Schema, Integer> inputCheck) {
    this.evalName = evalName;
    this.udfName = udfName;
    this.keyColumns = columns;
    this.columnsAre = columnsAre;
    this.resultSchema = resultSchema;
    this.limit = limit;
    this.rowsPerGroup = rowsPerGroup;
    this.task = task;
    this.inputCheck = inputCheck;
    this.memory = new TaskMemory(caller, evalName, task);
  }

  @Override
  public void writeInput(TaskInput in) throws IOException {
    IpcFrames.Sink sink = new IpcFrames.Sink(64 * 1024);
    byte[] end = ControlFrame.GROUP_END.encode(0);
    Schema first = null;
    long index = 0;
    while (in.hasNext()) {
      Object e = in.next();
      if (!(e instanceof ArrowGroup group)) {
        throw new IllegalArgumentException("input element " + index + " of partition " + in.partition() + " is "
            + (e == null ? "null" : "a " + e.getClass().getName()) + "; " + evalName + " input elements are"
            + " dev.pyworkers.arrow.ArrowGroup groups (ArrowGroup.of, or ArrowGroups.sortedBy)");
      }
      if (index > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("partition " + in.partition() + " has more than " + Integer.MAX_VALUE
            + " groups; split it into several tasks");
      }
      try (group) {
        Sent sent = null;
        long rows = 0;
        Iterator<VectorSchemaRoot> batches = group.batches();
        while (batches.hasNext()) {
          VectorSchemaRoot root = batches.next();
          int n = root.getRowCount();
          if (n == 0) continue;
          if (first == null) {
            first = root.getSchema();
            inputCheck.accept(first, in.partition());
            checkKeyColumns(first, in.partition());
            sink.reset();
            IpcFrames.writeSchema(first, sink);
            in.writeFrame(sink.buffer(), 0, sink.size());
          } else if (!first.equals(root.getSchema())) {
            throw new IllegalArgumentException("a batch of group " + index + " (key " + group.key()
                + ") of partition " + in.partition() + " has schema " + root.getSchema() + ", but the first batch"
                + " had " + first + "; every input batch of one " + evalName + " task must have the same schema");
          }
          if (rows == 0) {
            sent = new Sent(index, group.key());
            unanswered.add(sent); // before the frame: its answer cannot come sooner
            in.writeFrame(ControlFrame.GROUP_START.encode((int) index));
          }
          limit.write(root, sink, in);
          rows += n;
        }
        if (rows > 0) {
          if (rows > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("group " + index + " (key " + group.key() + ") of partition "
                + in.partition() + " has " + rows + " rows, more than " + Integer.MAX_VALUE + " allowed");
          }
          sent.rows = rows;
          java.nio.ByteBuffer.wrap(end).putInt(4, (int) rows);
          in.writeFrame(end);
        }
      }
      index++;
      in.recordsIn(index);
      if (in.stopRequested()) return;
    }
  }

  private void checkKeyColumns(Schema schema, int partition) {
    int columns = schema.getFields().size();
    for (int c : keyColumns) {
      if (c >= columns) {
        throw new IllegalArgumentException(columnsAre + " " + c + " of " + evalName + " UDF " + udfName + " is not a"
            + " column of the input batches of partition " + partition + ", which have " + columns + " columns "
            + schema.getFields().stream().map(Field::getName).toList() + "; give key columns below " + columns);
      }
    }
  }

  @Override
  public void onFrame(byte[] frame, TaskOutput out) throws IOException {
    if (!IpcFrames.isMessage(frame)) {
      onControl(frame, out);
      return;
    }
    if (!schemaRead) {
      checkResultSchema(IpcFrames.readSchema(frame));
      schemaRead = true;
      return;
    }
    if (unanswered.isEmpty()) {
      throw out.protocolError("a result batch of a " + evalName + " task arrived after all " + groupsAnswered
          + " groups sent were answered");
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
          + (frame.length >= 4 ? ": its kind is " + java.nio.ByteBuffer.wrap(frame).getInt(0) : ""));
    }
    Sent group = unanswered.poll();
    if (group == null) {
      throw out.protocolError("a GROUP_END of a " + evalName + " task arrived, but all " + groupsAnswered
          + " groups sent were answered");
    }
    int claimed = ControlFrame.payloadOf(frame);
    if (claimed != resultRows) {
      throw out.protocolError("the GROUP_END of group " + group.index() + " (key " + group.key() + ") of a "
          + evalName + " task says " + claimed + " result rows, but " + resultRows + " arrived");
    }
    if (rowsPerGroup == ROWS_OF_THE_GROUP && claimed != group.rows) {
      throw new PythonWorkerException(evalName + " UDFs " + udfName + " answered window partition "
          + group.index() + " (key " + group.key() + ") with " + claimed + " rows, but it has " + group.rows
          + ": a window UDF answers each row of its partition, in order (Python worker pid " + task.workerPid()
          + ", partition " + task.partition() + ")");
    }
    if (rowsPerGroup >= 0 && claimed != rowsPerGroup) {
      throw new PythonWorkerException(evalName + " UDFs " + udfName + " answered group " + group.index() + " (key "
          + group.key() + ") with " + claimed + " rows, but an aggregate answers each group with exactly "
          + rowsPerGroup + " (Python worker pid " + task.workerPid() + ", partition " + task.partition() + ")");
    }
    resultRows = 0;
    groupsAnswered++;
  }

  /** The worker's result schema must be the declared one, field by field, before any result batch is read. */
  private void checkResultSchema(Schema got) {
    String mismatch = ResultSchemas.mismatch(resultSchema, got, true);
    if (mismatch != null) {
      throw new PythonWorkerException("the result schema of " + evalName + " UDF " + udfName + " is " + got
          + ", but the declared one is " + resultSchema + ": " + mismatch + " (Python worker pid " + task.workerPid()
          + ", partition " + task.partition() + ")");
    }
  }

  @Override
  public String unanswered() {
    Sent first = unanswered.peek();
    if (first == null) return null;
    return unanswered.size() + " groups of the " + evalName + " task got no GROUP_END (the first of them is group "
        + first.index() + ", key " + first.key() + "): the worker answers every group it is sent";
  }

  @Override
  public void close() {
    memory.close();
  }
}
