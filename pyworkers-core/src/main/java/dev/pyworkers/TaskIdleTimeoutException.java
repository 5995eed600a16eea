package dev.pyworkers;

/**
 * The worker took no input and sent no output for longer than the runner's task idle timeout and was killed. It
 * carries the worker's pid, the partition and the Python traceback of its main thread taken just before the kill
 * (empty when none could be had). Immutable.
 */
public class TaskIdleTimeoutException extends PythonWorkerException {
  private static final long serialVersionUID = 1L;

  private final long pid;
  private final int partition;
  private final String traceback;

  public TaskIdleTimeoutException(String message) {
    this(message, -1, -1, "");
  }

  /**
   * @param pid the killed worker's pid, -1 if unknown
   * @param partition the task's partition index, -1 if unknown
   * @param traceback the last traceback of the worker's main thread, most recent call first; empty if none
   */
  public TaskIdleTimeoutException(String message, long pid, int partition, String traceback) {
    super(message);
    this.pid = pid;
    this.partition = partition;
    this.traceback = traceback == null ? "" : traceback;
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
