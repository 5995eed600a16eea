package dev.pyworkers;

import java.io.IOException;
import java.io.UncheckedIOException;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Pickler;
import net.razorvine.pickle.Unpickler;

/** Pickle helpers on Pyrolite, for broadcast values and NON_UDF pickled batches. Stateless and thread-safe. */
public final class Pickles {
  private Pickles() {}

  /** Pickles a Java value (protocol 2) the way Python's {@code pickle.loads} reads it. */
  public static byte[] dumps(Object value) {
    try {
      return new Pickler(false).dumps(value);
    } catch (IOException | PickleException e) {
      throw new IllegalArgumentException("cannot pickle " + describe(value) + ": " + e.getMessage(), e);
    }
  }

  /** Unpickles bytes (any protocol 0..5) into Java values. */
  public static Object loads(byte[] pickled) {
    try {
      return new Unpickler().loads(pickled);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (PickleException e) {
      throw new IllegalArgumentException("cannot unpickle " + pickled.length + " bytes: " + e.getMessage(), e);
    }
  }

  static String describe(Object v) {
    return v == null ? "null" : v.getClass().getName();
  }
}
