package dev.pyworkers.cli.run;

/**
 * The exit codes of {@code pyworkers run}. Their meanings are listed in {@code pyworkers run --help} (the command's
 * {@code exitCodeList}) and in the README; a test keeps the three in step. Immutable.
 */
public enum ExitCode {
  /** OUT holds one JSON line per input record, in input order. */
  OK(0),
  /** FUNC raised an exception (any BaseException), or returned a value that is not JSON or is too long. */
  UDF_ERROR(1),
  /** An invalid option, a missing input, or a bad --udf; nothing was read. */
  BAD_ARGUMENT(2),
  /** A malformed input line: not JSON (NaN, Infinity), not CSV, not UTF-8, or over the record size limit. */
  BAD_INPUT(3),
  /** A Python worker crashed in the middle of a partition. */
  WORKER_CRASH(4),
  /** Any other failure: OUT cannot be written, Python cannot be started, an internal error. */
  FAILURE(5),
  /** A Python worker made no progress for --task-timeout and was killed. */
  TASK_TIMEOUT(6),
  /** Ctrl-C (SIGINT) or SIGTERM sent by the user; not a KeyboardInterrupt that FUNC raised itself. */
  INTERRUPTED(130);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }
}
