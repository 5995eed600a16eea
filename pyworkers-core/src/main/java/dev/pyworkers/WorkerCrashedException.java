package dev.pyworkers;

/**
 * The Python worker process died in the middle of a task (os._exit, a signal, a segfault, the memory limit). The
 * message names the pid, the exit code or signal, the faulthandler traceback when enabled and the tail of the
 * worker's stderr.
 */
public class WorkerCrashedException extends PythonWorkerException {
  private static final long serialVersionUID = 1L;

  public WorkerCrashedException(String message, Throwable cause) {
    super(message, cause);
  }
}
