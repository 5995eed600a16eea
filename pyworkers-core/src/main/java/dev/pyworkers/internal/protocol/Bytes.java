package dev.pyworkers.internal.protocol;

import java.nio.charset.StandardCharsets;

/** Renders unexpected bytes for error messages: hex and printable text, cut to a bound. Stateless. */
public final class Bytes {
  private Bytes() {}

  /** {@code 'hell' (68 65 6c 6c)} for the first {@code len} bytes of {@code b}, at most 64 shown. */
  public static String describe(byte[] b, int len) {
    int n = Math.min(len, 64);
    StringBuilder hex = new StringBuilder();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < n; i++) {
      int v = b[i] & 0xff;
      if (i > 0) hex.append(' ');
      hex.append(Character.forDigit(v >> 4, 16)).append(Character.forDigit(v & 0xf, 16));
      text.append(v >= 0x20 && v < 0x7f ? (char) v : v == '\n' ? "\\n" : v == '\r' ? "\\r" : v == '\t' ? "\\t" : ".");
    }
    String more = len > n ? " ... (" + len + " bytes)" : "";
    return "'" + text + "' (" + hex + ")" + more;
  }

  public static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
