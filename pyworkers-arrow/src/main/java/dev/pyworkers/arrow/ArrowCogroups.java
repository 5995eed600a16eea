package dev.pyworkers.arrow;

import dev.pyworkers.arrow.internal.KeyOrder;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Cogroups two streams of batches, each sorted ascending by its own key columns: a cogroup is the maximal run of
 * rows with one key on each side (either side may have none), in key order, and a side's run may span several
 * batches. Keys compare by value across the two sides' column types (an int32 key 1 on the left meets an int64 or a
 * float64 1 on the right; strings by code point; docs/protocol.md section 7.8 lists every type), and null is one
 * key, sorted first or last as the streams are ({@link Nulls}). Batches are cut at key changes with
 * {@link VectorSchemaRoot#slice} (the data buffers are shared; a validity bitmap at an unaligned start and the
 * offsets of string, binary and list columns are rebuilt for the slice); a batch that is one side's whole run is
 * passed as it is. Each slice is closed when its side moves past it or the cogroup is closed; the caller's
 * batches stay the caller's and must stay open until the task has ended, or until their side's iterator is asked
 * for its next batch, which happens only once every slice of the last one was written: a caller may refill one
 * batch over and over (pyworkers-spark does). A side whose keys go down, or come back
 * after another key, is not sorted: the cogroup that reaches it fails with an {@link IllegalArgumentException}
 * naming the side, both rows and both keys. What a cogroup's consumer leaves of its sides is skipped. Not
 * thread-safe: one task's writer thread pulls the cogroups.
 */
public final class ArrowCogroups {
  private ArrowCogroups() {}

  /** Where the null key sorts in both streams. */
  public enum Nulls {
    /** Before every other key: Spark's and SQL's {@code ASC NULLS FIRST}, the default. */
    FIRST,
    /** After every other key ({@code ASC NULLS LAST}, pyarrow's {@code sort_by} default). */
    LAST
  }

  /**
   * The cogroups of {@code left} and {@code right}, sorted ascending by the columns at {@code leftKeys} and
   * {@code rightKeys} (the same number of columns, compared pairwise), nulls first.
   */
  public static Iterator<ArrowCogroup> sortedBy(Iterator<VectorSchemaRoot> left, int[] leftKeys,
      Iterator<VectorSchemaRoot> right, int[] rightKeys) {
    return sortedBy(left, leftKeys, right, rightKeys, Nulls.FIRST);
  }

  /** As {@link #sortedBy(Iterator, int[], Iterator, int[])}, with the null key where {@code nulls} says. */
  public static Iterator<ArrowCogroup> sortedBy(Iterator<VectorSchemaRoot> left, int[] leftKeys,
      Iterator<VectorSchemaRoot> right, int[] rightKeys, Nulls nulls) {
    Objects.requireNonNull(leftKeys, "leftKeys");
    Objects.requireNonNull(rightKeys, "rightKeys");
    if (leftKeys.length != rightKeys.length) {
      throw new IllegalArgumentException("the left side has " + leftKeys.length + " key columns "
          + java.util.Arrays.toString(leftKeys) + " and the right side " + rightKeys.length + " "
          + java.util.Arrays.toString(rightKeys) + "; cogroup both sides by the same number of keys");
    }
    boolean nullsFirst = Objects.requireNonNull(nulls, "nulls") == Nulls.FIRST;
    return new Merger(new Side("left", Objects.requireNonNull(left, "left"), leftKeys.clone(), nullsFirst),
        new Side("right", Objects.requireNonNull(right, "right"), rightKeys.clone(), nullsFirst), nullsFirst);
  }

  /** Not thread-safe. */
  private static final class Merger implements Iterator<ArrowCogroup> {
    private final Side left;
    private final Side right;
    private final boolean nullsFirst;
    private boolean typesChecked;

    Merger(Side left, Side right, boolean nullsFirst) {
      this.left = left;
      this.right = right;
      this.nullsFirst = nullsFirst;
    }

    @Override
    public boolean hasNext() {
      return left.peek() != null || right.peek() != null;
    }

    @Override
    public ArrowCogroup next() {
      List<Object> l = left.peek();
      List<Object> r = right.peek();
      if (l == null && r == null) throw new NoSuchElementException();
      int c;
      if (l == null) {
        c = 1;
      } else if (r == null) {
        c = -1;
      } else {
        if (!typesChecked) {
          KeyOrder.checkComparable(left.schema, left.keyColumns, right.schema, right.keyColumns);
          typesChecked = true;
        }
        c = KeyOrder.compare(l, r, nullsFirst);
      }
      Iterator<VectorSchemaRoot> lb = c <= 0 ? left.open() : Collections.emptyIterator();
      Iterator<VectorSchemaRoot> rb = c >= 0 ? right.open() : Collections.emptyIterator();
      return ArrowCogroup.owning(c <= 0 ? l : r, lb, rb, () -> {
        left.closeSlice();
        right.closeSlice();
      });
    }
  }

  /** One side's stream, cut into runs of equal keys. Not thread-safe. */
  private static final class Side {
    private final String name;
    private final Iterator<VectorSchemaRoot> source;
    final int[] keyColumns;
    private final boolean nullsFirst;
    Schema schema; // of the first batch
    private VectorSchemaRoot batch; // the source batch being read
    private long batchIndex = -1; // its index in the source
    private int row; // its first row not yet in a run
    private VectorSchemaRoot slice; // the last slice handed out, closed when the next is made
    private Run current; // the last run handed out
    private List<Object> next; // the key at (batchIndex, row), once peeked
    private List<Object> last; // the key of the last run handed out, and where it started
    private long lastBatch;
    private int lastRow;

    Side(String name, Iterator<VectorSchemaRoot> source, int[] keyColumns, boolean nullsFirst) {
      this.name = name;
      this.source = source;
      this.keyColumns = keyColumns;
      this.nullsFirst = nullsFirst;
    }

    /** Moves to a batch with rows left; false at the end of the source. */
    private boolean advance() {
      while (batch == null || row >= batch.getRowCount()) {
        if (!source.hasNext()) {
          batch = null;
          return false;
        }
        batch = source.next();
        batchIndex++;
        row = 0;
        if (schema == null) {
          schema = batch.getSchema();
          KeyOrder.checkColumns(schema, keyColumns, name);
        }
      }
      return true;
    }

    /** The key of the next run, checked to come after the last, or null at the end of the side. */
    List<Object> peek() {
      if (current != null) { // skip what the consumer left of the last run
        while (current.hasNext()) current.next();
        closeSlice();
        current = null;
      }
      if (next != null) return next;
      if (!advance()) return null;
      List<Object> key = KeyOrder.keyAt(batch, keyColumns, row);
      if (last != null && KeyOrder.compare(last, key, nullsFirst) >= 0) {
        throw new IllegalArgumentException("the " + name + " side of the cogroup input is not sorted by its key"
            + " columns " + java.util.Arrays.toString(keyColumns) + ": row " + row + " of its batch " + batchIndex
            + " has key " + key + ", but a run of key " + last + " started before it, at row " + lastRow
            + " of batch " + lastBatch + "; sort each side ascending by its key columns, nulls "
            + (nullsFirst ? "first (or give Nulls.LAST)" : "last (or give Nulls.FIRST)"));
      }
      next = key;
      return key;
    }

    /** The batches of the run peeked last. */
    Iterator<VectorSchemaRoot> open() {
      last = next;
      lastBatch = batchIndex;
      lastRow = row;
      next = null;
      current = new Run(last);
      return current;
    }

    void closeSlice() {
      if (slice != null) {
        slice.close();
        slice = null;
      }
    }

    /** The rest of the current batch while the key holds, across batches. */
    private final class Run implements Iterator<VectorSchemaRoot> {
      private final List<Object> key;
      private boolean done;

      Run(List<Object> key) {
        this.key = key;
      }

      @Override
      public boolean hasNext() {
        if (done) return false;
        if (!advance() || KeyOrder.compare(KeyOrder.keyAt(batch, keyColumns, row), key, nullsFirst) != 0) {
          done = true;
        }
        return !done;
      }

      @Override
      public VectorSchemaRoot next() {
        if (!hasNext()) throw new NoSuchElementException();
        closeSlice();
        int end = row + 1;
        int rows = batch.getRowCount();
        while (end < rows && KeyOrder.compare(KeyOrder.keyAt(batch, keyColumns, end), key, nullsFirst) == 0) end++;
        int start = row;
        row = end;
        if (start == 0 && end == rows) return batch; // the whole batch: as it is
        slice = batch.slice(start, end - start);
        return slice;
      }
    }
  }
}
