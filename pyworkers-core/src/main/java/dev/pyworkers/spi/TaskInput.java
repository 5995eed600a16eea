package dev.pyworkers.spi;

import java.io.IOException;

/**
 * The writer thread's side of one task, given to {@link TaskExchange#writeInput}: the caller's input elements, and
 * the data frames they become. Core writes the end of the data section ({@code -1}) after {@code writeInput} returns.
 * Confined to the task's writer thread.
 */
public interface TaskInput extends TaskInfo {
  /** Whether the input has another element; false too once {@link #stopRequested()}. Counts as waiting on the JVM. */
  boolean hasNext();

  /** The next input element, as the caller's iterator gives it. */
  Object next();

  /**
   * True once core wants no more input (the worker reported an exception, or the task was interrupted or closed):
   * return from {@code writeInput} after the frame being written. Once true, always true.
   */
  boolean stopRequested();

  /** A data frame: {@code int} length, then the bytes. At most 1 GiB. */
  void writeFrame(byte[] data, int offset, int length) throws IOException;

  /** A data frame of the whole array. */
  default void writeFrame(byte[] data) throws IOException {
    writeFrame(data, 0, data.length);
  }

  /**
   * Sends the frames written so far now rather than when the buffer fills; call it before waiting on the worker's
   * answers (a codec that limits the batches in flight), never per frame. By default nothing.
   */
  default void flush() throws IOException {}

  /** The NULL marker ({@code -5}) in place of a frame, for eval types whose handler reads it as {@code None}. */
  void writeNull() throws IOException;

  /**
   * How many input elements have been sent so far, for {@link dev.pyworkers.TaskMetrics#recordsIn()}; call it as
   * often as is cheap (once per frame is enough).
   */
  void recordsIn(long count);

  /**
   * Tells the stall watch that the worker is taking input; core marks progress itself whenever the worker sends
   * something. Call it at least once per frame of a batching codec, or every few thousand records (or 64 KiB) of a
   * record-per-frame codec.
   */
  void progress();
}
