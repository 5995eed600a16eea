package dev.pyworkers.cli.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The golden bytes of {@code pyworkers run --pandas} with Arrow IPC in and out (protocol/golden/arrow/run_pandas_*,
 * docs/protocol.md section 8), shared with python/tests/test_jobs_pandas.py: python/tests/make_golden_arrow.py
 * writes the input file, the frames the JVM must cut from it and the worker's answers; this class checks the frames
 * of {@link ArrowFileSplitter}, and writes the answers through {@link ArrowFileSink} into the IPC file that must be
 * {@code run_pandas_output.arrow} ({@code -Dpyworkers.run.writeGolden=true} rewrites it, for a deliberate change
 * only), which the pytest reads back with pyarrow. Starts no process.
 */
class RunPandasGoldenTest {
  static final Path GOLDEN = Path.of("..", "protocol", "golden", "arrow").toAbsolutePath().normalize();

  @TempDir Path dir;

  @Test
  void theSplittersFramesOfTheGoldenFile_areTheGoldenFrames() throws Exception {
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    List<String> partitions = new ArrayList<>();
    try (ArrowFileSplitter s = ArrowFileSplitter.open(GOLDEN.resolve("run_pandas_input.arrow"), 2, 1)) {
      assertThat(s.batches()).isEqualTo(2);
      for (Partition p; (p = s.next()) != null; ) {
        partitions.add(p.index() + ": " + p.lines() + ", " + p.records() + " records, " + p.frames().size() + " frames");
        for (byte[] f : p.frames()) frames.write(f);
      }
    }
    assertThat(partitions).containsExactly("0: rows 1-3, 3 records, 2 frames", "1: rows 4-5, 2 records, 1 frames");
    assertThat(frames.toByteArray()).isEqualTo(Files.readAllBytes(GOLDEN.resolve("run_pandas_frames.bin")));
  }

  @Test
  void theWorkersGoldenAnswers_makeTheGoldenIpcFile_withOneBlockPerBatchWithRows() throws Exception {
    Path out = dir.resolve("out.arrow");
    try (AtomicOutput o = AtomicOutput.create(out)) {
      ArrowFileSink sink = new ArrowFileSink(o);
      List<byte[]> answers = answers();
      assertThat(answers).hasSize(3);
      // answers 0 and 1 are partition 0's (rows 1-3), answer 2 partition 1's; fed in 7-byte pieces, as a spill
      // file's copy may split them anywhere
      for (int i = 0; i < answers.size(); i++) {
        if (i != 1) sink.begin(partition(i == 0 ? 0 : 1));
        byte[] a = answers.get(i);
        for (int off = 4; off < a.length; off += 7) sink.write(a, off, Math.min(7, a.length - off));
      }
      sink.finish();
      assertThat(o.commit()).isTrue();
    }
    byte[] file = Files.readAllBytes(out);
    Path golden = GOLDEN.resolve("run_pandas_output.arrow");
    if (Boolean.getBoolean("pyworkers.run.writeGolden")) Files.write(golden, file);
    assertThat(file).isEqualTo(Files.readAllBytes(golden));
    assertThat(Arrays.copyOfRange(file, 0, 8)).isEqualTo("ARROW1\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    List<ArrowBlock> blocks = footer(file).getRecordBatches();
    // answer 1 (row 3 only) is empty after FUNC's filter: it fixes nothing and writes no batch
    assertThat(blocks).hasSize(2);
    assertThat(footer(file).getSchema().getFields()).extracting(f -> f.getName() + " " + f.getType())
        .containsExactly("x Int(64, true)", "s LargeUtf8", "y Int(64, true)");
  }

  @Test
  void aStreamOutOfStep_isAnInternalError_notAFileWithGarbage() throws Exception {
    try (AtomicOutput o = AtomicOutput.create(dir.resolve("bad.arrow"))) {
      ArrowFileSink sink = new ArrowFileSink(o);
      sink.begin(partition(0));
      byte[] junk = "{\"x\":1}\n{\"x\":2}\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      assertThatThrownBy(() -> sink.write(junk, 0, junk.length)).isInstanceOf(RunFailure.class)
          .hasMessageContaining("the output of partition 0 is not a stream of Arrow IPC messages");
    }
  }

  @Test
  void aFileThatIsNoIpcFile_isNamedWithWhatWasFound() throws Exception {
    Path stream = dir.resolve("stream.arrow");
    Files.write(stream, new byte[64]);
    assertThatThrownBy(() -> ArrowFileSplitter.open(stream, 0, 1)).isInstanceOf(RunFailure.class)
        .hasMessageContaining("is not a valid Arrow IPC file: it does not start and end with the bytes ARROW1")
        .extracting(e -> ((RunFailure) e).exitCode()).isEqualTo(ExitCode.BAD_INPUT);
  }

  static Partition partition(int index) {
    return new Partition(index, index == 0 ? 1 : 4, index == 0 ? 3 : 5, index == 0 ? 3 : 2, 0, new ArrayDeque<>(),
        true);
  }

  /** run_pandas_answers.bin: each output frame (4-byte count, then Arrow messages) after its int32 length. */
  static List<byte[]> answers() throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(GOLDEN.resolve("run_pandas_answers.bin")));
    List<byte[]> out = new ArrayList<>();
    while (b.hasRemaining()) {
      byte[] a = new byte[b.getInt()];
      b.get(a);
      out.add(a);
    }
    return out;
  }

  static ArrowFooter footer(byte[] file) {
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    int length = b.getInt(file.length - 10);
    ByteBuffer fb = ByteBuffer.wrap(file, file.length - 10 - length, length).slice().order(ByteOrder.LITTLE_ENDIAN);
    return new ArrowFooter(Footer.getRootAsFooter(fb));
  }
}
