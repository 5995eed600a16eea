package dev.pyworkers.arrow.internal;

import java.nio.ByteBuffer;

/**
 * The control frames of the grouped and cogrouped Arrow eval types (docs/protocol.md sections 7.5 and 7.8): a data
 * frame of exactly 8 bytes, {@code int} kind and {@code int} payload, big-endian. A kind is never {@code -1}, so a
 * control frame never starts with the continuation marker {@code 0xFFFFFFFF} of an Arrow IPC message. Stateless.
 */
public enum ControlFrame {
  /** JVM to worker: a group begins; payload the group's index among the task's input elements. */
  GROUP_START(1),
  /**
   * JVM to worker: the group's batches are all sent, payload its row count. Worker to JVM: the group's results are
   * all sent, payload their row count.
   */
  GROUP_END(2),
  /**
   * JVM to worker, cogrouped eval types only: the cogroup's left side is all sent, payload its row count (0 for an
   * empty side); the right side's batches follow, then GROUP_END with the right side's row count.
   */
  LEFT_END(3);

  public static final int LENGTH = 8;

  private final int kind;

  ControlFrame(int kind) {
    this.kind = kind;
  }

  public int kind() {
    return kind;
  }

  /** The 8 bytes of this control frame with {@code payload}. */
  public byte[] encode(int payload) {
    return ByteBuffer.allocate(LENGTH).putInt(kind).putInt(payload).array();
  }

  /** The kind of an 8-byte control frame, or null if no kind has that number. */
  public static ControlFrame kindOf(byte[] frame) {
    int k = ByteBuffer.wrap(frame).getInt(0);
    for (ControlFrame c : values()) {
      if (c.kind == k) return c;
    }
    return null;
  }

  public static int payloadOf(byte[] frame) {
    return ByteBuffer.wrap(frame).getInt(4);
  }
}
