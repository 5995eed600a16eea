package dev.pyworkers.internal.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The 4-byte ASCII tags that open every control message (docs/protocol.md). Immutable. */
public enum Tag {
  /** JVM → daemon stdin: init block. */
  DAEMON_INIT("PWKI"),
  /** Daemon stdout → JVM: ready, and where it listens. */
  DAEMON_HELLO("PWKD"),
  /** Daemon stdout → JVM: start failed, with a message. */
  DAEMON_ERROR("PWKE"),
  /** Daemon stdout → JVM, after the hello: how one of its workers ended. */
  WORKER_EXIT("PWKX"),
  /** Worker → JVM: first bytes on a worker socket (pid and nonce). */
  WORKER_HELLO("PWKW"),
  /** JVM → simple worker stdin: init block. */
  SIMPLE_INIT("PWKS"),
  /** JVM → daemon stdin: kill one child. */
  KILL("KILL");

  @SuppressWarnings("ImmutableEnumChecker") // never handed out or changed: bytes() returns a copy
  private final byte[] bytes;

  Tag(String ascii) {
    this.bytes = ascii.getBytes(StandardCharsets.US_ASCII);
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  public String ascii() {
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  public boolean matches(byte[] four) {
    return Arrays.equals(bytes, four);
  }
}
