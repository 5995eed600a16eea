package dev.pyworkers.cli.run;

/**
 * Why {@code pyworkers run} failed: the exit code and the message to print on stderr (which may span lines, e.g. a
 * Python traceback). Immutable.
 */
public final class RunFailure extends Exception {
  private static final long serialVersionUID = 1L;
  private final ExitCode exitCode;

  public RunFailure(ExitCode exitCode, String message) {
    this(exitCode, message, null);
  }

  public RunFailure(ExitCode exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public ExitCode exitCode() {
    return exitCode;
  }
}
