package dev.pyworkers.gateway.internal.py4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's Unix socket: polling and blocking reads give the same bytes as a plain stream, early or late; a full
 * buffer makes writes wait instead of failing; a close wakes a blocked read; the socket file goes with the server.
 */
class UnixChannelSocketTest {
  @TempDir Path tmp;

  private interface Peer {
    void talk(SocketChannel driver) throws Exception;
  }

  private List<String> lines(long spinNanos, int count, Peer peer) throws Exception {
    Path path = tmp.resolve("s" + spinNanos + ".sock");
    try (ServerSocket server = UnixServerSocket.factory(path, spinNanos).createServerSocket()) {
      server.bind(null, 0);
      try (SocketChannel driver = SocketChannel.open(UnixDomainSocketAddress.of(path));
          UnixChannelSocket jvm = (UnixChannelSocket) server.accept()) {
        CompletableFuture<Void> talking = CompletableFuture.runAsync(() -> {
          try {
            peer.talk(driver);
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        });
        BufferedReader reader = new BufferedReader(new InputStreamReader(jvm.getInputStream(),
            StandardCharsets.UTF_8));
        List<String> got = new ArrayList<>();
        for (int i = 0; i < count; i++) got.add(reader.readLine());
        talking.get(10, TimeUnit.SECONDS);
        return got;
      }
    } finally {
      assertThat(path).doesNotExist();
    }
  }

  private static void send(SocketChannel ch, String s) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) ch.write(b);
  }

  @Test
  void commandsThatComeAtOnceLateAndInPiecesAreReadWhole() throws Exception {
    for (long spin : new long[] {0, 50_000, 5_000_000}) {
      List<String> got = lines(spin, 6, ch -> {
        send(ch, "c\nz:java.lang.Math\n");
        Thread.sleep(30); // longer than every window: the reader has gone to a blocking read
        send(ch, "ab");
        Thread.sleep(2);
        send(ch, "s\ni-1\ne\n" + "x".repeat(300_000) + "\n");
      });
      assertThat(got).containsExactly("c", "z:java.lang.Math", "abs", "i-1", "e", "x".repeat(300_000));
    }
  }

  @Test
  void manyLateCommandsInARowAreAllRead() throws Exception {
    // each command comes after the 10 us window: the backoff grows to its cap and every command still arrives
    int n = UnixChannelSocket.MAX_BACKOFF_READS + 40;
    List<String> got = lines(10_000, n, ch -> {
      for (int i = 0; i < n; i++) {
        long until = System.nanoTime() + 60_000;
        while (System.nanoTime() < until) Thread.onSpinWait();
        send(ch, "cmd" + i + "\n");
      }
    });
    for (int i = 0; i < n; i++) assertThat(got.get(i)).isEqualTo("cmd" + i);
  }

  @Test
  void theEndOfTheStreamIsSeen() throws Exception {
    assertThat(lines(1_000_000, 2, ch -> {
      send(ch, "last\n");
      ch.close();
    })).containsExactly("last", null);
  }

  @Test
  void anAnswerLargerThanTheSocketBufferWaitsForTheReader() throws Exception {
    Path path = tmp.resolve("big.sock");
    byte[] answer = new byte[16 << 20];
    for (int i = 0; i < answer.length; i++) answer[i] = (byte) (i * 31);
    try (ServerSocket server = UnixServerSocket.factory(path, 50_000).createServerSocket()) {
      server.bind(null, 0);
      try (SocketChannel driver = SocketChannel.open(UnixDomainSocketAddress.of(path));
          UnixChannelSocket jvm = (UnixChannelSocket) server.accept()) {
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
          try {
            OutputStream out = jvm.getOutputStream();
            out.write(answer);
            out.flush();
          } catch (IOException e) {
            throw new RuntimeException(e);
          }
        });
        Thread.sleep(50); // the writer has filled the socket's buffer by now
        byte[] got = Channels.newInputStream(driver).readNBytes(answer.length);
        writing.get(10, TimeUnit.SECONDS);
        assertThat(Arrays.equals(got, answer)).isTrue();
      }
    }
  }

  @Test
  void aCloseFromAnotherThreadEndsABlockedRead() throws Exception {
    Path path = tmp.resolve("close.sock");
    try (ServerSocket server = UnixServerSocket.factory(path, 50_000).createServerSocket()) {
      server.bind(null, 0);
      try (SocketChannel driver = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
        UnixChannelSocket jvm = (UnixChannelSocket) server.accept();
        InputStream in = jvm.getInputStream();
        CompletableFuture<Integer> reading = CompletableFuture.supplyAsync(() -> {
          try {
            return in.read();
          } catch (IOException e) {
            throw new RuntimeException(e);
          }
        });
        Thread.sleep(50);
        jvm.close();
        assertThatThrownBy(() -> reading.get(5, TimeUnit.SECONDS)).hasRootCauseInstanceOf(IOException.class);
        assertThat(jvm.isClosed()).isTrue();
        assertThatThrownBy(jvm::getInputStream).isInstanceOf(SocketException.class);
      }
    }
  }

  @Test
  void aClosedServerSaysSocketClosedAsPy4JExpectsAndRemovesItsFile() throws Exception {
    Path path = tmp.resolve("gone.sock");
    ServerSocket server = UnixServerSocket.factory(path, 0).createServerSocket();
    server.bind(null, 0);
    assertThat(Files.exists(path)).isTrue();
    CompletableFuture<Object> accepting = CompletableFuture.supplyAsync(() -> {
      try {
        return server.accept();
      } catch (IOException e) {
        return e;
      }
    });
    Thread.sleep(50);
    server.close();
    Object result = accepting.get(5, TimeUnit.SECONDS);
    assertThat(result).isInstanceOf(SocketException.class);
    assertThat(((SocketException) result).getMessage()).isEqualTo("Socket closed");
    assertThat(path).doesNotExist();
  }
}
