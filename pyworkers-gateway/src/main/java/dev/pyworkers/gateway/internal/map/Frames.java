package dev.pyworkers.gateway.internal.map;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * Length-prefixed frames on a data socket (docs/protocol.md section 9): {@code i32 length} then that many bytes, or
 * a negative length with a meaning of its own. Reads and writes go straight to the channel, never through {@code
 * Channels.newInputStream}, whose blocking reads hold the channel's blocking lock and would stall a concurrent
 * write. One reading thread and one writing thread may use a channel at once. Public for {@code bench gateway}'s
 * bulk source ({@code internal.bench.BulkSource}), which writes its frames with {@link #write} so that it times the
 * result path of a map job. Stateless.
 */
public final class Frames {
  /** Driver to JVM: no more input chunks. JVM to driver: every result chunk has been sent. */
  public static final int END = -1;
  /** JVM to driver: an error report follows (strings kind, message, Python type, traceback; partition; chunk). */
  static final int ERROR = -2;

  private Frames() {}

  static int readLength(SocketChannel ch, String what) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4);
    readFully(ch, b, what);
    return b.getInt(0);
  }

  static byte[] readBody(SocketChannel ch, int length, String what) throws IOException {
    byte[] body = new byte[length];
    readFully(ch, ByteBuffer.wrap(body), what);
    return body;
  }

  private static void readFully(SocketChannel ch, ByteBuffer b, String what) throws IOException {
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new EOFException("the driver closed the data socket in the middle of " + what);
      }
    }
  }

  /** One frame: {@code i32 body.length}, then the body, in one gathering write. */
  public static void write(SocketChannel ch, byte[] body) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(4).putInt(0, body.length);
    ByteBuffer[] both = {header, ByteBuffer.wrap(body)};
    while (both[1].hasRemaining() || header.hasRemaining()) ch.write(both);
  }

  /** A negative length with a meaning of its own, such as {@link #END}. */
  public static void writeMarker(SocketChannel ch, int marker) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4).putInt(0, marker);
    while (b.hasRemaining()) ch.write(b);
  }

  static void writeError(SocketChannel ch, ErrorReport e) throws IOException {
    byte[][] strings = {utf8(e.kind()), utf8(e.message()), utf8(e.pythonType()), utf8(e.traceback())};
    int size = 4 + 4 + 8;
    for (byte[] s : strings) size += 4 + s.length;
    ByteBuffer b = ByteBuffer.allocate(size).putInt(ERROR);
    for (byte[] s : strings) b.putInt(s.length).put(s);
    b.putInt(e.partition()).putLong(e.chunk()).flip();
    while (b.hasRemaining()) ch.write(b);
  }

  private static byte[] utf8(String s) {
    return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
  }

  /** What the driver is told when a job fails. {@code partition} and {@code chunk} are -1 when unknown. */
  record ErrorReport(String kind, String message, String pythonType, String traceback, int partition, long chunk) {}
}
