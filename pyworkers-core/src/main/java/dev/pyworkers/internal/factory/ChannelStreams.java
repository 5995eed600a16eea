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
 * not available on Unix domain channels.) Each stream is confined to one thread at a time.
 */
final class ChannelStreams {
  private ChannelStreams() {}

  static InputStream input(SocketChannel ch) {
    return new InputStream() {
      private final byte[] one = new byte[1];

      @Override
      public int read() throws IOException {
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        return ch.read(ByteBuffer.wrap(b, off, len));
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }

  static OutputStream output(SocketChannel ch) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) ch.write(buf);
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }
}
