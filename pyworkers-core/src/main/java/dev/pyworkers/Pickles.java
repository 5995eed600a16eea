package dev.pyworkers;

import java.io.IOException;
import net.razorvine.pickle.PickleException;

/** Pickle helpers on Pyrolite, for broadcast values and NON_UDF pickled batches. Stateless and thread-safe. */
public final class Pickles {
  private Pickles() {}

  /**
   * Pickles a Java value the way Python's {@code pickle.loads} reads it: protocol 2, except that a list of 32 or more
   * values that are all Long/Integer (or all Double) takes the typed form of {@code docs/protocol.md} section 5.2,
   * which Python also reads as a plain {@code list}, faster. {@link #loads} reads both forms. Values map as in
   * {@code docs/protocol.md} section 5.5 ({@code byte[]} as bytes, java.time types as datetime, lone surrogates kept),
   * and Python's standard library reads them.
   */
  public static byte[] dumps(Object value) {
    try {
      return dev.pyworkers.internal.pickle.FastPickle.dumps(value);
    } catch (IOException | PickleException e) {
      throw new IllegalArgumentException("cannot pickle " + describe(value) + ": " + e.getMessage(), e);
    }
  }

  /**
   * Unpickles bytes (any protocol 0..5) into Java values; every Python int comes out as Long (BigInteger past 64 bits),
   * a date as LocalDate, a naive datetime as LocalDateTime and an aware one as Instant (section 5.5).
   */
  public static Object loads(byte[] pickled) {
    try {
      return dev.pyworkers.internal.pickle.FastPickle.loads(pickled);
    } catch (PickleException e) {
      throw new IllegalArgumentException("cannot unpickle " + pickled.length + " bytes: " + e.getMessage(), e);
    }
  }

  static String describe(Object v) {
    return v == null ? "null" : v.getClass().getName();
  }
}
