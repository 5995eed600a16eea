package dev.pyworkers.arrow;

import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One group of a grouped eval type's input: its key (the values of the key columns, for messages only; the worker
 * takes the key it passes to the function from the group's first row) and its batches, which the task writes in
 * order, each as it is (a batch longer than the codec's maximum record count is cut). The batches belong to whoever
 * made the group: the caller keeps them open until the task has ended, or refills one once the next is asked for
 * (the task writes each batch before it asks); a group made by {@link ArrowGroups} closes
 * the slices it made in {@link #close}, which the task calls once it has written the group. Not thread-safe.
 */
public final class ArrowGroup implements AutoCloseable {
  private final List<Object> key;
  private final Iterator<VectorSchemaRoot> batches;
  private final Runnable onClose;

  private ArrowGroup(List<Object> key, Iterator<VectorSchemaRoot> batches, Runnable onClose) {
    this.key = Objects.requireNonNull(key, "key");
    this.batches = Objects.requireNonNull(batches, "batches");
    this.onClose = onClose;
  }

  /** A group of the caller's batches; {@code key} may hold nulls. */
  public static ArrowGroup of(List<?> key, Iterator<VectorSchemaRoot> batches) {
    return new ArrowGroup(java.util.Collections.unmodifiableList(new java.util.ArrayList<>(key)), batches, null);
  }

  /** A group of the caller's batches. */
  public static ArrowGroup of(List<?> key, List<VectorSchemaRoot> batches) {
    return of(key, batches.iterator());
  }

  static ArrowGroup owning(List<Object> key, Iterator<VectorSchemaRoot> batches, Runnable onClose) {
    return new ArrowGroup(key, batches, onClose);
  }

  public List<Object> key() {
    return key;
  }

  public Iterator<VectorSchemaRoot> batches() {
    return batches;
  }

  /** Frees what the group made itself (nothing for {@link #of}); the caller's batches stay the caller's. */
  @Override
  public void close() {
    if (onClose != null) onClose.run();
  }

  @Override
  public String toString() {
    return "ArrowGroup" + key;
  }
}
