package dev.pyworkers.internal.protocol;

/**
 * The session commands and replies of docs/protocol.md section 3 that are not a task (a task's command is its
 * partition index, {@code >= 0}). Python's twin is {@code protocol.Command}. Immutable.
 */
public enum SessionCommand {
  /** Liveness check; the worker echoes it. */
  PING(-10),
  /** The worker's reply to an unknown command, followed by a {@code str} message; then it exits 4. */
  ERROR(-2);

  private final int code;

  SessionCommand(int code) {
    this.code = code;
  }

  /** The value on the wire. */
  public int code() {
    return code;
  }

  /** The 4 bytes on the wire. */
  public byte[] bytes() {
    return BigEndian.ofInt(code);
  }
}
