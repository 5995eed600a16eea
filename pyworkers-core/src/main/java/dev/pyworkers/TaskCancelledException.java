package dev.pyworkers;

/** The task was interrupted through its {@link TaskContext} or its result iterator was closed early. */
public class TaskCancelledException extends PythonWorkerException {
  private static final long serialVersionUID = 1L;

  public TaskCancelledException(String message) {
    super(message);
  }
}
