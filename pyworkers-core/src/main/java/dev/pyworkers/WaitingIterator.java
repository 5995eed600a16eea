package dev.pyworkers;

import java.util.Iterator;

/**
 * A task's input that can tell when its next {@link #hasNext()} would wait for records that do not exist yet: a
 * queue that another thread fills, a socket, a stream of events. Before such a wait the runner flushes what it has
 * written for the worker, so that the worker gets every record that exists now. A plain {@link Iterator} is written
 * in buffer-sized pieces ({@link WorkerConfig#bufferSize()}): its last records reach the worker only when the buffer
 * fills or the input ends, which for an input that waits on the task's own results would never happen.
 *
 * @param <T> the records
 */
public interface WaitingIterator<T> extends Iterator<T> {
  /**
   * Whether {@link #hasNext()} would wait now. Called on the task's writer thread before each {@code hasNext()};
   * it must not block, and may answer {@code false} when unsure (the runner then only flushes later).
   */
  boolean wouldWait();
}
