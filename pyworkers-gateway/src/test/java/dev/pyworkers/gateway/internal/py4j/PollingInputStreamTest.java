package dev.pyworkers.gateway.internal.py4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gateway's polling reads over a real loopback socket: the same bytes as a plain read, early or late. */
class PollingInputStreamTest {
  private interface Peer {
    void talk(OutputStream out) throws Exception;
  }

  private static List<String> lines(long spinNanos, int count, Peer peer) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        Socket accepted = server.accept()) {
      Thread writer = new Thread(() -> {
        try {
          peer.talk(client.getOutputStream());
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      writer.start();
      BufferedReader reader = new BufferedReader(new InputStreamReader(
          new PollingInputStream(accepted.getInputStream(), spinNanos), StandardCharsets.UTF_8));
      List<String> got = new ArrayList<>();
      for (int i = 0; i < count; i++) got.add(reader.readLine());
      writer.join(10_000);
      assertThat(writer.isAlive()).isFalse();
      return got;
    }
  }

  @Test
  void commandsThatComeAtOnceLateAndInPiecesAreReadWhole() throws Exception {
    for (long spin : new long[] {50_000, 5_000_000}) {
      List<String> got = lines(spin, 6, out -> {
        out.write("c\nz:java.lang.Math\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        Thread.sleep(30); // longer than either window: the reader has gone to a blocking read
        out.write("ab".getBytes(StandardCharsets.UTF_8));
        out.flush();
        Thread.sleep(2);
        out.write("s\ni-1\ne\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        for (int i = 0; i < 300; i++) out.write('x'); // many polls fail and back off in a row
        out.write('\n');
        out.flush();
      });
      assertThat(got).containsExactly("c", "z:java.lang.Math", "abs", "i-1", "e", "x".repeat(300));
    }
  }

  @Test
  void manyLateCommandsInARowAreAllRead() throws Exception {
    // each command comes after the window: the backoff grows to its cap and every command still arrives
    int n = PollingInputStream.MAX_BACKOFF_READS + 40;
    List<String> got = lines(10_000, n, out -> {
      for (int i = 0; i < n; i++) {
        long until = System.nanoTime() + 60_000; // past the 10 us window, without a sleep's millisecond
        while (System.nanoTime() < until) Thread.onSpinWait();
        out.write(("cmd" + i + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    });
    assertThat(got).hasSize(n);
    for (int i = 0; i < n; i++) assertThat(got.get(i)).isEqualTo("cmd" + i);
  }

  @Test
  void theEndOfTheStreamIsSeenWithPollingOn() throws Exception {
    List<String> got = lines(1_000_000, 2, out -> {
      out.write("last\n".getBytes(StandardCharsets.UTF_8));
      out.close();
    });
    assertThat(got).containsExactly("last", null);
  }
}
