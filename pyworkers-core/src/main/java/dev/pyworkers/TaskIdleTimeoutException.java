package dev.pyworkers;

import java.time.Duration;

/**
 * The worker took no input and sent no output for longer than the runner's task idle timeout and was killed. It
 * carries the worker's pid, the partition and the Python traceback of its main thread taken just before the kill
 * (empty when none could be had). Immutable.
 */
public class TaskIdleTimeoutException extends PythonWorkerException {
  private static final long serialVersionUID = 1L;

  private final Duration timeout;
  private final long pid;
  private final int partition;
  private final String traceback;

  public TaskIdleTimeoutException(String message) {
    this(message, Duration.ZERO, -1, -1, "");
  }

  /**
   * @param timeout the task idle timeout that passed
   * @param pid the killed worker's pid, -1 if unknown
   * @param partition the task's partition index, -1 if unknown
   * @param traceback the last traceback of the worker's main thread, most recent call first; empty if none
   */
  public TaskIdleTimeoutException(String message, Duration timeout, long pid, int partition, String traceback) {
    super(message);
    this.timeout = timeout;
    this.pid = pid;
    this.partition = partition;
    this.traceback = traceback == null ? "" : traceback;
  }

  /** The task idle timeout that passed (zero if unknown). */
  public Duration timeout() {
    return timeout;
  }

  /** The killed worker's pid, or -1. */
  public long pid() {
    return pid;
  }

  /** The partition index of the task, or -1. */
  public int partition() {
    return partition;
  }

  /** The Python traceback of the worker's main thread seen last before the kill; empty if none could be had. */
  public String traceback() {
    return traceback;
  }
}
