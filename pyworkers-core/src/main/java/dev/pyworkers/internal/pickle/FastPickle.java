package dev.pyworkers.internal.pickle;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A pickle encoder and decoder for the runner's hot path: flat lists of None, bool, int, float, str and bytes. It
 * writes protocol 2 into a reused buffer and reads the opcodes Python's pickler emits for such lists (protocols 2 to
 * 5, frames and memo included), without the per-opcode synchronisation and allocation of the general library. Any
 * other value or opcode makes it say so ({@code false} / {@code null}) and the caller falls back to Pyrolite, which
 * handles everything ({@link ValuePickler}, {@link ValueUnpickler}: both map values exactly as this class does, strings
 * with lone surrogates and byte[] as bytes included). Not thread-safe: one instance per writer or reader.
 *
 * <p>A list of at least {@link #TYPED_MIN} values that are all Long/Integer (or all Double), none null, goes in the
 * typed form of {@code docs/protocol.md} section 5.2: a protocol 4 pickle of {@code array.array.tolist(array.array(code,
 * raw))}, where code is {@code q} (64-bit signed) or {@code d} (IEEE double) and raw holds the values in the
 * machine's native byte order (the worker runs on the same machine). Python's unpickler builds the very same list
 * as from the plain form, but in one C loop instead of one opcode per value.
 */
public final class FastPickle {
  /** The fewest values worth the typed form: below it, the two global look-ups cost more than they save. */
  public static final int TYPED_MIN = 32;

  private static final byte[] TYPED_HEAD = typedHead();
  private static final byte[] TYPED_TAIL = {(byte) 0x86, 'R', (byte) 0x85, 'R', '.'};
  private static final java.lang.invoke.VarHandle LONGS =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.nativeOrder());

  private byte[] buf = new byte[1 << 16];
  private int len;

  /** Encodes {@code values} as a pickled list; false (and nothing usable) when a value is not a simple one. */
  public boolean encodeList(List<?> values) {
    if (values.size() >= TYPED_MIN && encodeTyped(values)) return true;
    len = 0;
    ensure(16);
    buf[len++] = (byte) 0x80;
    buf[len++] = 2;
    buf[len++] = ']';
    buf[len++] = '(';
    for (Object v : values) {
      if (!encode(v)) return false;
    }
    ensure(2);
    buf[len++] = 'e';
    buf[len++] = '.';
    return true;
  }

  /** The typed form when every value is a Long/Integer, or every one a Double; false otherwise. */
  private boolean encodeTyped(List<?> values) {
    Object first = values.get(0);
    char code;
    if (first instanceof Long || first instanceof Integer) {
      code = 'q';
    } else if (first instanceof Double) {
      code = 'd';
    } else {
      return false;
    }
    int n = values.size();
    int raw = 8 * n;
    len = 0;
    ensure(TYPED_HEAD.length + 8 + raw + TYPED_TAIL.length);
    System.arraycopy(TYPED_HEAD, 0, buf, 0, TYPED_HEAD.length);
    len = TYPED_HEAD.length;
    buf[len++] = (byte) 0x8c;                                 // SHORT_BINUNICODE, the type code
    buf[len++] = 1;
    buf[len++] = (byte) code;
    buf[len++] = 'B';                                         // BINBYTES
    putIntLe(raw);
    int at = len;
    if (code == 'q') {
      for (Object v : values) {
        long x;
        if (v instanceof Long l) {
          x = l;
        } else if (v instanceof Integer i) {
          x = i;
        } else {
          return false;
        }
        LONGS.set(buf, at, x);
        at += 8;
      }
    } else {
      for (Object v : values) {
        if (!(v instanceof Double d)) return false;
        LONGS.set(buf, at, Double.doubleToRawLongBits(d));
        at += 8;
      }
    }
    if (at != len + raw) return false;                        // the list changed size under us
    len = at;
    System.arraycopy(TYPED_TAIL, 0, buf, len, TYPED_TAIL.length);
    len += TYPED_TAIL.length;
    return true;
  }

  /** PROTO 4 (dotted names in STACK_GLOBAL), then the globals {@code array.array.tolist} and {@code array.array}. */
  private static byte[] typedHead() {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    b.write(0x80);
    b.write(4);
    for (String[] global : new String[][] {{"array", "array.tolist"}, {"array", "array"}}) {
      for (String name : global) {
        byte[] s = name.getBytes(StandardCharsets.US_ASCII);
        b.write(0x8c);                                        // SHORT_BINUNICODE
        b.write(s.length);
        b.write(s, 0, s.length);
      }
      b.write(0x93);                                          // STACK_GLOBAL
    }
    return b.toByteArray();
  }

  public byte[] buffer() {
    return buf;
  }

  public int length() {
    return len;
  }

  private boolean encode(Object v) {
    ensure(10);
    if (v == null) {
      buf[len++] = 'N';
    } else if (v instanceof Long l) {
      putLong(l);
    } else if (v instanceof Integer i) {
      putLong(i);
    } else if (v instanceof String s) {
      putString(s);
    } else if (v instanceof byte[] b) {
      putBytes('B', b);                                       // BINBYTES: bytes, not bytearray
    } else if (v instanceof Double d) {
      buf[len++] = 'G';
      long bits = Double.doubleToRawLongBits(d);
      for (int shift = 56; shift >= 0; shift -= 8) buf[len++] = (byte) (bits >>> shift);
    } else if (v instanceof Boolean b) {
      buf[len++] = (byte) (b ? 0x88 : 0x89);
    } else {
      return false;
    }
    return true;
  }

  /**
   * BINUNICODE: ASCII copied straight into the buffer (each char's low byte); other text as {@link PickleText}
   * encodes it, UTF-8 with a lone surrogate as its three bytes (Python reads surrogatepass).
   */
  @SuppressWarnings("deprecation")
  private void putString(String s) {
    int n = s.length();
    int all = 0;
    int surrogates = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      all |= c;
      surrogates |= (((c & 0xF800) ^ 0xD800) - 1) >>> 31;   // 1 for U+D800..U+DFFF
    }
    if (all >= 0x80) {
      putBytes('X', surrogates != 0 ? PickleText.encode(s) : s.getBytes(StandardCharsets.UTF_8));
      return;
    }
    ensure(5 + n);
    buf[len++] = 'X';
    putIntLe(n);
    s.getBytes(0, n, buf, len);
    len += n;
  }

  private void putBytes(char opcode, byte[] b) {
    ensure(5 + b.length);
    buf[len++] = (byte) opcode;
    putIntLe(b.length);
    System.arraycopy(b, 0, buf, len, b.length);
    len += b.length;
  }

  private void putLong(long v) {
    if (v >= 0 && v < 256) {
      buf[len++] = 'K';
      buf[len++] = (byte) v;
    } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      buf[len++] = 'J';
      putIntLe((int) v);
    } else {
      buf[len++] = (byte) 0x8a;
      buf[len++] = 8;
      for (int i = 0; i < 8; i++) buf[len++] = (byte) (v >>> (8 * i));
    }
  }

  private void putIntLe(int v) {
    buf[len++] = (byte) v;
    buf[len++] = (byte) (v >>> 8);
    buf[len++] = (byte) (v >>> 16);
    buf[len++] = (byte) (v >>> 24);
  }

  private void ensure(int more) {
    if (len + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
  }

  /**
   * Decodes a pickled flat list of simple values; ints come out as Long (BigInteger past 64 bits). Returns null
   * when the pickle holds anything else, so the caller can use the general unpickler.
   */
  public static List<Object> decodeList(byte[] p) {
    if (Arrays.equals(p, 0, Math.min(p.length, TYPED_HEAD.length), TYPED_HEAD, 0, TYPED_HEAD.length)) {
      return decodeTyped(p);
    }
    int i = 0;
    int n = p.length;
    List<Object> out = null;
    java.util.Map<Integer, Object> memo = new java.util.HashMap<>();
    Object last = null;
    boolean marked = false;
    while (i < n) {
      int op = p[i++] & 0xff;
      Object v;
      switch (op) {
        case 0x80 -> { i++; continue; }                       // PROTO
        case 0x95 -> { i += 8; continue; }                    // FRAME
        case ']' -> {                                         // EMPTY_LIST
          if (out != null) return null;
          out = new ArrayList<>();
          last = out;
          continue;
        }
        case '(' -> { if (out == null || marked) return null; marked = true; continue; }   // MARK
        case 'e' -> { if (!marked) return null; marked = false; continue; }               // APPENDS
        case 'a' -> { continue; }                                                         // APPEND (value added below)
        case '.' -> { return i == n && !marked ? out : null; }                            // STOP
        case 0x94 -> { if (out == null) return null; memo.put(memo.size(), last); continue; }          // MEMOIZE
        case 'q' -> { if (out == null) return null; memo.put(p[i++] & 0xff, last); continue; }         // BINPUT
        case 'r' -> { if (out == null) return null; memo.put(intLe(p, i), last); i += 4; continue; }   // LONG_BINPUT
        case 'N' -> v = null;
        case 0x88 -> v = true;
        case 0x89 -> v = false;
        case 'K' -> v = (long) (p[i++] & 0xff);
        case 'M' -> { v = (long) ((p[i] & 0xff) | (p[i + 1] & 0xff) << 8); i += 2; }
        case 'J' -> { v = (long) intLe(p, i); i += 4; }
        case 0x8a -> {                                        // LONG1
          int size = p[i++] & 0xff;
          v = longLe(p, i, size);
          i += size;
        }
        case 'G' -> {
          long bits = 0;
          for (int k = 0; k < 8; k++) bits = (bits << 8) | (p[i + k] & 0xff);
          v = Double.longBitsToDouble(bits);
          i += 8;
        }
        case 0x8c -> {                                        // SHORT_BINUNICODE
          int size = p[i++] & 0xff;
          v = PickleText.decode(p, i, size);
          i += size;
        }
        case 'X' -> {                                         // BINUNICODE
          int size = intLe(p, i);
          i += 4;
          v = PickleText.decode(p, i, size);
          i += size;
        }
        case 'C' -> {                                         // SHORT_BINBYTES
          int size = p[i++] & 0xff;
          v = Arrays.copyOfRange(p, i, i + size);
          i += size;
        }
        case 'B' -> {                                         // BINBYTES
          int size = intLe(p, i);
          i += 4;
          v = Arrays.copyOfRange(p, i, i + size);
          i += size;
        }
        case 'h' -> v = memoGet(memo, p[i++] & 0xff);        // BINGET
        case 'j' -> { v = memoGet(memo, intLe(p, i)); i += 4; }  // LONG_BINGET
        default -> { return null; }
      }
      if (out == null || v == out) return null;
      out.add(v);
      last = v;
    }
    return null;
  }

  /** The typed form of {@link #encodeList}; null when the bytes after its head are not exactly that form. */
  private static List<Object> decodeTyped(byte[] p) {
    int i = TYPED_HEAD.length;
    if (p.length < i + 8 + TYPED_TAIL.length || p[i] != (byte) 0x8c || p[i + 1] != 1 || p[i + 3] != 'B') return null;
    byte code = p[i + 2];
    int raw = intLe(p, i + 4);
    i += 8;
    if (raw < 0 || raw % 8 != 0 || (code != 'q' && code != 'd') || p.length != i + raw + TYPED_TAIL.length
        || !Arrays.equals(p, i + raw, p.length, TYPED_TAIL, 0, TYPED_TAIL.length)) {
      return null;
    }
    List<Object> out = new ArrayList<>(raw / 8);
    for (int end = i + raw; i < end; i += 8) {
      long x = (long) LONGS.get(p, i);
      out.add(code == 'q' ? (Object) x : (Object) Double.longBitsToDouble(x));
    }
    return out;
  }

  /** Unpickles anything: the fast path for flat lists, else Pyrolite; every Python int comes out as Long. */
  public static Object loads(byte[] pickled) {
    List<Object> fast = tryDecode(pickled);
    if (fast != null) return fast;
    try {
      return ResultConverter.normalize(new ValueUnpickler().loads(pickled));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** {@link #decodeList}, or null also when the bytes are cut short (the general unpickler then says why). */
  public static List<Object> tryDecode(byte[] pickled) {
    try {
      return decodeList(pickled);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Pickles anything Pyrolite can: the fast path for flat lists of simple values. */
  public static byte[] dumps(Object value) throws java.io.IOException {
    if (value instanceof List<?> list) {
      FastPickle fp = new FastPickle();
      if (fp.encodeList(list)) return Arrays.copyOf(fp.buf, fp.len);
    }
    return new ValuePickler().dumps(value);
  }

  private static Object memoGet(java.util.Map<Integer, Object> memo, int index) {
    if (!memo.containsKey(index)) throw new IllegalArgumentException("memo index " + index + " was never stored");
    return memo.get(index);
  }

  private static int intLe(byte[] p, int i) {
    return (p[i] & 0xff) | (p[i + 1] & 0xff) << 8 | (p[i + 2] & 0xff) << 16 | (p[i + 3] & 0xff) << 24;
  }

  private static Object longLe(byte[] p, int i, int size) {
    if (size == 0) return 0L;
    if (size <= 8) {
      long v = p[i + size - 1];                               // sign-extended top byte
      for (int k = size - 2; k >= 0; k--) v = (v << 8) | (p[i + k] & 0xff);
      return v;
    }
    byte[] be = new byte[size];
    for (int k = 0; k < size; k++) be[k] = p[i + size - 1 - k];
    return new BigInteger(be);
  }
}
