package dev.pyworkers.bench;

import dev.pyworkers.Pickles;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Lazily generated task input, so the JVM holds one row (or one batch) at a time however many rows a case has: the
 * cost of making each value is paid inside the timed section by the runner's writer thread, as a real source of rows
 * would. Each iterator is confined to the one thread that reads it.
 */
final class ThroughputInput {
  private ThroughputInput() {}

  /** SQL_BATCHED_UDF input: rows {@code new Object[] {function.input(i)}} for {@code i} in {@code [0, rows)}. */
  static Iterator<Object[]> rows(ThroughputFunction function, long rows) {
    return new Iterator<>() {
      private long next;

      @Override
      public boolean hasNext() {
        return next < rows;
      }

      @Override
      public Object[] next() {
        if (next >= rows) throw new NoSuchElementException("all " + rows + " rows were read");
        return new Object[] {function.input(next++)};
      }
    };
  }

  /**
   * NON_UDF input in {@link dev.pyworkers.RecordFormat#PICKLED_BATCHES}: each record is {@link Pickles#dumps} of a
   * list of up to {@code batchSize} consecutive values, the last one shorter.
   */
  static Iterator<byte[]> pickledBatches(ThroughputFunction function, long rows, int batchSize) {
    if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    return new Iterator<>() {
      private long next;

      @Override
      public boolean hasNext() {
        return next < rows;
      }

      @Override
      public byte[] next() {
        if (next >= rows) throw new NoSuchElementException("all " + rows + " rows were read");
        int n = (int) Math.min(batchSize, rows - next);
        List<Object> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) batch.add(function.input(next++));
        return Pickles.dumps(batch);
      }
    };
  }
}
