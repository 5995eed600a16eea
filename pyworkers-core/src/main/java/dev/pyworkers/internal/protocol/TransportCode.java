package dev.pyworkers.internal.protocol;

import dev.pyworkers.WorkerProtocolException;

/** The transport byte of the init blocks and the daemon hello. Immutable. */
public enum TransportCode {
  UNIX(1),
  TCP4(2),
  TCP6(3);

  private final int code;

  TransportCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public boolean isTcp() {
    return this != UNIX;
  }

  public static TransportCode of(int code, String context) {
    for (TransportCode t : values()) {
      if (t.code == code) return t;
    }
    throw new WorkerProtocolException("transport code " + code + " is not 1, 2 or 3 in " + context);
  }
}
