package dev.pyworkers.spi;

import dev.pyworkers.WorkerProtocolException;

/** Which task an exchange serves, for its messages. Thread-safe. */
public interface TaskInfo {
  /** The partition index the task runs. */
  int partition();

  /** The pid of the Python worker running the task. */
  long workerPid();

  /**
   * The exception for a broken protocol rule, {@code message} followed by the worker's pid and the partition; the
   * exchange throws it. The worker is then killed, never reused.
   */
  WorkerProtocolException protocolError(String message);
}
