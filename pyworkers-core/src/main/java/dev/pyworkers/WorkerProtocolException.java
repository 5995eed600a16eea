package dev.pyworkers;

/** A peer sent bytes that break the wire protocol (see docs/protocol.md); the message names the rule and value. */
public class WorkerProtocolException extends PythonWorkerException {
  private static final long serialVersionUID = 1L;

  public WorkerProtocolException(String message) {
    super(message);
  }

  public WorkerProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
