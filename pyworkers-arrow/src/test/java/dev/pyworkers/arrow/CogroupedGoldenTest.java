package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.WorkerProtocolException;
import dev.pyworkers.arrow.ArrowGoldenTest.FakeInput;
import dev.pyworkers.arrow.ArrowGoldenTest.FakeOutput;
import dev.pyworkers.arrow.internal.IpcFrames;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.testing.TestPython;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * The golden bytes of the cogrouped map eval types (protocol/golden/arrow/cogrouped_*, docs/protocol.md section
 * 7.8), read by these tests and by python/tests/test_arrow_cogrouped.py. This class writes the JVM's side (the
 * command and the data section; {@code -Dpyworkers.arrow.writeGolden=true} rewrites them, for a deliberate change
 * only); python/tests/make_golden_arrow.py writes the worker's side with the real SQL_COGROUPED_MAP_ARROW_UDF
 * handler. Starts no process.
 */
class CogroupedGoldenTest {
  static final String SOURCE = """
      import pyarrow as pa

      def pair(key, left, right):
          return pa.table({'k': pa.array([key[0].as_py()], pa.int64()), 'nl': pa.array([left.num_rows], pa.int64()),
                           'nr': pa.array([right.num_rows], pa.int64())})
      """;
  static final ArrowType INT64 = new ArrowType.Int(64, true);
  static final Schema RESULT = new Schema(List.of(Field.nullable("k", INT64), Field.nullable("nl", INT64),
      Field.nullable("nr", INT64)));

  static CogroupedMapCodec codec(BufferAllocator allocator) {
    return CogroupedMapCodec.builder(allocator, TestPython.source(SOURCE, "pair"), CogroupData.LEFT,
        CogroupData.RIGHT, RESULT).keyColumns(new int[] {0}, new int[] {0}).withKeyArgument().maxRecordsPerBatch(2)
        .arrow();
  }

  /** Left batches: k = 1, 1 and k = 4. Right batches: id = 1 and id = null, null, null. */
  record Input(List<VectorSchemaRoot> left, List<VectorSchemaRoot> right) implements AutoCloseable {
    static Input of(BufferAllocator allocator) {
      return new Input(GroupedData.batches(allocator, new Long[] {1L, 1L, 4L}, 2, 1),
          CogroupData.rights(allocator, new Integer[] {1, null, null, null}, 1, 3));
    }

    /**
     * Cogroup 0 (key 1): both sides; cogroup 1: no rows (not sent); cogroup 2 (key null): an empty left side and 3
     * right rows, cut into 2 + 1 by the maximum of 2 records; cogroup 3 (key 4): an empty right side.
     */
    List<ArrowCogroup> cogroups() {
      return List.of(ArrowCogroup.of(List.of(1L), left.subList(0, 1), right.subList(0, 1)),
          ArrowCogroup.of(List.of(7L), List.of(), List.of()),
          ArrowCogroup.of(Arrays.asList((Object) null), List.of(), right.subList(1, 2)),
          ArrowCogroup.of(List.of(4L), left.subList(1, 2), List.of()));
    }

    @Override
    public void close() {
      ArrowData.closeAll(left);
      ArrowData.closeAll(right);
    }
  }

  static byte[] dataSection(TaskExchange exchange, List<ArrowCogroup> cogroups) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    Iterator<?> it = cogroups.iterator();
    @SuppressWarnings("unchecked")
    Iterator<VectorSchemaRoot> any = (Iterator<VectorSchemaRoot>) it; // FakeInput hands elements on as they are
    exchange.writeInput(new FakeInput(any, out));
    out.writeInt(-1);
    return b.toByteArray();
  }

  @Test
  void commandAndDataSection_areTheGoldenBytes_bothSchemasOnce_thenStartLeftEndAndGroupEndAroundEachCogroup()
      throws IOException {
    try (BufferAllocator allocator = new RootAllocator(); Input input = Input.of(allocator)) {
      CogroupedMapCodec codec = codec(allocator);
      ByteArrayOutputStream cmd = new ByteArrayOutputStream();
      codec.writeCommand(new DataOutputStream(cmd));
      ArrowGoldenTest.checked("cogrouped_arrow_command.bin", cmd.toByteArray());
      TaskExchange exchange = codec.newExchange(ArrowGoldenTest.INFO);
      byte[] data = ArrowGoldenTest.checked("cogrouped_input.bin", dataSection(exchange, input.cogroups()));
      exchange.close();
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
        StringBuilder frames = new StringBuilder();
        int count = 0;
        for (int n = in.readInt(); n >= 0; n = in.readInt(), count++) {
          byte[] f = new byte[n];
          in.readFully(f);
          if (n == 8) {
            frames.append(HexFormat.of().formatHex(f));
          } else if (count < 2) { // the two schemas: their first field
            frames.append(MessageSerializer.deserializeSchema(new org.apache.arrow.vector.ipc.ReadChannel(
                java.nio.channels.Channels.newChannel(new ByteArrayInputStream(f)))).getFields().get(0).getName());
          } else {
            frames.append("batch");
          }
          frames.append(' ');
        }
        assertThat(frames.toString().trim()).isEqualTo("k id"
            + " 0000000100000000 batch 0000000300000002 batch 0000000200000001"
            + " 0000000100000002 0000000300000000 batch batch 0000000200000003"
            + " 0000000100000003 batch 0000000300000001 0000000200000000");
      }
    }
  }

  @Test
  void workersGoldenResultFrames_readBackAsOneRowPerCogroup_inTheCallersAllocator() throws IOException {
    try (BufferAllocator allocator = new RootAllocator(); Input input = Input.of(allocator)) {
      TaskExchange exchange = codec(allocator).newExchange(ArrowGoldenTest.INFO);
      dataSection(exchange, input.cogroups());
      FakeOutput out = new FakeOutput();
      try (DataInputStream in = new DataInputStream(Files.newInputStream(
          ArrowGoldenTest.DIR.resolve("cogrouped_output.bin")))) {
        for (int n = in.readInt(); n >= 0; n = in.readInt()) {
          byte[] frame = new byte[n];
          in.readFully(frame);
          exchange.onFrame(frame, out);
        }
      }
      assertThat(exchange.unanswered()).isNull();
      exchange.close();
      // the key of cogroup 2 comes from its right side, the left being empty
      assertThat(GroupedData.rows(out.results)).isEqualTo("1\t2\t1\nnull\t0\t3\n4\t1\t0\n");
      ArrowData.closeAll(out.results);
    }
  }

  @Test
  void wrongRowCounts_answersWithoutACogroup_unknownKinds_andAnotherResultSchema_areErrors() throws IOException {
    try (BufferAllocator allocator = new RootAllocator(); Input input = Input.of(allocator)) {
      TaskExchange exchange = codec(allocator).newExchange(ArrowGoldenTest.INFO);
      dataSection(exchange, input.cogroups());
      FakeOutput out = new FakeOutput();
      assertThatThrownBy(() -> exchange.onFrame(new byte[] {0, 0, 0, 2, 0, 0, 0, 5}, out))
          .isInstanceOf(WorkerProtocolException.class)
          .hasMessage("the GROUP_END of cogroup 0 (key [1]) of a SQL_COGROUPED_MAP_ARROW_UDF task says 5 result"
              + " rows, but 0 arrived");
      assertThatThrownBy(() -> exchange.onFrame(new byte[] {0, 0, 0, 3, 0, 0, 0, 0}, out))
          .isInstanceOf(WorkerProtocolException.class)
          .hasMessage("an output frame of 8 bytes of a SQL_COGROUPED_MAP_ARROW_UDF task is neither an Arrow IPC"
              + " message (0xFFFFFFFF first) nor an 8-byte GROUP_END control frame (kind 2): its kind is 3");
      assertThat(exchange.unanswered()).isEqualTo("2 cogroups of the SQL_COGROUPED_MAP_ARROW_UDF task got no"
          + " GROUP_END (the first of them is cogroup 2, key [null]): the worker answers every cogroup it is sent");
      exchange.onFrame(new byte[] {0, 0, 0, 2, 0, 0, 0, 0}, out); // cogroup 2
      exchange.onFrame(new byte[] {0, 0, 0, 2, 0, 0, 0, 0}, out); // cogroup 3
      assertThat(exchange.unanswered()).isNull();
      assertThatThrownBy(() -> exchange.onFrame(new byte[] {0, 0, 0, 2, 0, 0, 0, 0}, out))
          .isInstanceOf(WorkerProtocolException.class)
          .hasMessage("a GROUP_END of a SQL_COGROUPED_MAP_ARROW_UDF task arrived, but all 2 cogroups sent were"
              + " answered");
      exchange.close();

      TaskExchange other = codec(allocator).newExchange(ArrowGoldenTest.INFO);
      byte[] schema = IpcFrames.schemaMessage(CogroupData.LEFT);
      assertThatThrownBy(() -> other.onFrame(schema, out)).isInstanceOf(PythonWorkerException.class)
          .hasMessageStartingWith("the result schema of SQL_COGROUPED_MAP_ARROW_UDF UDF pair is Schema<k: Int(64,"
              + " true), s: Utf8, v: FloatingPoint(DOUBLE)>, but the declared one is Schema<k: Int(64, true), nl:"
              + " Int(64, true), nr: Int(64, true)>");
      other.close();
    }
  }
}
