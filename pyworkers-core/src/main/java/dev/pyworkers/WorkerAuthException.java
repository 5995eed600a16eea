package dev.pyworkers;

/** A peer on a worker socket failed the secret handshake, or rejected ours. The secret is never in the message. */
public class WorkerAuthException extends PythonWorkerException {
  private static final long serialVersionUID = 1L;

  public WorkerAuthException(String message) {
    super(message);
  }
}
