package dev.pyworkers.internal.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The pump's line splitting (as {@code BufferedReader.readLine} splits) and its count of {@code \n}-ended lines. */
class OutputPumpTest {
  private static OutputPump pumpOf(String text, boolean daemon) {
    OutputPump pump = OutputPump.start(
        new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), 4242, daemon);
    assertThat(pump.awaitEnd(5000)).isTrue();
    return pump;
  }

  @Test
  void lines_endAtNewlineCarriageReturnOrBoth_andALastPartialLineIsKept() {
    OutputPump pump = pumpOf("one\ntwo\r\nthree\rfour\r\rfive", false);
    assertThat(pump.tail()).isEqualTo("one\ntwo\nthree\nfour\n\nfive");
    assertThat(pump.awaitLines(2, 0)).isTrue();
    assertThat(pump.awaitLines(3, 0)).isFalse();  // only two \n: \r alone ends a line but is not counted
  }

  @Test
  void daemonLines_areKeptByWorker_andTheDaemonsExitLogLineIsOnlyALogLine() {
    OutputPump pump = pumpOf("[pid 7] hello\n[daemon] DEBUG worker pid 7 exited with code 3\n[pid 8] other\n", true);
    assertThat(pump.tailOf(7)).isEqualTo("hello");
    assertThat(pump.tailOf(8)).isEqualTo("other");
    assertThat(pump.awaitLines(3, 0)).isTrue();
  }

  @Test
  void longLines_areCutAt2000Characters_evenInMultibyteText() {
    OutputPump pump = pumpOf("é".repeat(10_000) + "\nnext\n", false);
    assertThat(pump.tail()).isEqualTo("é".repeat(2000) + "...\nnext");
  }

  @Test
  void awaitLines_returnsOnceThatManyLinesAreInTheTail() throws IOException {
    PipedOutputStream out = new PipedOutputStream();
    OutputPump pump = OutputPump.start(new PipedInputStream(out), 4242, true);
    assertThat(pump.awaitLines(1, 50)).isFalse();
    out.write("[pid 9] last words\n".getBytes(StandardCharsets.UTF_8));
    out.flush();
    assertThat(pump.awaitLines(1, 5000)).isTrue();
    assertThat(pump.tailOf(9)).isEqualTo("last words");
    out.close();
    assertThat(pump.awaitEnd(5000)).isTrue();
    assertThat(pump.awaitLines(2, 5000)).isFalse();  // the stream ended: no wait
  }
}
