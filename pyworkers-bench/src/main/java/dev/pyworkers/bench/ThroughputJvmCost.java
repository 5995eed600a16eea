package dev.pyworkers.bench;

import dev.pyworkers.Pickles;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The JVM's share of a task without Python, to show where the time goes: the same rows pickled into batches with
 * {@link Pickles} (the runner's codec, as its writer thread does), and real worker output batches unpickled with it
 * (in the form the worker sends, raw 64-bit ints for a LONG function), every value
 * boxed to the Java type the runner hands out and checked (as the runner's reading thread and the caller do). Single
 * threaded, in this JVM, after the pipeline cases have warmed up the same code. Stateless and thread-safe.
 *
 * @param pickleNanos time to generate and pickle {@code rows} rows
 * @param unpickleNanos time to unpickle, box and check {@code rows} results
 */
record ThroughputJvmCost(long rows, long pickleNanos, long unpickleNanos) {

  double pickleNanosPerRow() {
    return (double) pickleNanos / rows;
  }

  double unpickleNanosPerRow() {
    return (double) unpickleNanos / rows;
  }

  /**
   * Times both halves over {@code rows} rows. The unpickling side decodes {@code sample} (one output batch of the
   * worker, for the rows from {@code sampleStart}) again and again, as many times as the task has batches.
   */
  static ThroughputJvmCost measure(ThroughputFunction function, long rows, int batchSize, long sampleStart,
      byte[] sample) {
    long start = System.nanoTime();
    long bytes = 0;
    Iterator<Object[]> input = ThroughputInput.rows(function, rows);
    List<Object> batch = new ArrayList<>(batchSize);
    while (input.hasNext()) {
      batch.add(input.next()[0]);
      if (batch.size() == batchSize || !input.hasNext()) {
        bytes += Pickles.dumps(batch).length;
        batch.clear();
      }
    }
    long pickle = System.nanoTime() - start;
    if (bytes <= rows) throw new IllegalStateException("pickling " + rows + " rows gave only " + bytes + " bytes");

    start = System.nanoTime();
    long seen = 0;
    while (seen < rows) {
      List<?> results = (List<?>) Pickles.loads(sample);
      for (int i = 0; i < results.size() && seen < rows; i++, seen++) {
        Object v = box(results.get(i));
        if (!function.matches(sampleStart + i, v)) {
          throw new IllegalStateException("the worker's sample batch of " + function.key() + " holds " + v
              + " at row " + (sampleStart + i) + "; the baseline subprocess computed a wrong result");
        }
      }
    }
    long unpickle = System.nanoTime() - start;
    return new ThroughputJvmCost(rows, pickle, unpickle);
  }

  /** What the runner's LONG conversion does to a small int unpickled as an Integer. */
  private static Object box(Object v) {
    return v instanceof Integer i ? Long.valueOf(i.longValue()) : v;
  }
}
