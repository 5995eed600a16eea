package dev.pyworkers;

/** Base of every error pyworkers raises about Python processes, their sockets and their protocol. */
public class PythonWorkerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PythonWorkerException(String message) {
    super(message);
  }

  public PythonWorkerException(String message, Throwable cause) {
    super(message, cause);
  }
}
