package dev.pyworkers.events;

import dev.pyworkers.TaskMetrics;
import java.time.Duration;
import java.util.Objects;

/**
 * A task ended well: every result was read and the worker ended the exchange cleanly. Immutable.
 *
 * @param taskId as in its {@link TaskStarted}
 * @param partition the partition index
 * @param metrics what the worker timed and the JVM counted: records and bytes each way, boot, init and finish times
 * @param elapsed from {@code compute} until the end, as the JVM measured it
 */
public record TaskFinished(long taskId, int partition, TaskMetrics metrics, Duration elapsed) {

  public TaskFinished {
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(elapsed, "elapsed");
  }
}
