package dev.pyworkers;

/**
 * A Python daemon or worker could not be started: the executable is missing or is not a usable Python, a module is
 * missing, the process exited or printed garbage during start, or it never connected back in time. The message names
 * the command line, PYTHONPATH and the tail of the process's stderr where they help.
 */
public class WorkerStartException extends PythonWorkerException {
  private static final long serialVersionUID = 1L;

  public WorkerStartException(String message) {
    super(message);
  }

  public WorkerStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
