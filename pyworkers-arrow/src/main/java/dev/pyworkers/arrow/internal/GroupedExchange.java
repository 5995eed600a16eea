package dev.pyworkers.arrow.internal;

import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.arrow.ArrowGroup;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskInput;
import dev.pyworkers.spi.TaskOutput;
import java.io.IOException;
import java.util.Iterator;
import java.util.function.BiConsumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One grouped map task (docs/protocol.md section 7.5). The writer sends the input schema once, before the first
 * group, then per group with rows: GROUP_START, its batches (zero-row batches left out, longer ones cut by the
 * {@link BatchLimit}), GROUP_END with its row count; a group without rows is not sent. The reader is
 * {@link GroupAnswers}, with the aggregate's or the window's rule on each group's result row count. The sent groups
 * are shared by the writer and the reader through it; everything else is confined to its side's thread.
 */
public final class GroupedExchange implements TaskExchange {
  /** {@code rowsPerGroup} of a window: every group is answered with as many rows as it has. */
  public static final int ROWS_OF_THE_GROUP = -2;

  private final String evalName;
  private final String udfName;
  private final int[] keyColumns;
  private final String columnsAre;
  private final BatchLimit limit;
  private final BiConsumer<Schema, Integer> inputCheck;
  private final GroupAnswers answers;

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
    this.limit = limit;
    this.inputCheck = inputCheck;
    this.answers = new GroupAnswers(evalName, udfName, "group", resultSchema, rule(evalName, udfName, rowsPerGroup),
        caller, task);
  }

  /** What a window or an aggregate asks of each group's row count ({@code rowsPerGroup} of the constructor). */
  private GroupAnswers.AnswerRule rule(String evalName, String udfName, int rowsPerGroup) {
    if (rowsPerGroup == ROWS_OF_THE_GROUP) {
      return (g, rows) -> {
        if (rows != g.rows) {
          throw new PythonWorkerException(evalName + " UDFs " + udfName + " answered window partition " + g.index
              + " (key " + g.key + ") with " + rows + " rows, but it has " + g.rows + ": a window UDF answers each"
              + " row of its partition, in order (" + answers.where() + ")");
        }
      };
    }
    if (rowsPerGroup >= 0) {
      return (g, rows) -> {
        if (rows != rowsPerGroup) {
          throw new PythonWorkerException(evalName + " UDFs " + udfName + " answered group " + g.index + " (key "
              + g.key + ") with " + rows + " rows, but an aggregate answers each group with exactly " + rowsPerGroup
              + " (" + answers.where() + ")");
        }
      };
    }
    return GroupAnswers.AnswerRule.ANY;
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
        GroupAnswers.Pending sent = null;
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
            sent = answers.sent(index, group.key()); // before the frame: its answer cannot come sooner
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
