package dev.pyworkers.internal.factory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Unbuffered streams over a blocking socket channel that read and write through the channel itself, so one thread
 * can block in a read while another writes. ({@code Channels.newInputStream} and {@code newOutputStream} both take
 * the channel's blocking lock for every call, which lets a blocked read stall every write; and {@code socket()} is
 * not available on Unix domain channels.) Each stream is confined to one thread at a time, and counts the bytes
 * that went through it: one writer (that thread), any reader (a task's metrics).
 */
final class ChannelStreams {
  private ChannelStreams() {}

  /** An input stream over a channel, with the count of bytes read so far. */
  abstract static class CountingInput extends InputStream {
    /** Written only by the stream's thread; volatile so that another thread reads a recent count. */
    volatile long bytes;
  }

  /** An output stream over a channel, with the count of bytes written so far. */
  abstract static class CountingOutput extends OutputStream {
    /** Written only by the stream's thread; volatile so that another thread reads a recent count. */
    volatile long bytes;
  }

  static CountingInput input(SocketChannel ch) {
    return new CountingInput() {
      private final byte[] one = new byte[1];

      @Override
      public int read() throws IOException {
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      @SuppressWarnings("NonAtomicVolatileUpdate") // one writer: the stream's thread; others only read the count
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        int n = ch.read(ByteBuffer.wrap(b, off, len));
        if (n > 0) bytes += n;
        return n;
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }

  static CountingOutput output(SocketChannel ch) {
    return new CountingOutput() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      @SuppressWarnings("NonAtomicVolatileUpdate") // one writer: the stream's thread; others only read the count
      public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) ch.write(buf);
        bytes += len;
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }
}
