package dev.pyworkers;

import java.time.Duration;

/**
 * One live Python worker process handed out by a {@link WorkerFactory}: authenticated, with a private socket to the
 * JVM. Hand it back with {@link WorkerFactory#release} or end it with {@link WorkerFactory#stop}. A worker is used by
 * one task at a time; its methods are thread-safe.
 *
 * <p>States: BUSY (handed out) → IDLE (released into the pool) → BUSY again on reuse, and DEAD once stopped or
 * evicted. Only its factory moves it between states.
 */
public interface PythonWorker {
  /** The worker's operating-system process id. */
  long pid();

  /** Whether a daemon forked it or it was spawned on its own. */
  WorkerMode mode();

  /** Whether the process is still running. */
  boolean isAlive();

  /** Times this worker has been handed out by its factory, this time included. */
  int tasksServed();

  /**
   * Round-trips a PING over the worker's socket. Throws {@link PythonWorkerException} naming the pid when the worker
   * does not answer within {@code timeout}; such a worker is broken and should be stopped.
   */
  void ping(Duration timeout);
}
