package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A damaged Arrow IPC input to {@code pyworkers run --pandas} is a bad input (exit 3) whose one line names the file,
 * the record batch (and its rows where they are known) and what is wrong, for each kind of damage: a file cut short,
 * a footer that places a batch past the end, a batch whose metadata is not a flatbuffer Message (found by the JVM,
 * before the batch's partition is sent), and a batch whose body is garbage (found only by the worker that reads
 * it). Each runs for an {@code .arrow} file (uncompressed) and a {@code .feather} one (LZ4-compressed, as pyarrow
 * writes Feather by default); an Arrow IPC stream named {@code .arrow} is refused too. The damage is made by
 * overwriting the bytes the file's own footer points at. After each test, {@link NoLeaks} proves no process is
 * left, and the test proves neither OUT nor its temporary file was left.
 */
@ExtendWith(NoLeaks.class)
class RunPandasDamagedArrowTest {
  static final String PYTHON = TestRun.python();
  static final int ROWS = 1000;
  static final int BATCH = 300;

  @TempDir Path dir;
  Path udfs;

  @BeforeEach
  void copyUdfs() throws IOException {
    try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("pandas_udfs.py"))) {
      udfs = dir.resolve("pandas_udfs.py");
      Files.copy(in, udfs, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Runs {@code plus_one} over {@code in} into out.jsonl on two workers, a partition per batch; returns stderr. */
  String runExpectingBadInput(Path in) throws Exception {
    CliProcess p = CliProcess.run(dir, "run", "--pandas", "--udf", udfs + ":plus_one", "--input", in.toString(),
        "--output", dir.resolve("out.jsonl").toString(), "--python", PYTHON, "--workers", "2",
        "--partition-size", "1k");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(3);
    try (var files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString())).as("OUT and its temporary file")
          .noneMatch(n -> n.startsWith("out.jsonl") || n.startsWith(".out.jsonl"));
    }
    String stderr = p.stderr().strip();
    assertThat(stderr.lines()).as(stderr).hasSize(1);
    return stderr;
  }

  /** {x: int64, s: string with nulls} of {@link #ROWS} rows in batches of {@link #BATCH}: a file or a stream. */
  Path write(String name, String how) throws Exception {
    Path p = dir.resolve(name);
    String script = "import sys, pyarrow as pa, pyarrow.feather as feather\n"
        + "t = pa.table({'x': pa.array(range(" + ROWS + "), pa.int64()),"
        + " 's': pa.array([None if i % 7 == 0 else 'r%d' % i for i in range(" + ROWS + ")], pa.string())})\n"
        + "path = sys.argv[1]\n"
        + "if sys.argv[2] == 'feather':\n"
        + "    feather.write_feather(t, path, chunksize=" + BATCH + ")\n"
        + "else:\n"
        + "    new = pa.ipc.new_stream if sys.argv[2] == 'stream' else pa.ipc.new_file\n"
        + "    with new(path, t.schema) as w:\n"
        + "        for b in t.to_batches(max_chunksize=" + BATCH + "): w.write_batch(b)\n";
    Process proc = new ProcessBuilder(PYTHON, "-c", script, p.toString(), how).redirectErrorStream(true).start();
    String output = new String(proc.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(proc.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(proc.exitValue()).as(output).isZero();
    return p;
  }

  Path write(String ext) throws Exception {
    return write("in." + ext, ext);
  }

  /** The footer of an IPC file, as the file's own bytes hold it. */
  static ArrowFooter footer(byte[] file) {
    int length = ByteBuffer.wrap(file, file.length - 10, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    ByteBuffer footer = ByteBuffer.wrap(file, file.length - 10 - length, length).slice()
        .order(ByteOrder.LITTLE_ENDIAN);
    return new ArrowFooter(Footer.getRootAsFooter(footer));
  }

  /** Overwrites bytes {@code [from, to)} of {@code file} with 0xA5. */
  static void fill(Path file, byte[] bytes, long from, long to) throws IOException {
    Arrays.fill(bytes, Math.toIntExact(from), Math.toIntExact(to), (byte) 0xA5);
    Files.write(file, bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"arrow", "feather"})
  void aFileCutShort_exit3_sayingItsFooterIsMissing(String ext) throws Exception {
    Path in = write(ext);
    byte[] bytes = Files.readAllBytes(in);
    Files.write(in, Arrays.copyOf(bytes, bytes.length / 2));
    assertThat(runExpectingBadInput(in)).contains("--input " + in + " is not a valid Arrow IPC file: it starts with"
        + " the bytes ARROW1 of the Arrow IPC file format but does not end with them, so its footer (the list of its"
        + " record batches) is missing: the file is cut short");
  }

  @ParameterizedTest
  @ValueSource(strings = {"arrow", "feather"})
  void aFooterWhoseBlockLiesPastTheEnd_exit3_namingTheBatchAndWhereItWouldBe(String ext) throws Exception {
    Path in = write(ext);
    byte[] bytes = Files.readAllBytes(in);
    ArrowFooter footer = footer(bytes);
    List<ArrowBlock> blocks = new ArrayList<>(footer.getRecordBatches());
    assertThat(blocks).hasSize(4);
    ArrowBlock b = blocks.get(2);
    long past = bytes.length + 4096L;
    blocks.set(2, new ArrowBlock(past, b.getMetadataLength(), b.getBodyLength()));
    FlatBufferBuilder builder = new FlatBufferBuilder();
    builder.finish(new ArrowFooter(footer.getSchema(), footer.getDictionaries(), blocks).writeTo(builder));
    byte[] newFooter = builder.sizedByteArray();
    int oldFooter = ByteBuffer.wrap(bytes, bytes.length - 10, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    int start = bytes.length - 10 - oldFooter;
    ByteBuffer out = ByteBuffer.allocate(start + newFooter.length + 10).order(ByteOrder.LITTLE_ENDIAN);
    out.put(bytes, 0, start).put(newFooter).putInt(newFooter.length).put(Arrays.copyOfRange(bytes, bytes.length - 6,
        bytes.length));
    Files.write(in, out.array());
    assertThat(footer(out.array()).getRecordBatches().get(2).getOffset()).isEqualTo(past);
    assertThat(runExpectingBadInput(in)).contains("--input " + in + " is not a valid Arrow IPC file: its footer"
        + " places record batch 2 at byte " + past + " with " + b.getMetadataLength() + " bytes of metadata and "
        + b.getBodyLength() + " of body, outside bytes 8-" + start + " that hold the batches; the file is damaged");
  }

  @ParameterizedTest
  @ValueSource(strings = {"arrow", "feather"})
  void aBatchWhoseMetadataIsGarbage_exit3_namingTheBatchAndItsFirstRow(String ext) throws Exception {
    Path in = write(ext);
    byte[] bytes = Files.readAllBytes(in);
    ArrowBlock b = footer(bytes).getRecordBatches().get(1);
    fill(in, bytes, b.getOffset() + 8, b.getOffset() + b.getMetadataLength());
    assertThat(runExpectingBadInput(in)).contains("--input " + in + " is not a valid Arrow IPC file: its record"
        + " batch 1 (from row " + (BATCH + 1) + ") has metadata that cannot be read (IndexOutOfBoundsException")
        .contains("; the file is damaged: write it again from its source");
  }

  @ParameterizedTest
  @ValueSource(strings = {"arrow", "feather"})
  void aBatchWhoseBodyIsGarbage_exit3_fromTheWorker_namingTheBatchAndItsRows(String ext) throws Exception {
    Path in = write(ext);
    byte[] bytes = Files.readAllBytes(in);
    ArrowBlock b = footer(bytes).getRecordBatches().get(1);
    long body = b.getOffset() + b.getMetadataLength();
    fill(in, bytes, body, body + b.getBodyLength());
    String error = runExpectingBadInput(in);
    assertThat(error).contains("--input " + in + ": record batch 1 (rows " + (BATCH + 1) + "-" + 2 * BATCH
        + ") cannot be read: ").contains("; the file is damaged: write it again from its source")
        .doesNotContain("Python raised").doesNotContain("defect");
  }

  @Test
  void anArrowStreamNamedDotArrow_exit3_sayingItIsAStreamAndHowToConvertIt() throws Exception {
    Path in = write("in.arrow", "stream");
    assertThat(runExpectingBadInput(in)).contains("--input " + in + " is not a valid Arrow IPC file: it is an Arrow"
        + " IPC stream (it starts with the stream's continuation marker)")
        .contains("pyarrow.feather.write_feather(pyarrow.ipc.open_stream(source).read_all(), path)");
  }
}
