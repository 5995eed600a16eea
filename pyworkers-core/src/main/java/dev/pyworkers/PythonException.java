package dev.pyworkers;

/**
 * Python code raised an exception while running a task: the Python type, its message and the whole traceback. The
 * worker reported it over the protocol and stays usable.
 */
public class PythonException extends PythonWorkerException {
  private static final long serialVersionUID = 1L;
  private final String pythonType;
  private final String pythonMessage;
  private final String traceback;

  public PythonException(String pythonType, String pythonMessage, String traceback, String context) {
    super(pythonType + ": " + pythonMessage + " (" + context + ")\n" + traceback);
    this.pythonType = pythonType;
    this.pythonMessage = pythonMessage;
    this.traceback = traceback;
  }

  /** The exception's type name, for example {@code ValueError}. */
  public String pythonType() {
    return pythonType;
  }

  /** {@code str(exception)}. */
  public String pythonMessage() {
    return pythonMessage;
  }

  /** The formatted traceback, as Python prints it. */
  public String traceback() {
    return traceback;
  }
}
