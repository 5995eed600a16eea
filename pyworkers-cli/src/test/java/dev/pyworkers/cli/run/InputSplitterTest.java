package dev.pyworkers.cli.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Cutting input into partitions and frames: whole records, line numbers, CSV quotes, odd reads. No processes. */
class InputSplitterTest {
  /** A frame as (first line number, text). */
  record Frame(long line, String text) {}

  static List<List<Frame>> split(InputStream in, InputFormat format, int batchRecords, long partitionBytes)
      throws Exception {
    InputSplitter s = new InputSplitter(in, format, batchRecords, partitionBytes);
    List<List<Frame>> partitions = new ArrayList<>();
    int expectedIndex = 0;
    for (Partition p; (p = s.next()) != null; ) {
      assertThat(p.index()).isEqualTo(expectedIndex++);
      List<Frame> frames = new ArrayList<>();
      p.drain().forEachRemaining(f -> frames.add(new Frame(ByteBuffer.wrap(f).getLong(),
          new String(f, 8, f.length - 8, StandardCharsets.UTF_8))));
      assertThat(p.frames()).as("drained").isEmpty();
      partitions.add(frames);
    }
    return partitions;
  }

  static InputStream bytes(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Hands out one byte per read, like okio's OneByteAtATimeSource. */
  static InputStream oneByteAtATime(String s) {
    return new FilterInputStream(bytes(s)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 1));
      }
    };
  }

  @Test
  void jsonl_framesCarryTheirFirstLineNumber_andPartitionsEndWithTheRecordThatReachesTheirSize() throws Exception {
    String text = IntStream.range(0, 10).mapToObj(i -> "{\"i\":" + i + "}").collect(Collectors.joining("\n", "", "\n"));
    List<List<Frame>> parts = split(bytes(text), InputFormat.JSONL, 2, 20);
    assertThat(parts).hasSize(4);
    assertThat(parts.get(0)).containsExactly(new Frame(1, "{\"i\":0}\n{\"i\":1}\n"), new Frame(3, "{\"i\":2}\n"));
    assertThat(parts.get(2)).containsExactly(new Frame(7, "{\"i\":6}\n{\"i\":7}\n"), new Frame(9, "{\"i\":8}\n"));
    assertThat(parts.get(3)).containsExactly(new Frame(10, "{\"i\":9}\n"));
  }

  @Test
  void smallPartitions_withoutABatchSize_haveFramesNoLargerThanThePartition() throws Exception {
    String text = IntStream.range(0, 1000).mapToObj(i -> "{\"i\": " + i + "}").collect(Collectors.joining("\n", "", "\n"));
    List<List<Frame>> parts = split(bytes(text), InputFormat.JSONL, 0, 2048);
    assertThat(parts).hasSize((text.length() + 2047) / 2048);
    for (List<Frame> p : parts) {
      assertThat(p).hasSize(1);
      assertThat(p.get(0).text().length()).isLessThan(2048 + 12);
    }
    assertThat(split(bytes(text), InputFormat.JSONL, 0, 1)).as("one record per partition").hasSize(1000);
  }

  @Test
  void lastLineWithoutLineEnd_isARecord_andABomIsDropped() throws Exception {
    List<List<Frame>> parts = split(bytes("\uFEFFa\n\nb"), InputFormat.TEXT, 0, 1 << 20);
    assertThat(parts).containsExactly(List.of(new Frame(1, "a\n\nb")));
  }

  @Test
  void emptyInput_hasNoPartition() throws Exception {
    assertThat(split(bytes(""), InputFormat.JSONL, 0, 100)).isEmpty();
    assertThat(split(bytes("\uFEFF"), InputFormat.CSV, 0, 100)).isEmpty();
    assertThat(split(bytes("a,b\n"), InputFormat.CSV, 0, 100)).isEmpty();
  }

  @Test
  void csv_headerOpensEveryPartition_andQuotedLineEndsStayInTheirRecord() throws Exception {
    String csv = "h1,h2\r\n1,\"x\ny\"\r\n2,\"a\"\"\n\"\"b\"\r\n3,c\"d\n4,\"\"\n";
    List<List<Frame>> parts = split(bytes(csv), InputFormat.CSV, 1, 1);
    assertThat(parts).hasSize(4);
    for (List<Frame> p : parts) assertThat(p.get(0)).isEqualTo(new Frame(1, "h1,h2\r\n"));
    assertThat(parts.get(0).get(1)).isEqualTo(new Frame(2, "1,\"x\ny\"\r\n"));
    assertThat(parts.get(1).get(1)).isEqualTo(new Frame(4, "2,\"a\"\"\n\"\"b\"\r\n"));
    assertThat(parts.get(2).get(1)).as("a quote inside an unquoted field is a plain character")
        .isEqualTo(new Frame(6, "3,c\"d\n"));
    assertThat(parts.get(3).get(1)).isEqualTo(new Frame(7, "4,\"\"\n"));
  }

  @Test
  void oneByteAtATime_givesTheSameFrames() throws Exception {
    String csv = "a,b\n" + IntStream.range(0, 300).mapToObj(i -> i + ",\"v\n" + i + "\"")
        .collect(Collectors.joining("\n", "", "\n"));
    assertThat(split(oneByteAtATime(csv), InputFormat.CSV, 7, 100))
        .isEqualTo(split(bytes(csv), InputFormat.CSV, 7, 100));
    String lines = IntStream.range(0, 5000).mapToObj(i -> "line " + i).collect(Collectors.joining("\n"));
    assertThat(split(oneByteAtATime(lines), InputFormat.TEXT, 0, 10_000))
        .isEqualTo(split(bytes(lines), InputFormat.TEXT, 0, 10_000));
  }

  @Test
  void defaultFrames_holdAbout64KiB_ofWholeLines() throws Exception {
    String line = "x".repeat(999) + "\n";
    List<List<Frame>> parts = split(bytes(line.repeat(1000)), InputFormat.TEXT, 0, 1 << 30);
    assertThat(parts).hasSize(1);
    List<Frame> frames = parts.get(0);
    assertThat(frames).allSatisfy(f -> assertThat(f.text()).endsWith("\n"));
    assertThat(frames.get(0).text()).hasSize(66 * 1000);
    assertThat(frames.get(1).line()).isEqualTo(67);
    assertThat(frames.stream().mapToInt(f -> f.text().length()).sum()).isEqualTo(1000 * 1000);
  }

  @Test
  void aLineLongerThanTheReadBuffer_isOneRecord() throws Exception {
    String big = "y".repeat(9 << 20);
    List<List<Frame>> parts = split(bytes("a\n" + big + "\nb\n"), InputFormat.TEXT, 1, 1 << 30);
    assertThat(parts.get(0)).extracting(Frame::line).containsExactly(1L, 2L, 3L);
    assertThat(parts.get(0).get(1).text()).isEqualTo(big + "\n");
  }

  @Test
  void unterminatedQuote_endsAtTheEndOfTheInput() throws Exception {
    assertThat(split(bytes("h\n\"open\nnever closed\n"), InputFormat.CSV, 0, 100))
        .containsExactly(List.of(new Frame(1, "h\n"), new Frame(2, "\"open\nnever closed\n")));
  }

  @Test
  void badArguments_areRejected() {
    assertThatThrownBy(() -> new InputSplitter(bytes(""), InputFormat.TEXT, -1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new InputSplitter(bytes(""), InputFormat.TEXT, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
