package dev.pyworkers.cli.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The record size limit while splitting: over it is a malformed line with its number and size. No processes. */
class InputSplitterRecordSizeTest {
  static InputStream bytes(String s, boolean oneByteAtATime) {
    InputStream in = new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    if (!oneByteAtATime) return in;
    return new FilterInputStream(in) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 1));
      }
    };
  }

  /** Every record of the input, as the splitter cut it. */
  static List<String> records(InputStream in, InputFormat format, long limit) throws Exception {
    InputSplitter s = new InputSplitter(in, format, 1, 1 << 20, limit);
    List<String> out = new ArrayList<>();
    for (Partition p; (p = s.next()) != null; ) {
      p.drain().forEachRemaining(f -> out.add(new String(f, 8, f.length - 8, StandardCharsets.UTF_8)));
    }
    return out;
  }

  static RunFailure failure(InputStream in, InputFormat format, long limit) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> records(in, format, limit));
    assertThat(t).isInstanceOf(RunFailure.class);
    RunFailure f = (RunFailure) t;
    assertThat(f.exitCode()).isEqualTo(ExitCode.BAD_INPUT);
    return f;
  }

  @ParameterizedTest(name = "one byte at a time: {0}")
  @ValueSource(booleans = {false, true})
  void lineOverTheLimit_isBadInput_withItsLineNumberSizeAndStart(boolean oneByteAtATime) {
    String text = "a\nb\n" + "x".repeat(40) + "\nc\n";
    RunFailure f = failure(bytes(text, oneByteAtATime), InputFormat.JSONL, 16);
    assertThat(f).hasMessage("input line 3 is 40 bytes, over the record size limit of 16 bytes: raise"
        + " --max-record-size (and the heap, e.g. PYWORKERS_JAVA_OPTS=-Xmx2g), or check that the input is really"
        + " jsonl; it starts with '" + "x".repeat(40) + "'");
  }

  @ParameterizedTest(name = "one byte at a time: {0}")
  @ValueSource(booleans = {false, true})
  void recordsOfExactlyTheLimit_pass_withLfCrlfAndNoLineEndAtTheEnd(boolean oneByteAtATime) throws Exception {
    String r = "y".repeat(16);
    assertThat(records(bytes(r + "\n" + r + "\r\n" + r, oneByteAtATime), InputFormat.TEXT, 16))
        .containsExactly(r + "\n", r + "\r\n", r);
    assertThat(failure(bytes(r + "\n" + r + "z", oneByteAtATime), InputFormat.TEXT, 16))
        .hasMessageStartingWith("input line 2 is 17 bytes, over the record size limit of 16 bytes");
    assertThat(failure(bytes(r + "zz\r\n", oneByteAtATime), InputFormat.TEXT, 16))
        .hasMessageStartingWith("input line 1 is 18 bytes, over");
  }

  @ParameterizedTest(name = "one byte at a time: {0}")
  @ValueSource(booleans = {false, true})
  void csvRecordSpanningLines_isOneRecord_forTheLimit(boolean oneByteAtATime) throws Exception {
    String under = "k,\"" + "a\n".repeat(6) + "\"\n"; // 16 bytes without its line end, over 7 lines
    String over = "k,\"" + "b\n".repeat(10) + "\"\n";
    assertThat(records(bytes("h,v\n" + under + "1,2\n", oneByteAtATime), InputFormat.CSV, 16))
        .containsExactly("h,v\n", under, "1,2\n");
    RunFailure f = failure(bytes("h,v\n" + under + over + "1,2\n", oneByteAtATime), InputFormat.CSV, 16);
    assertThat(f).hasMessageStartingWith("the CSV record at input line 9 is 24 bytes, over the record size limit of"
        + " 16 bytes").hasMessageEndingWith("it starts with 'k,\"b\\nb\\nb\\nb\\nb\\nb\\nb\\nb\\nb\\nb\\n\"'");
    assertThat(failure(bytes(over + "1\n", oneByteAtATime), InputFormat.CSV, 16))
        .hasMessageStartingWith("the CSV header at input line 1 is 24 bytes");
  }

  @Test
  void hugeLine_isCountedWithoutBeingKept_andItsExcerptIsCutAt80Characters() {
    long size = 100L << 20;
    InputStream huge = new InputStream() {
      long left = size;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0];
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left < 0) return -1;
        int n = (int) Math.min(len, left);
        java.util.Arrays.fill(b, off, off + n, (byte) 'z');
        left -= n;
        if (n < len) {
          b[off + n++] = '\n';
          left = -1;
        }
        return n;
      }
    };
    InputStream in = new SequenceInputStream(bytes("{}\n", false), huge);
    RunFailure f = failure(in, InputFormat.JSONL, 1 << 20);
    assertThat(f).hasMessageStartingWith("input line 2 is 100.0 MiB (104857600 bytes), over the record size limit"
        + " of 1.0 MiB (1048576 bytes)").hasMessageEndingWith("'" + "z".repeat(80) + "'...");
  }

  @Test
  void limitOutOfRange_isRejected() {
    assertThatThrownBy(() -> new InputSplitter(bytes("", false), InputFormat.TEXT, 0, 1, 0))
        .hasMessageContaining("maxRecordBytes must be between 1 and 268435456, got 0");
  }
}
