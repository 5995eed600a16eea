package dev.pyworkers.gateway.internal.bench;

import dev.pyworkers.spi.OneShotSocket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM's side of {@code bench gateway}'s bulk transfer: on a daemon thread, accepts the driver on a {@link
 * OneShotSocket}, writes frames of {@code frameBytes} (the last one shorter) from one reused buffer until {@code
 * totalBytes}, with the gathering write of a map job's result frames ({@code i32 length} and the body in one {@code
 * write} of both buffers), then {@code i32 -1}, and closes. Measures the data socket itself, not a job. Thread-safe.
 */
public final class BulkSource implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(BulkSource.class);
  private static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(15);
  private static final int END = -1;

  private final OneShotSocket socket;
  private final long totalBytes;
  private final int frameBytes;

  private BulkSource(OneShotSocket socket, long totalBytes, int frameBytes) {
    this.socket = socket;
    this.totalBytes = totalBytes;
    this.frameBytes = frameBytes;
  }

  /** Opens a data socket under {@code parent} and starts writing to whoever passes its handshake within 15 s. */
  public static BulkJob start(Path parent, long totalBytes, int frameBytes) throws IOException {
    if (totalBytes < 0) throw new IllegalArgumentException("totalBytes must be >= 0, got " + totalBytes);
    if (frameBytes < 1) throw new IllegalArgumentException("frameBytes must be >= 1, got " + frameBytes);
    OneShotSocket socket = OneShotSocket.open(parent);
    Thread t = new Thread(new BulkSource(socket, totalBytes, frameBytes), "pyworkers-bench-bulk");
    t.setDaemon(true);
    t.start();
    return new BulkJob(socket.path(), socket.secretHex());
  }

  @Override
  public void run() {
    try (SocketChannel ch = socket.accept(ACCEPT_TIMEOUT)) {
      byte[] body = new byte[frameBytes];
      for (int i = 0; i < body.length; i++) body[i] = (byte) i;
      ByteBuffer header = ByteBuffer.allocate(4);
      ByteBuffer whole = ByteBuffer.wrap(body);
      long left = totalBytes;
      while (left > 0) {
        int n = (int) Math.min(frameBytes, left);
        header.clear().putInt(0, n);
        whole.clear().limit(n);
        ByteBuffer[] both = {header, whole};
        while (whole.hasRemaining() || header.hasRemaining()) ch.write(both);
        left -= n;
      }
      ByteBuffer end = ByteBuffer.allocate(4).putInt(0, END);
      while (end.hasRemaining()) ch.write(end);
    } catch (IOException | RuntimeException e) {
      LOG.warn("bench bulk transfer ended early: {}", e.toString());
    } finally {
      socket.close();
    }
  }
}
