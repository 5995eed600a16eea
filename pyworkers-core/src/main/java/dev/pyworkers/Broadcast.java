package dev.pyworkers;

import java.util.Objects;

/**
 * A read-only value shared by every task of a function, sent to each worker once: the runner writes its pickle to a
 * file in the local folder, and a worker reads it lazily on the first {@code pyworkers.context.broadcast(id)}.
 * Workers remember which broadcasts they hold; only new ones are sent and removed ones are announced. Immutable.
 */
public final class Broadcast {
  private final long id;
  private final byte[] pickled;

  private Broadcast(long id, byte[] pickled) {
    if (id < 0) throw new IllegalArgumentException("broadcast id must be >= 0, got " + id);
    this.id = id;
    this.pickled = pickled;
  }

  /** A value already pickled (for example by Python, or by {@link Pickles#dumps}). */
  public static Broadcast ofPickled(long id, byte[] pickled) {
    return new Broadcast(id, Objects.requireNonNull(pickled, "pickled").clone());
  }

  /** A Java value (null, Boolean, Number, String, byte[], List, Map, ...) pickled with Pyrolite. */
  public static Broadcast of(long id, Object value) {
    return new Broadcast(id, Pickles.dumps(value));
  }

  public long id() {
    return id;
  }

  /** The pickled value (a copy). */
  public byte[] pickled() {
    return pickled.clone();
  }

  @Override
  public String toString() {
    return "Broadcast{id=" + id + ", " + pickled.length + " bytes}";
  }
}
