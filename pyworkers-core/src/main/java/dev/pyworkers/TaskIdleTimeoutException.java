package dev.pyworkers;

/** The worker sent nothing for longer than the runner's task idle timeout and was killed. */
public class TaskIdleTimeoutException extends PythonWorkerException {
  private static final long serialVersionUID = 1L;

  public TaskIdleTimeoutException(String message) {
    super(message);
  }
}
