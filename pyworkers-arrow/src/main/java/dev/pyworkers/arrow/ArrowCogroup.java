package dev.pyworkers.arrow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One cogroup of a cogrouped eval type's input: its key (the key columns' values, for messages only; the worker takes
 * the key it passes to the function from the first row of the left side, or of the right side when the left has no
 * row) and two sides, left and right, each an iterator of batches of that side's declared schema, which the task
 * writes in order, the left side whole before the right (a batch longer than the codec's maximum record count is
 * cut). A side without rows is still a side: the function gets it as an empty table of that side's columns. A
 * cogroup with no row on either side is skipped. The batches belong to whoever made the cogroup: the caller keeps
 * them open until the task has ended, or refill one once the stream it came from is asked for the next (each is
 * written before that); a cogroup made by {@link ArrowCogroups} closes the slices it made in
 * {@link #close}, which the task calls once it has written the cogroup. Not thread-safe.
 */
public final class ArrowCogroup implements AutoCloseable {
  private final List<Object> key;
  private final Iterator<VectorSchemaRoot> left;
  private final Iterator<VectorSchemaRoot> right;
  private final Runnable onClose;

  private ArrowCogroup(List<Object> key, Iterator<VectorSchemaRoot> left, Iterator<VectorSchemaRoot> right,
      Runnable onClose) {
    this.key = Objects.requireNonNull(key, "key");
    this.left = Objects.requireNonNull(left, "left");
    this.right = Objects.requireNonNull(right, "right");
    this.onClose = onClose;
  }

  /** A cogroup of the caller's batches; {@code key} may hold nulls, and either side may be empty. */
  public static ArrowCogroup of(List<?> key, Iterator<VectorSchemaRoot> left, Iterator<VectorSchemaRoot> right) {
    return new ArrowCogroup(Collections.unmodifiableList(new ArrayList<>(Objects.requireNonNull(key, "key"))), left,
        right, null);
  }

  /** A cogroup of the caller's batches. */
  public static ArrowCogroup of(List<?> key, List<VectorSchemaRoot> left, List<VectorSchemaRoot> right) {
    return of(key, Objects.requireNonNull(left, "left").iterator(), Objects.requireNonNull(right, "right").iterator());
  }

  static ArrowCogroup owning(List<Object> key, Iterator<VectorSchemaRoot> left, Iterator<VectorSchemaRoot> right,
      Runnable onClose) {
    return new ArrowCogroup(key, left, right, onClose);
  }

  public List<Object> key() {
    return key;
  }

  /** The left side's batches (the first data frame argument of the function). */
  public Iterator<VectorSchemaRoot> left() {
    return left;
  }

  /** The right side's batches (the second data frame argument of the function). */
  public Iterator<VectorSchemaRoot> right() {
    return right;
  }

  /** Frees what the cogroup made itself (nothing for {@link #of}); the caller's batches stay the caller's. */
  @Override
  public void close() {
    if (onClose != null) onClose.run();
  }

  @Override
  public String toString() {
    return "ArrowCogroup" + key;
  }
}
