package dev.pyworkers;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects the updates Python code sends with {@code pyworkers.context.accumulate(value)}, unpickled (Python ints as
 * Long), in the order tasks finished. Only tasks that end normally contribute. Thread-safe.
 */
public final class PythonAccumulator {
  private final List<Object> values = new ArrayList<>();

  public synchronized void add(Object value) {
    values.add(value);
  }

  /** A copy of every update so far. */
  public synchronized List<Object> values() {
    return new ArrayList<>(values);
  }
}
