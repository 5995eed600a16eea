package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.WorkerProtocolException;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskInput;
import dev.pyworkers.spi.TaskOutput;
import dev.pyworkers.testing.TestPython;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * The golden bytes of the scalar Arrow eval types (protocol/golden/arrow, docs/protocol.md section 7), read by these
 * tests and by python/tests/test_arrow_golden.py. The JVM's side, the command and the data section it sends, is
 * written by this class ({@code -Dpyworkers.arrow.writeGolden=true} rewrites the two files, for a deliberate change
 * only); the worker's side, the result frames, by python/tests/make_golden_arrow.py with the real handler. Each side
 * checks its own bytes against the files and decodes the other's. Starts no process.
 */
class ArrowGoldenTest {
  static final Path DIR = Paths.get("..", "protocol", "golden", "arrow");
  static final String SOURCE = "def plus_one(s):\n    return s + 1\n\ndef upper(s):\n    return s.str.upper()\n";

  static ScalarArrowCodec codec(BufferAllocator allocator) {
    return ScalarArrowCodec.pandas(allocator, List.of(
        ArrowUdf.of(TestPython.source(SOURCE, "plus_one"), new ArrowType.Int(64, true), 0),
        ArrowUdf.of(TestPython.source(SOURCE, "upper"), ArrowType.Utf8.INSTANCE, 1)))
        // the golden data section is 7.2's, over the socket; 7.10's frames have golden files of their own
        .withSharedMemory(SharedMemory.off());
  }

  /** x int64 [1, null, 3], s utf8 ["a", null, "é"]; then the same schema with zero rows. */
  static List<VectorSchemaRoot> input(BufferAllocator allocator) {
    Schema schema = new Schema(List.of(Field.nullable("x", new ArrowType.Int(64, true)),
        Field.nullable("s", ArrowType.Utf8.INSTANCE)));
    VectorSchemaRoot a = VectorSchemaRoot.create(schema, allocator);
    a.allocateNew();
    BigIntVector x = (BigIntVector) a.getVector(0);
    VarCharVector s = (VarCharVector) a.getVector(1);
    x.setSafe(0, 1);
    x.setNull(1);
    x.setSafe(2, 3);
    s.setSafe(0, "a".getBytes(StandardCharsets.UTF_8));
    s.setNull(1);
    s.setSafe(2, "é".getBytes(StandardCharsets.UTF_8));
    a.setRowCount(3);
    VectorSchemaRoot empty = VectorSchemaRoot.create(schema, allocator);
    empty.allocateNew();
    empty.setRowCount(0);
    return List.of(a, empty);
  }

  static byte[] command(ScalarArrowCodec codec) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    codec.writeCommand(new DataOutputStream(b));
    return b.toByteArray();
  }

  /** The data section the exchange writes for {@code input}: its frames, then -1. */
  static byte[] dataSection(TaskExchange exchange, List<VectorSchemaRoot> input) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    Iterator<VectorSchemaRoot> it = input.iterator();
    exchange.writeInput(new FakeInput(it, out));
    out.writeInt(-1);
    return b.toByteArray();
  }

  static byte[] checked(String name, byte[] actual) throws IOException {
    Path file = DIR.resolve(name);
    if (Boolean.getBoolean("pyworkers.arrow.writeGolden")) Files.write(file, actual);
    assertThat(Files.readAllBytes(file)).as(file + " (rewrite with -Dpyworkers.arrow.writeGolden=true only for a"
        + " deliberate change, then run python tests/make_golden_arrow.py)").isEqualTo(actual);
    return actual;
  }

  @Test
  void commandAndDataSection_areTheGoldenBytes() throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      ScalarArrowCodec codec = codec(allocator);
      checked("scalar_pandas_command.bin", command(codec));
      List<VectorSchemaRoot> input = input(allocator);
      TaskExchange exchange = codec.newExchange(INFO);
      checked("scalar_input.bin", dataSection(exchange, input));
      exchange.close();
      ArrowData.closeAll(input);
    }
  }

  @Test
  void workersGoldenResultFrames_readBackAsTheExpectedBatches_inTheCallersAllocator() throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      ScalarArrowCodec codec = codec(allocator);
      List<VectorSchemaRoot> input = input(allocator);
      TaskExchange exchange = codec.newExchange(INFO);
      dataSection(exchange, input);
      FakeOutput out = new FakeOutput();
      try (DataInputStream in = new DataInputStream(Files.newInputStream(DIR.resolve("scalar_output.bin")))) {
        for (int n = in.readInt(); n >= 0; n = in.readInt()) {
          byte[] frame = new byte[n];
          in.readFully(frame);
          exchange.onFrame(frame, out);
        }
      }
      assertThat(exchange.unanswered()).isNull();
      exchange.close();
      assertThat(out.results).hasSize(2);
      VectorSchemaRoot first = (VectorSchemaRoot) out.results.get(0);
      assertThat(first.getSchema()).isEqualTo(codec.resultSchema());
      assertThat(first.contentToTSVString()).isEqualTo("_0\t_1\n2\tA\nnull\tnull\n4\tÉ\n");
      assertThat(((VectorSchemaRoot) out.results.get(1)).getRowCount()).isZero();
      ArrowData.closeAll(out.results);
      ArrowData.closeAll(input);
    }
  }

  @Test
  void aBatchInThePlaceOfTheSchema_aSecondSchema_andBrokenMetadata_areProtocolErrors_notCrashesOrBareExceptions()
      throws IOException {
    List<byte[]> golden = new ArrayList<>();
    try (DataInputStream in = new DataInputStream(Files.newInputStream(DIR.resolve("scalar_output.bin")))) {
      for (int n = in.readInt(); n >= 0; n = in.readInt()) {
        byte[] frame = new byte[n];
        in.readFully(frame);
        golden.add(frame);
      }
    }
    byte[] schema = golden.get(0);
    byte[] batch = golden.get(1);
    byte[] broken = batch.clone();
    for (int i = 8; i < Math.min(broken.length, 64); i++) broken[i] = (byte) 0x7F; // the flatbuffer, not the marker
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = input(allocator);
      TaskExchange first = codec(allocator).newExchange(INFO);
      dataSection(first, input);
      assertThatThrownBy(() -> first.onFrame(batch, new FakeOutput()))
          .isInstanceOf(WorkerProtocolException.class)
          .hasMessageStartingWith("the first output frame (" + batch.length + " bytes) of a SQL_SCALAR_PANDAS_UDF"
              + " task is not a valid Arrow IPC schema message, which the result schema must be: ");
      first.close();
      for (byte[] bad : List.of(schema, broken)) {
        TaskExchange exchange = codec(allocator).newExchange(INFO);
        dataSection(exchange, input);
        FakeOutput out = new FakeOutput();
        exchange.onFrame(schema, out);
        assertThatThrownBy(() -> exchange.onFrame(bad, out))
            .isInstanceOf(WorkerProtocolException.class)
            .hasMessageStartingWith("an output frame (" + bad.length + " bytes) of a SQL_SCALAR_PANDAS_UDF task is"
                + " not a valid Arrow IPC record batch message, which every result frame after the schema must be: ");
        exchange.close();
        assertThat(out.results).isEmpty();
      }
      ArrowData.closeAll(input);
      assertThat(allocator.getAllocatedMemory()).isZero();
    }
  }

  @Test
  void aFrameThatIsNotAnIpcMessage_isAProtocolError() throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      TaskExchange exchange = codec(allocator).newExchange(INFO);
      assertThatThrownBy(() -> exchange.onFrame(new byte[] {0, 0, 0, 1, 0, 0, 0, 0}, new FakeOutput()))
          .isInstanceOf(WorkerProtocolException.class)
          .hasMessage("an output frame of 8 bytes of a SQL_SCALAR_PANDAS_UDF task does not start with the Arrow IPC"
              + " continuation marker 0xFFFFFFFF");
      exchange.close();
    }
  }

  static final TaskInfo INFO = new TaskInfo() {
    @Override
    public int partition() {
      return 0;
    }

    @Override
    public long workerPid() {
      return 4242;
    }

    @Override
    public WorkerProtocolException protocolError(String message) {
      return new WorkerProtocolException(message);
    }
  };

  /** The writer's side, into a stream: frames as core writes them ({@code int} length, bytes). */
  static final class FakeInput implements TaskInput {
    private final Iterator<VectorSchemaRoot> it;
    private final DataOutputStream out;

    FakeInput(Iterator<VectorSchemaRoot> it, DataOutputStream out) {
      this.it = it;
      this.out = out;
    }

    @Override public boolean hasNext() { return it.hasNext(); }
    @Override public Object next() { return it.next(); }
    @Override public boolean stopRequested() { return false; }

    @Override
    public void writeFrame(byte[] data, int offset, int length) throws IOException {
      out.writeInt(length);
      out.write(data, offset, length);
    }

    @Override public void writeNull() throws IOException { out.writeInt(-5); }
    @Override public void recordsIn(long count) {}
    @Override public void progress() {}
    @Override public int partition() { return INFO.partition(); }
    @Override public long workerPid() { return INFO.workerPid(); }
    @Override public WorkerProtocolException protocolError(String m) { return INFO.protocolError(m); }
  }

  static final class FakeOutput implements TaskOutput {
    final List<Object> results = new ArrayList<>();

    @Override public void emit(Object result) { results.add(result); }
    @Override public long resultsOut() { return results.size(); }
    @Override public int readInt() { throw new UnsupportedOperationException(); }
    @Override public long readLong() { throw new UnsupportedOperationException(); }
    @Override public void readFully(byte[] b) { throw new UnsupportedOperationException(); }
    @Override public int partition() { return INFO.partition(); }
    @Override public long workerPid() { return INFO.workerPid(); }
    @Override public WorkerProtocolException protocolError(String m) { return INFO.protocolError(m); }
  }
}
