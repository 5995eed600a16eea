package dev.pyworkers.spi;

import java.io.IOException;

/**
 * The reader thread's side of one task, given to the {@link TaskExchange} methods that read the worker's output:
 * where results go, and the stream itself for the payload of a codec's own markers. Confined to the thread that
 * reads the task's results.
 */
public interface TaskOutput extends TaskInfo {
  /** One result for the caller, in order; null is a null result. */
  void emit(Object result);

  /** How many results have been emitted so far. */
  long resultsOut();

  /** Reads an {@code int} of a codec marker's payload from the worker's stream. */
  int readInt() throws IOException;

  /** Reads a {@code long} of a codec marker's payload. */
  long readLong() throws IOException;

  /** Reads exactly {@code b.length} bytes of a codec marker's payload. */
  void readFully(byte[] b) throws IOException;
}
