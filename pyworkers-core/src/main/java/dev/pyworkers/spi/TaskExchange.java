package dev.pyworkers.spi;

import java.io.IOException;

/**
 * One task's traffic of one eval type: an input side on the task's writer thread and an output side on the thread
 * that reads its results. State both sides share (for example the sizes of the batches sent, to check that each got
 * its answer) lives here; it must be safe for those two threads.
 *
 * <p>The frame vocabulary. JVM to worker, the data section holds only data frames ({@code int} length >= 0, then the
 * bytes) and, where the handler accepts it, the NULL marker {@code -5}, so that the worker's generic code can always
 * drain it after a failure. Worker to JVM, core handles the end of data ({@code -1}), an exception ({@code -2}) and
 * timing ({@code -3}); a data frame goes to {@link #onFrame}, {@code -5} to {@link #onNull}, and any other negative
 * marker (codec-owned, -6 and below, such as an Arrow "start of stream") to {@link #onMarker}, which reads its
 * payload from the stream itself.
 *
 * <p>What an exchange throws: an {@link IllegalArgumentException} from {@link #writeInput} for bad input (its message
 * reaches the caller inside a {@link dev.pyworkers.PythonWorkerException}); {@link TaskInfo#protocolError} for a
 * broken protocol rule; a {@link dev.pyworkers.PythonWorkerException} for a result it cannot read. Each fails the
 * task and kills its worker.
 */
public interface TaskExchange {
  /** Writer thread: turns the caller's input into data frames until the input ends or core asks to stop. */
  void writeInput(TaskInput input) throws IOException;

  /** Reader thread: one data frame from the worker; emits its results. {@code frame} is the exchange's to keep. */
  void onFrame(byte[] frame, TaskOutput output) throws IOException;

  /** Reader thread: the NULL marker {@code -5} from the worker. By default a protocol error. */
  default void onNull(TaskOutput output) throws IOException {
    throw output.protocolError("NULL frame (-5) is not valid output of this eval type");
  }

  /**
   * Reader thread: a marker that is neither a data frame nor one of core's; reads its payload from {@code output}.
   * Returns false if the marker is unknown to this eval type (core then fails the task as a protocol error).
   */
  default boolean onMarker(int marker, TaskOutput output) throws IOException {
    return false;
  }

  /**
   * Reader thread, after the worker ended the task cleanly: null when every input got its answer, otherwise the
   * whole message of the protocol error to raise (say what was left unanswered).
   */
  default String unanswered() {
    return null;
  }

  /**
   * The task has ended: its results were read to the end, it failed, or its results were closed. Called once, on
   * the thread that ended it, after the writer thread has stopped or the kill timeout passed waiting for it; frees
   * what the exchange holds for the task (an Arrow eval type's allocator). Must not throw. By default nothing.
   *
   * <p>A result that was emitted but never handed to the caller (the task failed, or its results were closed,
   * before {@code next()} took it) is closed by core if it is {@link AutoCloseable}, before this call.
   */
  default void close() {}
}
