package dev.pyworkers.internal.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds one control message in memory, to be written with a single call. Not thread-safe. */
public final class WireOutput {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(128);

  public WireOutput tag(Tag tag) {
    out.writeBytes(tag.bytes());
    return this;
  }

  public WireOutput u8(int v) {
    out.write(v);
    return this;
  }

  public WireOutput i32(int v) {
    out.writeBytes(BigEndian.ofInt(v));
    return this;
  }

  public WireOutput i64(long v) {
    i32((int) (v >>> 32));
    return i32((int) v);
  }

  public WireOutput raw(byte[] b) {
    out.writeBytes(b);
    return this;
  }

  public WireOutput bytes(byte[] b) {
    return i32(b.length).raw(b);
  }

  public WireOutput str(String s) {
    return bytes(s.getBytes(StandardCharsets.UTF_8));
  }

  public byte[] toByteArray() {
    return out.toByteArray();
  }
}
