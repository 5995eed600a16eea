package dev.pyworkers.internal.protocol;

import dev.pyworkers.WorkerProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Bounded, exact reads of the wire primitives from an unbuffered stream. Reads exactly what each field needs and
 * never more, so the stream can be handed on afterwards. Not thread-safe; one reader at a time.
 */
public final class WireInput {
  /** Bound for a {@code str} in a control message. */
  public static final int MAX_CONTROL_STRING = 4096;

  private final InputStream in;
  private final String context;

  /** {@code context} names the message being read, for error text ("daemon hello"). */
  public WireInput(InputStream in, String context) {
    this.in = in;
    this.context = context;
  }

  public byte[] readExact(int n, String field) throws IOException {
    byte[] b = new byte[n];
    int off = 0;
    while (off < n) {
      int r = in.read(b, off, n - off);
      if (r < 0) {
        throw new EOFException(
            "end of stream after " + off + " of " + n + " bytes of " + field + " in " + context);
      }
      off += r;
    }
    return b;
  }

  public int readU8(String field) throws IOException {
    return readExact(1, field)[0] & 0xff;
  }

  public int readInt(String field) throws IOException {
    return BigEndian.getInt(readExact(4, field), 0);
  }

  public long readLong(String field) throws IOException {
    byte[] b = readExact(8, field);
    long v = 0;
    for (byte x : b) v = (v << 8) | (x & 0xff);
    return v;
  }

  public byte[] readBytes(String field, int min, int max) throws IOException {
    int len = readInt(field + " length");
    if (len < min || len > max) {
      throw new WorkerProtocolException(
          field + " length " + len + (len > max ? " exceeds max " + max : " is below min " + min) + " in " + context);
    }
    return readExact(len, field);
  }

  public String readStr(String field) throws IOException {
    return new String(readBytes(field, 0, MAX_CONTROL_STRING), StandardCharsets.UTF_8);
  }

  /** Reads a tag and checks it is one of {@code expected}; otherwise a protocol error showing the bytes. */
  public Tag readTag(Tag... expected) throws IOException {
    byte[] four = readExact(4, "tag");
    for (Tag t : expected) {
      if (t.matches(four)) return t;
    }
    StringBuilder names = new StringBuilder();
    for (Tag t : expected) names.append(names.length() == 0 ? "" : " or ").append('\'').append(t.ascii()).append('\'');
    throw new WorkerProtocolException(
        "expected tag " + names + " at the start of " + context + " but read " + Bytes.describe(four, four.length));
  }
}
