package dev.pyworkers.gateway.internal.py4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One accepted connection of {@link UnixServerSocket}, shaped as the {@link Socket} that Py4J's connection classes
 * take: its streams, {@link #close()}, and the option setters Py4J calls (no-ops here: a Unix socket has no Nagle,
 * and the auth timeout is a timer). The JDK cannot give a {@code Socket} for a Unix channel itself.
 *
 * <p>Reads poll for up to {@code spinNanos} before they block, the JVM's half of the driver's polling (the driver's
 * {@code _linereader} module says why): the channel stays non-blocking while the thread polls, and is switched to
 * blocking mode only for a read that has to wait. A poll that ends without bytes turns polling off for the next
 * reads, 1 after the first such poll, then 2, 4, ... up to {@value #MAX_BACKOFF_READS} while they keep failing; one
 * that gets bytes starts again at 1. When the driver thinks between calls longer than the window, or shares this
 * thread's CPU (then each side's polling only delays the other), polling would cost a window a call and save
 * nothing; a single late command costs one read without polling. Writes that find the socket's buffer full switch to blocking mode too. One thread reads and
 * writes a connection at a time (Py4J's pinned threads); {@link #close()} may come from any thread and wakes a
 * blocked read or write.
 */
final class UnixChannelSocket extends Socket {
  static final int MAX_BACKOFF_READS = 4096;

  private final SocketChannel channel;
  private final long spinNanos;
  private final InputStream in = new In();
  private final OutputStream out = new Out();
  private int skip;
  private int backoff = 1;

  UnixChannelSocket(SocketChannel channel, long spinNanos) throws IOException {
    this.channel = channel;
    this.spinNanos = spinNanos;
    channel.configureBlocking(spinNanos == 0);
  }

  @Override
  public InputStream getInputStream() throws IOException {
    if (!channel.isOpen()) throw new SocketException("Socket is closed");
    return in;
  }

  @Override
  public OutputStream getOutputStream() throws IOException {
    if (!channel.isOpen()) throw new SocketException("Socket is closed");
    return out;
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }

  @Override
  public boolean isClosed() {
    return !channel.isOpen();
  }

  @Override
  public boolean isConnected() {
    return channel.isConnected();
  }

  @Override
  public synchronized void setSoTimeout(int timeout) {
    // Py4J sets one only around a non-blocking callback read; a Unix connection keeps blocking reads
  }

  @Override
  public void setTcpNoDelay(boolean on) {
    // not a TCP socket: every write goes at once
  }

  @Override
  public void setSoLinger(boolean on, int linger) {
    // nothing to linger over on a local socket
  }

  @Override
  public int getPort() {
    return -1;
  }

  @Override
  public String toString() {
    return "UnixChannelSocket[" + channel + "]";
  }

  private int readSome(ByteBuffer buf) throws IOException {
    if (spinNanos == 0) return channel.read(buf);
    int n = channel.read(buf); // non-blocking here
    if (n != 0) return n;
    if (skip > 0) {
      skip--;
    } else {
      long deadline = System.nanoTime() + spinNanos;
      while (System.nanoTime() - deadline < 0) {
        Thread.onSpinWait();
        n = channel.read(buf);
        if (n != 0) {
          backoff = 1;
          return n;
        }
      }
      skip = backoff;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_READS);
    }
    channel.configureBlocking(true);
    try {
      return channel.read(buf);
    } finally {
      if (channel.isOpen()) channel.configureBlocking(false);
    }
  }

  private void writeAll(ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      if (channel.write(buf) == 0 && buf.hasRemaining()) {
        channel.configureBlocking(true); // the buffer is full: wait for the driver to read
        try {
          while (buf.hasRemaining()) channel.write(buf);
        } finally {
          if (channel.isOpen() && spinNanos > 0) channel.configureBlocking(false);
        }
      }
    }
  }

  private final class In extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) return 0;
      return readSome(ByteBuffer.wrap(b, off, len));
    }

    @Override
    public void close() throws IOException {
      UnixChannelSocket.this.close();
    }
  }

  private final class Out extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      writeAll(ByteBuffer.wrap(new byte[] {(byte) b}));
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      writeAll(ByteBuffer.wrap(b, off, len));
    }

    @Override
    public void close() throws IOException {
      UnixChannelSocket.this.close();
    }
  }
}
