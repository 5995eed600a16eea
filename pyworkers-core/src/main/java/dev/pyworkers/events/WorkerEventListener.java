package dev.pyworkers.events;

/**
 * Hears what the daemons, workers and tasks of one {@link dev.pyworkers.WorkerRegistry} do, for an engine's metrics,
 * a dashboard or a log. Give it to {@link dev.pyworkers.WorkerRegistry#create(dev.pyworkers.WorkerConfig,
 * WorkerEventListener)}; every method does nothing by default, so override the ones you need.
 *
 * <p>Events come in pairs, and each pair is closed exactly once:
 * <ul>
 *   <li>every {@link #daemonStarted} by one {@link #daemonStopped} with the same pid;
 *   <li>every {@link #workerStarted} by one {@link #workerEnded} with the same pid; between them, a pooled worker
 *       goes idle ({@link #workerReleased}) and is taken again ({@link #workerReused}) any number of times;
 *   <li>every {@link #taskStarted} by one {@link #taskFinished} or {@link #taskFailed} with the same task id.
 * </ul>
 * A registry's close ends every open pair before it returns: its tasks fail, its workers and daemons end.
 *
 * <p>Threads: each event is delivered on the thread that caused it, right after the fact: a task's thread for its
 * task and its worker's acquisition, the killer threads for an idle eviction or a deadline's kill, the closing thread
 * for a close. So a listener must be thread-safe, fast and must not block; it may not call back into the registry or
 * its factories from a pool event. An exception it throws is logged (once per method, at WARN) and changes nothing
 * that pyworkers does.
 *
 * <p>Cost: with no listener ({@link #NONE}, the default) no event object is made, and the counting behind them
 * ({@link dev.pyworkers.TaskMetrics}) is what the runner does anyway.
 */
public interface WorkerEventListener {

  /** Hears nothing; the default of a registry. */
  WorkerEventListener NONE = new WorkerEventListener() { };

  /** A daemon answered its first hello: it can fork workers now. {@link DaemonStarted#isRestart()} tells a restart. */
  default void daemonStarted(DaemonStarted event) { }

  /** A daemon was stopped (it may have died before), and will fork no more workers. */
  default void daemonStopped(DaemonStopped event) { }

  /** A new worker passed its handshake: forked by a daemon, or spawned in simple mode. */
  default void workerStarted(WorkerStarted event) { }

  /** An idle worker was taken from the pool for another task. */
  default void workerReused(WorkerReused event) { }

  /** A worker went back to the idle pool after a task. */
  default void workerReleased(WorkerReleased event) { }

  /** A worker was killed, evicted, recycled or found dead; {@link WorkerEnded#reason()} says which. */
  default void workerEnded(WorkerEnded event) { }

  /** A runner began a task: before its worker is acquired, so a worker start it causes follows. */
  default void taskStarted(TaskStarted event) { }

  /** A task's results were all read and its worker ended the exchange cleanly. */
  default void taskFinished(TaskFinished event) { }

  /** A task ended with an error (a Python exception, a crash, a cancel, a timeout, results closed early). */
  default void taskFailed(TaskFailed event) { }
}
