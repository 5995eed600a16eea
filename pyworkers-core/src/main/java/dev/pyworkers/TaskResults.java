package dev.pyworkers;

import java.util.Iterator;

/**
 * The results of one task, streamed while the input is still being sent. Read it to the end, or close it early:
 * closing an unfinished task kills its worker (it can no longer be reused safely). Errors surface from {@link
 * #hasNext()} and {@link #next()} as {@link PythonException}, {@link WorkerCrashedException}, {@link
 * TaskCancelledException}, {@link TaskIdleTimeoutException} or another {@link PythonWorkerException}. Confined to
 * one reading thread; {@link #close()} may be called from any thread.
 *
 * <p>Element types: SQL_BATCHED_UDF gives one element per input row, the converted result with one UDF or an
 * {@code Object[]} with several. NON_UDF gives {@code byte[]} records ({@code String} with {@link
 * RecordFormat#UTF8} output), {@code null} for a {@code None} record.
 */
public interface TaskResults<T> extends Iterator<T>, AutoCloseable {
  /** The task's timing, once it has ended normally; null before. */
  TaskMetrics metrics();

  /** Stops the task if it has not ended (its worker is killed). Idempotent; never throws. */
  @Override
  void close();
}
