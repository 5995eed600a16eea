package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.WorkerProtocolException;
import dev.pyworkers.arrow.ArrowGoldenTest.FakeInput;
import dev.pyworkers.arrow.ArrowGoldenTest.FakeOutput;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.testing.TestPython;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * The golden bytes of the grouped map eval types (protocol/golden/arrow/grouped_*, docs/protocol.md section 7.5),
 * read by these tests and by python/tests/test_arrow_grouped.py. This class writes the JVM's side (the command and
 * the data section; {@code -Dpyworkers.arrow.writeGolden=true} rewrites them, for a deliberate change only);
 * python/tests/make_golden_arrow.py writes the worker's side with the real SQL_GROUPED_MAP_ARROW_UDF handler. Starts
 * no process.
 */
class GroupedGoldenTest {
  static final String SOURCE = "def first(key, t):\n    return t.slice(0, 1).select(['k'])\n";
  static final Schema RESULT = new Schema(List.of(Field.nullable("k", new ArrowType.Int(64, true))));

  static GroupedMapCodec codec(BufferAllocator allocator) {
    return GroupedMapCodec.builder(allocator, TestPython.source(SOURCE, "first"), RESULT).keyColumns(0)
        .withKeyArgument().maxRecordsPerBatch(2).arrow();
  }

  /**
   * Keys 1, 1 in batch 0 (group 0); an empty group 1 (not sent); four null keys over batches 1 (1 row) and 2 (3
   * rows, cut into 2 + 1 by the maximum of 2 records): group 2.
   */
  static List<VectorSchemaRoot> batches(BufferAllocator allocator) {
    Long[] keys = {1L, 1L, null, null, null, null};
    return GroupedData.batches(allocator, keys, 2, 1, 3);
  }

  static List<ArrowGroup> groups(List<VectorSchemaRoot> b) {
    return List.of(ArrowGroup.of(List.of(1L), b.subList(0, 1)), ArrowGroup.of(List.of(7L), List.of()),
        ArrowGroup.of(Arrays.asList((Object) null), b.subList(1, 3)));
  }

  static byte[] dataSection(TaskExchange exchange, List<ArrowGroup> groups) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    Iterator<?> it = groups.iterator();
    @SuppressWarnings("unchecked")
    Iterator<VectorSchemaRoot> any = (Iterator<VectorSchemaRoot>) it; // FakeInput hands elements on as they are
    exchange.writeInput(new FakeInput(any, out));
    out.writeInt(-1);
    return b.toByteArray();
  }

  @Test
  void commandAndDataSection_areTheGoldenBytes_withControlFramesAroundEachGroup() throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      GroupedMapCodec codec = codec(allocator);
      ByteArrayOutputStream cmd = new ByteArrayOutputStream();
      codec.writeCommand(new DataOutputStream(cmd));
      ArrowGoldenTest.checked("grouped_arrow_command.bin", cmd.toByteArray());
      List<VectorSchemaRoot> input = batches(allocator);
      TaskExchange exchange = codec.newExchange(ArrowGoldenTest.INFO);
      byte[] data = ArrowGoldenTest.checked("grouped_input.bin", dataSection(exchange, groups(input)));
      exchange.close();
      ArrowData.closeAll(input);
      // frames: schema, START 0, batch, END 2, START 2, batch (1 row), batch (2 rows), batch (1 row), END 4
      try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
        StringBuilder control = new StringBuilder();
        int frames = 0;
        for (int n = in.readInt(); n >= 0; n = in.readInt()) {
          byte[] f = new byte[n];
          in.readFully(f);
          frames++;
          if (n == 8) control.append(frames).append(':').append(java.util.HexFormat.of().formatHex(f)).append(' ');
        }
        assertThat(frames).isEqualTo(9);
        assertThat(control.toString().trim())
            .isEqualTo("2:0000000100000000 4:0000000200000002 5:0000000100000002 9:0000000200000004");
      }
    }
  }

  @Test
  void workersGoldenResultFrames_readBackAsOneRowPerGroup_inTheCallersAllocator() throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      GroupedMapCodec codec = codec(allocator);
      List<VectorSchemaRoot> input = batches(allocator);
      TaskExchange exchange = codec.newExchange(ArrowGoldenTest.INFO);
      dataSection(exchange, groups(input));
      FakeOutput out = new FakeOutput();
      try (DataInputStream in = new DataInputStream(Files.newInputStream(
          ArrowGoldenTest.DIR.resolve("grouped_output.bin")))) {
        for (int n = in.readInt(); n >= 0; n = in.readInt()) {
          byte[] frame = new byte[n];
          in.readFully(frame);
          exchange.onFrame(frame, out);
        }
      }
      assertThat(exchange.unanswered()).isNull();
      exchange.close();
      assertThat(GroupedData.rows(out.results)).isEqualTo("1\nnull\n");
      ArrowData.closeAll(out.results);
      ArrowData.closeAll(input);
    }
  }

  @Test
  void aGroupEndWithAnotherRowCount_oneWithoutAGroup_andAnUnknownKind_areProtocolErrors() throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = batches(allocator);
      TaskExchange exchange = codec(allocator).newExchange(ArrowGoldenTest.INFO);
      dataSection(exchange, groups(input));
      FakeOutput out = new FakeOutput();
      assertThatThrownBy(() -> exchange.onFrame(new byte[] {0, 0, 0, 2, 0, 0, 0, 5}, out))
          .isInstanceOf(WorkerProtocolException.class)
          .hasMessage("the GROUP_END of group 0 (key [1]) of a SQL_GROUPED_MAP_ARROW_UDF task says 5 result rows,"
              + " but 0 arrived");
      assertThatThrownBy(() -> exchange.onFrame(new byte[] {0, 0, 0, 9, 0, 0, 0, 0}, out))
          .isInstanceOf(WorkerProtocolException.class)
          .hasMessage("an output frame of 8 bytes of a SQL_GROUPED_MAP_ARROW_UDF task is neither an Arrow IPC"
              + " message (0xFFFFFFFF first) nor an 8-byte GROUP_END control frame (kind 2): its kind is 9");
      exchange.onFrame(new byte[] {0, 0, 0, 2, 0, 0, 0, 0}, out); // group 2
      assertThat(exchange.unanswered()).isNull();
      assertThatThrownBy(() -> exchange.onFrame(new byte[] {0, 0, 0, 2, 0, 0, 0, 0}, out))
          .isInstanceOf(WorkerProtocolException.class)
          .hasMessage("a GROUP_END of a SQL_GROUPED_MAP_ARROW_UDF task arrived, but all 1 groups sent were"
              + " answered");
      exchange.close();
      ArrowData.closeAll(input);
    }
  }
}
