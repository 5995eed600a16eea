package dev.pyworkers.events;

import java.time.Duration;
import java.util.Objects;

/**
 * A task ended with an error. The counts are what passed before the failure. Immutable.
 *
 * @param taskId as in its {@link TaskStarted}
 * @param partition the partition index
 * @param workerPid the worker that ran it, or -1 when none could be had
 * @param recordsIn records (or rows) sent to Python
 * @param recordsOut results received from Python
 * @param bytesToPython bytes written to the worker's socket for this task (header included)
 * @param bytesFromPython bytes read from it
 * @param elapsed from {@code compute} until the failure
 * @param error what the caller got (or, for results closed early, what stopped it)
 */
public record TaskFailed(long taskId, int partition, long workerPid, long recordsIn, long recordsOut,
    long bytesToPython, long bytesFromPython, Duration elapsed, RuntimeException error) {

  public TaskFailed {
    Objects.requireNonNull(elapsed, "elapsed");
    Objects.requireNonNull(error, "error");
  }
}
