package dev.pyworkers.internal.protocol;

import static dev.pyworkers.testing.Golden.golden;
import static dev.pyworkers.testing.Golden.oneByteAtATime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.WorkerProtocolException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The task frame reader and writer against the golden files of protocol/golden that python/tests/make_golden.py
 * writes with the worker's own encoders (the Python tests check those bytes too). The reader gives the same frames
 * when every read returns one byte, and fails naming the frame and the value on a truncated or out-of-bounds one.
 */
class TaskFramesGoldenTest {
  private static final String CONTEXT = "output of task partition 3 from Python worker pid 4242";

  static TaskFrameReader reader(byte[] data, boolean slow) {
    return new TaskFrameReader(slow ? oneByteAtATime(data) : new ByteArrayInputStream(data), CONTEXT);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  static byte[] ints(int... values) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int v : values) out.writeBytes(BigEndian.ofInt(v));
    return out.toByteArray();
  }

  static final String TRACEBACK =
      "Traceback (most recent call last):\n  File \"job.py\", line 2, in f\nValueError: bad record 3\n";

  @Test
  void reader_decodesEveryOutputGolden_wholeAndOneByteAtATime() throws IOException {
    for (boolean slow : new boolean[] {false, true}) {
      OutputFrame data = reader(golden("output_data.bin"), slow).next();
      assertThat(data).isInstanceOf(OutputFrame.Data.class);
      assertThat(new String(((OutputFrame.Data) data).payload(), StandardCharsets.UTF_8)).isEqualTo("h\u00e9llo");

      assertThat(reader(golden("output_null.bin"), slow).next()).isSameAs(OutputFrame.Null.INSTANCE);

      assertThat(reader(golden("output_exception.bin"), slow).next())
          .isEqualTo(new OutputFrame.PythonError("ValueError", "bad record 3: '\u00e9'", TRACEBACK));

      assertThat(reader(golden("output_timing.bin"), slow).next())
          .isEqualTo(new OutputFrame.Timing(1764633600000L, 1764633600100L, 1764633600250L, 1764633600900L));

      OutputFrame end = reader(golden("output_end.bin"), slow).next();
      assertThat(end).isInstanceOf(OutputFrame.End.class);
      List<byte[]> updates = ((OutputFrame.End) end).accumulatorUpdates();
      assertThat(updates).hasSize(2);
      assertThat(updates.get(0)).isEqualTo(new byte[] {(byte) 0x80, 4, 'K', 5, '.'});  // pickle of 5
      assertThat(updates.get(1)).isEqualTo(new byte[] {(byte) 0x80, 4, (byte) 0x95, 5, 0, 0, 0, 0, 0, 0, 0,
          (byte) 0x8c, 1, 'x', (byte) 0x94, '.'});  // pickle of 'x'

      assertThat(reader(golden("output_end_of_stream.bin"), slow).readEndAnswer())
          .isEqualTo(SpecialLength.END_OF_STREAM.code());
    }
  }

  @Test
  void reader_readsAWholeTaskStream_frameByFrame_exactlyToItsEnd() throws IOException {
    byte[] stream = concat(golden("output_data.bin"), golden("output_null.bin"), golden("output_exception.bin"),
        golden("output_timing.bin"), golden("output_end.bin"), golden("output_end_of_stream.bin"),
        "NEXT".getBytes(StandardCharsets.US_ASCII));
    for (boolean slow : new boolean[] {false, true}) {
      InputStream in = slow ? oneByteAtATime(stream) : new ByteArrayInputStream(stream);
      TaskFrameReader r = new TaskFrameReader(in, CONTEXT);
      int head = r.readHead();
      assertThat(head).isEqualTo(6);
      assertThat(r.readBody(head)).isInstanceOf(OutputFrame.Data.class);
      assertThat(r.next()).isSameAs(OutputFrame.Null.INSTANCE);
      assertThat(r.readHead()).isEqualTo(SpecialLength.PYTHON_EXCEPTION_THROWN.code());
      assertThat(r.readBody(SpecialLength.PYTHON_EXCEPTION_THROWN.code())).isInstanceOf(OutputFrame.PythonError.class);
      assertThat(r.next()).isInstanceOf(OutputFrame.Timing.class);
      assertThat(r.next()).isInstanceOf(OutputFrame.End.class);
      assertThat(r.readEndAnswer()).isEqualTo(-4);
      assertThat(in.read()).isEqualTo('N');  // nothing beyond the frames was consumed
    }
  }

  @Test
  void reader_truncatedGolden_isEndOfStreamNamingTheFrameAndTheTask() throws IOException {
    String[] names = {"output_data.bin", "output_exception.bin", "output_timing.bin", "output_end.bin"};
    String[] frames = {"after 5 of 6 bytes of a data frame", "the traceback in the exception frame -2 (PYTHON_EXCEPTION_THROWN)",
        "the timing frame -3 (TIMING_DATA)", "accumulator update 2 of 2 in the end block -1 (END_OF_DATA_SECTION)"};
    for (int i = 0; i < names.length; i++) {
      byte[] cut = golden(names[i]);
      cut = Arrays.copyOf(cut, cut.length - 1);
      TaskFrameReader r = reader(cut, true);
      assertThatThrownBy(r::next).as(names[i]).isInstanceOf(EOFException.class)
          .hasMessageContaining(frames[i]).hasMessageEndingWith(" in " + CONTEXT);
    }
    assertThatThrownBy(() -> reader(new byte[] {-1, -1}, true).next()).isInstanceOf(EOFException.class)
        .hasMessage("end of stream after 2 of 4 bytes of the next output frame's length or marker in " + CONTEXT);
    assertThatThrownBy(() -> reader(new byte[0], false).readEndAnswer()).isInstanceOf(EOFException.class)
        .hasMessage("end of stream after 0 of 4 bytes of the worker's answer to the end-of-stream exchange in "
            + CONTEXT);
  }

  @Test
  void reader_outOfBoundsValues_areProtocolErrorsNamingTheFrameAndTheValue() {
    assertThatThrownBy(() -> reader(ints(Integer.MAX_VALUE), false).next())
        .isInstanceOf(WorkerProtocolException.class)
        .hasMessage("data frame length 2147483647 exceeds max 1073741824 in " + CONTEXT);
    assertThatThrownBy(() -> reader(ints(-2, 1 << 20 | 1), false).next())
        .isInstanceOf(WorkerProtocolException.class)
        .hasMessage("exception type length 1048577 is outside 0..1048576 in the exception frame -2"
            + " (PYTHON_EXCEPTION_THROWN) of " + CONTEXT);
    assertThatThrownBy(() -> reader(ints(-2, 0, -1), false).next())
        .isInstanceOf(WorkerProtocolException.class)
        .hasMessageStartingWith("exception message length -1 is outside 0..1048576 in the exception frame");
    assertThatThrownBy(() -> reader(ints(-1, 1_000_001), false).next())
        .isInstanceOf(WorkerProtocolException.class)
        .hasMessage("accumulator update count 1000001 is outside 0..1000000 in the end block -1"
            + " (END_OF_DATA_SECTION) of " + CONTEXT);
    assertThatThrownBy(() -> reader(ints(-1, -3), false).next())
        .isInstanceOf(WorkerProtocolException.class)
        .hasMessageStartingWith("accumulator update count -3 is outside 0..1000000");
    assertThatThrownBy(() -> reader(ints(-1, 2, 0, -7), false).next())
        .isInstanceOf(WorkerProtocolException.class)
        .hasMessage("accumulator update 2 of 2 length -7 is outside 0..1073741824 in the end block -1"
            + " (END_OF_DATA_SECTION) of " + CONTEXT);
    for (int marker : new int[] {-4, -6, -10, Integer.MIN_VALUE}) {
      assertThatThrownBy(() -> reader(ints(marker), false).next())
          .isInstanceOf(WorkerProtocolException.class)
          .hasMessage("output frame marker " + marker + " is unknown in " + CONTEXT + ": expected a data frame length"
              + " >= 0, -1 (end), -2 (exception), -3 (timing) or -5 (null)");
    }
  }

  @Test
  void writer_writesTheDataSectionGolden() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TaskFrameWriter w = new TaskFrameWriter(out);
    w.data("ab".getBytes(StandardCharsets.UTF_8));
    w.nullRecord();
    w.data(new byte[0]);
    byte[] padded = "xh\u00e9y".getBytes(StandardCharsets.UTF_8);
    w.data(padded, 1, padded.length - 2);
    w.endOfDataAndStream();
    w.flush();
    assertThat(out.toByteArray()).isEqualTo(golden("data_section_records.bin"));
  }

  @Test
  void specialLengthsAndCommands_haveTheirWireValues() {
    assertThat(Arrays.stream(SpecialLength.values()).mapToInt(SpecialLength::code)).containsExactly(-1, -2, -3, -4, -5);
    for (SpecialLength s : SpecialLength.values()) assertThat(SpecialLength.of(s.code())).isSameAs(s);
    assertThat(SpecialLength.of(0)).isNull();
    assertThat(SpecialLength.of(-6)).isNull();
    assertThat(SpecialLength.of(Integer.MIN_VALUE)).isNull();
    assertThat(SessionCommand.PING.bytes()).isEqualTo(ints(-10));
    assertThat(BigEndian.getInt(ints(0x12345678), 0)).isEqualTo(0x12345678);
    assertThat(BigEndian.getLong(concat(ints(0x01020304), ints(0xfffffffe)), 0)).isEqualTo(0x01020304fffffffeL);
    assertThat(RowLayout.BARE.code()).isEqualTo(2);
    assertThat(ResultLayout.INT64.code()).isEqualTo(2);
    assertThat(ProofStatus.REJECTED.code()).isEqualTo(1);
  }
}
