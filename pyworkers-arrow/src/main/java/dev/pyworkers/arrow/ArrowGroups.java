package dev.pyworkers.arrow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Groups a stream of batches sorted by key columns: a group is a maximal run of rows with equal keys (nulls equal
 * to nulls, as Spark groups them), and may span several batches. Batches are cut at key changes with
 * {@link VectorSchemaRoot#slice} (the data buffers are shared; a validity bitmap at an unaligned start and the
 * offsets of string, binary and list columns are rebuilt for the slice); a batch that is one group's whole is
 * passed as it is. Each slice is closed when the group's iterator moves past it or the group is
 * closed; the caller's batches stay the caller's, and must stay open until the task has ended, or until the source
 * is asked for its next batch, which happens only once every slice of the last one was written: a caller may
 * refill one batch over and over (pyworkers-spark does). The input must be
 * sorted (or at least clustered) by the key columns: equal keys that are not adjacent become separate groups. A
 * group's batches not taken when the next group is asked for are skipped. Not thread-safe: one task's writer thread pulls the groups.
 */
public final class ArrowGroups {
  private ArrowGroups() {}

  /** The groups of {@code batches}, sorted by the columns at {@code keyColumns}. */
  public static Iterator<ArrowGroup> sortedBy(Iterator<VectorSchemaRoot> batches, int... keyColumns) {
    return new Grouper(Objects.requireNonNull(batches, "batches"), keyColumns.clone());
  }

  /** The key of row {@code row}: the key columns' values ({@code getObject}, byte arrays compared by content). */
  static List<Object> keyAt(VectorSchemaRoot root, int[] keyColumns, int row) {
    List<Object> key = new ArrayList<>(keyColumns.length);
    for (int c : keyColumns) {
      if (c < 0 || c >= root.getFieldVectors().size()) {
        throw new IllegalArgumentException("key column " + c + " is not a column of the batch, which has "
            + root.getFieldVectors().size() + " columns " + root.getSchema().getFields().stream()
            .map(f -> f.getName()).toList() + "; give key column indices below that");
      }
      FieldVector v = root.getVector(c);
      Object value = v.isNull(row) ? null : v.getObject(row);
      key.add(value instanceof byte[] b ? new Bytes(b) : value);
    }
    return key;
  }

  /** A byte array with value equality, for binary keys. */
  record Bytes(byte[] value) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Bytes b && Arrays.equals(value, b.value);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return Arrays.toString(value);
    }
  }

  /** Not thread-safe. */
  private static final class Grouper implements Iterator<ArrowGroup> {
    private final Iterator<VectorSchemaRoot> source;
    private final int[] keyColumns;
    private VectorSchemaRoot batch; // the source batch being read
    private int row; // its first row not yet in a group
    private VectorSchemaRoot slice; // the last slice handed out, closed when the next is made
    private Batches current; // the last group handed out

    Grouper(Iterator<VectorSchemaRoot> source, int[] keyColumns) {
      this.source = source;
      this.keyColumns = keyColumns;
    }

    /** Moves to a batch with rows left; false at the end of the source. */
    private boolean advance() {
      while (batch == null || row >= batch.getRowCount()) {
        if (!source.hasNext()) {
          batch = null;
          return false;
        }
        batch = source.next();
        row = 0;
      }
      return true;
    }

    /** Skips what the caller left of the last group, so that the next group starts at a key change. */
    private void skipCurrent() {
      if (current == null) return;
      while (current.hasNext()) current.next();
      closeSlice();
      current = null;
    }

    @Override
    public boolean hasNext() {
      skipCurrent();
      return advance();
    }

    @Override
    public ArrowGroup next() {
      skipCurrent();
      if (!advance()) throw new NoSuchElementException();
      List<Object> key = keyAt(batch, keyColumns, row);
      current = new Batches(key);
      return ArrowGroup.owning(key, current, this::closeSlice);
    }

    private void closeSlice() {
      if (slice != null) {
        slice.close();
        slice = null;
      }
    }

    /** The batches of one group: the rest of the current batch while the key holds, across batches. */
    private final class Batches implements Iterator<VectorSchemaRoot> {
      private final List<Object> key;
      private boolean done;

      Batches(List<Object> key) {
        this.key = key;
      }

      @Override
      public boolean hasNext() {
        if (done) return false;
        if (!advance() || !keyAt(batch, keyColumns, row).equals(key)) {
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
        while (end < rows && keyAt(batch, keyColumns, end).equals(key)) end++;
        int start = row;
        row = end;
        if (start == 0 && end == rows) return batch; // the whole batch: as it is
        slice = batch.slice(start, end - start);
        return slice;
      }
    }
  }
}
