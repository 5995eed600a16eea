package dev.pyworkers.internal.protocol;

/** The status byte a worker sends in step 3 of the handshake (docs/protocol.md section 2). Immutable. */
public enum ProofStatus {
  /** The JVM's proof is good; the worker's own proof follows. */
  ACCEPTED(0),
  /** The JVM's proof is wrong; the worker closes the connection. */
  REJECTED(1);

  private final int code;

  ProofStatus(int code) {
    this.code = code;
  }

  /** The {@code u8} on the wire. */
  public int code() {
    return code;
  }
}
