package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.arrow.ArrowGoldenTest.FakeOutput;
import dev.pyworkers.arrow.internal.IpcFrames;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.testing.TestPython;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.Test;

/**
 * The golden bytes of the window eval types (protocol/golden/arrow/window_*, docs/protocol.md section 7.7), read by
 * these tests and by python/tests/test_arrow_window.py: a bounded task ({@code total} over {@code ROWS BETWEEN 1
 * PRECEDING AND CURRENT ROW}, SQL_WINDOW_AGG_ARROW_UDF, at most 2 records a batch) and an unbounded one ({@code
 * mean} over the whole partition, SQL_WINDOW_AGG_PANDAS_UDF), both over the partitions of {@link
 * GroupedGoldenTest#groups} (2 rows, an empty one, 4 rows over two batches). This class writes the JVM's side
 * ({@code -Dpyworkers.arrow.writeGolden=true} rewrites it, for a deliberate change only);
 * python/tests/make_golden_arrow.py writes the worker's side with the real handlers. Starts no process.
 */
class WindowGoldenTest {
  static final String SOURCE = "import pyarrow.compute as pc\n\ndef total(v):\n    return pc.sum(v)\n\n"
      + "def mean(v):\n    return v.mean()\n";
  static final ArrowType FLOAT64 = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);

  static WindowAggCodec bounded(BufferAllocator allocator) {
    return WindowAggCodec.builder(allocator)
        .udf(ArrowUdf.of(TestPython.source(SOURCE, "total"), FLOAT64, 2), WindowFrame.rows(-1, 0))
        .maxRecordsPerBatch(2).arrow();
  }

  static WindowAggCodec unbounded(BufferAllocator allocator) {
    return WindowAggCodec.builder(allocator)
        .udf(ArrowUdf.of(TestPython.source(SOURCE, "mean"), FLOAT64, 2), WindowFrame.unbounded()).pandas();
  }

  @Test
  void commandsAndDataSections_areTheGoldenBytes() throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      for (String name : List.of("window_bounded", "window_unbounded")) {
        WindowAggCodec codec = name.equals("window_bounded") ? bounded(allocator) : unbounded(allocator);
        ByteArrayOutputStream cmd = new ByteArrayOutputStream();
        codec.writeCommand(new DataOutputStream(cmd));
        byte[] command = ArrowGoldenTest.checked(name + "_command.bin", cmd.toByteArray());
        List<VectorSchemaRoot> input = GroupedGoldenTest.batches(allocator);
        TaskExchange exchange = codec.newExchange(ArrowGoldenTest.INFO);
        ArrowGoldenTest.checked(name + "_input.bin", GroupedGoldenTest.dataSection(exchange,
            GroupedGoldenTest.groups(input)));
        exchange.close();
        ArrowData.closeAll(input);
        // the command's tail: the frame (kind 1, -1, 0 or kind 0), then max records, then the schema message
        int tail = command.length - IpcFrames.schemaMessage(codec.resultSchema()).length - 4;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(command);
        assertThat(b.getInt(tail - 4)).as("max records").isEqualTo(codec.maxRecordsPerBatch());
        if (name.equals("window_bounded")) {
          assertThat(new int[] {b.getInt(tail - 16), b.getInt(tail - 12), b.getInt(tail - 8)})
              .containsExactly(1, -1, 0);
        } else {
          assertThat(b.getInt(tail - 8)).as("frame kind").isZero();
        }
      }
    }
  }

  @Test
  void workersGoldenResults_readBackAsOneRowPerInputRow_inInputOrder() throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      // v of the 6 rows: 0.0, 0.25 (partition 0); 0.5, null, 1.0, 1.25 (partition 2)
      assertThat(readBack(allocator, "window_bounded", bounded(allocator), List.of(2, 2, 2)))
          .isEqualTo("0.0\n0.25\n0.5\n0.5\n1.0\n2.25\n");
      assertThat(readBack(allocator, "window_unbounded", unbounded(allocator), List.of(2, 4)))
          .isEqualTo("0.125\n0.125\n" + ((0.5 + 1.0 + 1.25) / 3 + "\n").repeat(4));
    }
  }

  private static String readBack(BufferAllocator allocator, String name, WindowAggCodec codec,
      List<Integer> batchRows) throws IOException {
    List<VectorSchemaRoot> input = GroupedGoldenTest.batches(allocator);
    TaskExchange exchange = codec.newExchange(ArrowGoldenTest.INFO);
    GroupedGoldenTest.dataSection(exchange, GroupedGoldenTest.groups(input));
    FakeOutput out = new FakeOutput();
    for (byte[] frame : frames(name + "_output.bin")) exchange.onFrame(frame, out);
    assertThat(exchange.unanswered()).isNull();
    exchange.close();
    List<Integer> rows = new ArrayList<>();
    for (Object o : out.results) rows.add(((VectorSchemaRoot) o).getRowCount());
    assertThat(rows).as("result batch sizes").isEqualTo(batchRows);
    String got = GroupedData.rows(out.results);
    ArrowData.closeAll(out.results);
    ArrowData.closeAll(input);
    return got;
  }

  @Test
  void aPartitionAnsweredWithAnotherRowCount_failsNamingTheUdfThePartitionItsKeyAndBothCounts() throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = GroupedGoldenTest.batches(allocator);
      TaskExchange exchange = bounded(allocator).newExchange(ArrowGoldenTest.INFO);
      GroupedGoldenTest.dataSection(exchange, GroupedGoldenTest.groups(input));
      List<byte[]> golden = frames("window_bounded_output.bin");
      // schema, partition 0's batch (2 rows), partition 2's first batch (2 rows): 4 rows for partition 0
      FakeOutput out = new FakeOutput();
      for (byte[] frame : golden.subList(0, 2)) exchange.onFrame(frame, out);
      exchange.onFrame(golden.get(3), out);
      assertThatThrownBy(() -> exchange.onFrame(new byte[] {0, 0, 0, 2, 0, 0, 0, 4}, out))
          .isInstanceOf(PythonWorkerException.class)
          .hasMessageStartingWith("SQL_WINDOW_AGG_ARROW_UDF UDFs [total] answered window partition 0 (key [1]) with"
              + " 4 rows, but it has 2: a window UDF answers each row of its partition, in order");
      exchange.close();
      ArrowData.closeAll(out.results);
      ArrowData.closeAll(input);
    }
  }

  private static List<byte[]> frames(String file) throws IOException {
    List<byte[]> frames = new ArrayList<>();
    try (DataInputStream in = new DataInputStream(Files.newInputStream(ArrowGoldenTest.DIR.resolve(file)))) {
      for (int n = in.readInt(); n >= 0; n = in.readInt()) {
        byte[] frame = new byte[n];
        in.readFully(frame);
        frames.add(frame);
      }
    }
    return frames;
  }
}
