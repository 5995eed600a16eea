package dev.pyworkers.internal.protocol;

/** The wire's big-endian {@code int} in a byte array: the one place its byte order is spelled out. Stateless. */
public final class BigEndian {
  private BigEndian() {}

  /** The {@code int} at {@code b[off..off+3]}. */
  public static int getInt(byte[] b, int off) {
    return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
  }

  /** Writes {@code v} at {@code b[off..off+3]}. */
  public static void putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  /** The 4 bytes of {@code v}. */
  public static byte[] ofInt(int v) {
    byte[] b = new byte[4];
    putInt(b, 0, v);
    return b;
  }

  /** The {@code long} at {@code b[off..off+7]}. */
  public static long getLong(byte[] b, int off) {
    return ((long) getInt(b, off) << 32) | (getInt(b, off + 4) & 0xffffffffL);
  }
}
