package dev.pyworkers;

/**
 * Hands out Python workers for one {@link PythonEnvironment}: from its idle pool when it can, otherwise forked by its
 * daemon or spawned. Obtain one from {@link WorkerRegistry#factory}. Thread-safe: any number of threads may create,
 * release and stop workers at once.
 */
public interface WorkerFactory {
  /**
   * Returns a ready, authenticated worker. Never hangs: a worker that does not report within the connect timeout or
   * finish the handshake within the auth timeout is an error. If the daemon is unreachable it is restarted once.
   *
   * @throws WorkerStartException the daemon or worker could not be started
   * @throws WorkerAuthException a peer failed the secret handshake
   * @throws WorkerProtocolException a peer broke the protocol
   * @throws IllegalStateException the factory is closed
   */
  PythonWorker create();

  /**
   * Returns a worker after a clean task. Daemon workers go back to the idle pool when reuse is on (the oldest idle
   * worker is killed if the pool is full); otherwise, and for simple workers, the worker is stopped.
   */
  void release(PythonWorker worker);

  /** Kills the worker (SIGKILL, through the daemon in daemon mode). Idempotent. */
  void stop(PythonWorker worker);

  /** A snapshot of this factory's counters. */
  WorkerStats stats();

  /** The environment this factory runs. */
  PythonEnvironment environment();

  /** Stops every worker of this factory and its daemon. Idempotent. */
  void close();
}
