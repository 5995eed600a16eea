package dev.pyworkers.internal.pickle;

import java.nio.charset.StandardCharsets;

/**
 * Strings in pickles as Python's {@code pickle} writes and reads them: UTF-8 with {@code surrogatepass}, so that a
 * lone surrogate (a {@code char} in U+D800..U+DFFF without its pair in Java, a code point in that range in Python)
 * travels as the three bytes {@code ED A0..BF 80..BF} instead of becoming {@code '?'} or U+FFFD. Well-formed text
 * takes the JDK's own coder after one branch-free pass over its chars; only text with a surrogate (encoding) or a
 * U+FFFD (decoding) pays for a second look.
 * Stateless and thread-safe.
 */
final class PickleText {
  private PickleText() {}

  /**
   * The bytes of {@code s} in UTF-8, with each lone surrogate as its three-byte form: the JDK's coder unless a char
   * is a surrogate (one branch-free pass to find out).
   */
  static byte[] encode(String s) {
    int surrogates = 0;
    for (int i = 0, n = s.length(); i < n; i++) {
      surrogates |= (((s.charAt(i) & 0xF800) ^ 0xD800) - 1) >>> 31;   // 1 for U+D800..U+DFFF
    }
    return surrogates != 0 && hasLoneSurrogate(s) ? encodeSlow(s) : s.getBytes(StandardCharsets.UTF_8);
  }

  /** The text of {@code len} bytes at {@code off}, UTF-8 with the three-byte form of a surrogate accepted. */
  static String decode(byte[] p, int off, int len) {
    String s = new String(p, off, len, StandardCharsets.UTF_8);
    return s.indexOf('\uFFFD') < 0 ? s : decodeSlow(p, off, len);
  }

  static boolean hasLoneSurrogate(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static byte[] encodeSlow(String s) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length() + 16);
    for (int i = 0, n = s.length(); i < n; ) {
      int cp = s.codePointAt(i);                              // a lone surrogate comes back as itself
      i += Character.charCount(cp);
      if (cp < 0x80) {
        out.write(cp);
      } else if (cp < 0x800) {
        out.write(0xC0 | cp >> 6);
        out.write(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out.write(0xE0 | cp >> 12);
        out.write(0x80 | ((cp >> 6) & 0x3F));
        out.write(0x80 | (cp & 0x3F));
      } else {
        out.write(0xF0 | cp >> 18);
        out.write(0x80 | ((cp >> 12) & 0x3F));
        out.write(0x80 | ((cp >> 6) & 0x3F));
        out.write(0x80 | (cp & 0x3F));
      }
    }
    return out.toByteArray();
  }

  private static String decodeSlow(byte[] p, int off, int len) {
    StringBuilder out = new StringBuilder(len);
    int i = off;
    int end = off + len;
    while (i < end) {
      int b = p[i] & 0xFF;
      int need = b < 0x80 ? 0 : b >= 0xC2 && b < 0xE0 ? 1 : b >= 0xE0 && b < 0xF0 ? 2 : b >= 0xF0 && b < 0xF5 ? 3 : -1;
      if (need < 0) throw malformed(p, off, len, i);
      int cp = need == 0 ? b : b & (0x3F >> need);
      for (int k = 1; k <= need; k++) {
        if (i + k >= end || (p[i + k] & 0xC0) != 0x80) throw malformed(p, off, len, i);
        cp = (cp << 6) | (p[i + k] & 0x3F);
      }
      int min = need == 1 ? 0x80 : need == 2 ? 0x800 : need == 3 ? 0x10000 : 0;
      if (cp < min || cp > 0x10FFFF) throw malformed(p, off, len, i);
      out.appendCodePoint(cp);                                // U+D800..U+DFFF: the lone surrogate itself
      i += need + 1;
    }
    return out.toString();
  }

  private static IllegalArgumentException malformed(byte[] p, int off, int len, int at) {
    return new IllegalArgumentException("a pickled string of " + len + " bytes is not UTF-8 at byte " + (at - off)
        + " (0x" + Integer.toHexString(p[at] & 0xFF) + "); Python's pickle writes UTF-8 with surrogatepass");
  }
}
