package dev.pyworkers.gateway.internal.bench;

import dev.pyworkers.gateway.internal.map.Frames;
import dev.pyworkers.spi.OneShotSocket;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM's side of {@code bench gateway}'s bulk transfer: on a daemon thread, accepts the driver on a {@link
 * OneShotSocket}, writes {@code totalBytes} in frames of {@code frameBytes} (the last one shorter) with {@link
 * Frames#write}, the write of a map job's result frames, from one reused array (and one for the shorter last frame),
 * then {@code i32 -1}, and closes. It times the data socket and its write path, not a job: no worker is involved.
 * Thread-safe.
 */
public final class BulkSource implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(BulkSource.class);
  private static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(15);

  private final OneShotSocket socket;
  private final long totalBytes;
  private final int frameBytes;

  private BulkSource(OneShotSocket socket, long totalBytes, int frameBytes) {
    this.socket = socket;
    this.totalBytes = totalBytes;
    this.frameBytes = frameBytes;
  }

  /**
   * Starts writing to whoever passes {@code socket}'s handshake within 15 s. Closes {@code socket} and throws when
   * an argument is out of range.
   */
  public static void start(OneShotSocket socket, long totalBytes, int frameBytes) {
    if (totalBytes < 0 || frameBytes < 1) {
      socket.close();
      throw new IllegalArgumentException(
          "totalBytes must be >= 0 and frameBytes >= 1, got " + totalBytes + " and " + frameBytes);
    }
    Thread t = new Thread(new BulkSource(socket, totalBytes, frameBytes), "pyworkers-bench-bulk");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void run() {
    try (SocketChannel ch = socket.accept(ACCEPT_TIMEOUT)) {
      byte[] body = filled((int) Math.min(frameBytes, totalBytes));
      long left = totalBytes;
      while (left >= body.length && left > 0) {
        Frames.write(ch, body);
        left -= body.length;
      }
      if (left > 0) Frames.write(ch, filled((int) left));
      Frames.writeMarker(ch, Frames.END);
    } catch (IOException | RuntimeException e) {
      LOG.warn("bench bulk transfer ended early: {}", e.toString());
    } finally {
      socket.close();
    }
  }

  /** Bytes {@code 0, 1, 2, ...} (mod 256), so that a reader can check what it got. */
  private static byte[] filled(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) i;
    return b;
  }
}
