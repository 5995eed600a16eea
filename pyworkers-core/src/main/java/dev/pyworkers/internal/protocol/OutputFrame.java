package dev.pyworkers.internal.protocol;

import java.util.List;

/**
 * One frame of a task's output, worker → JVM (docs/protocol.md section 5.3), as {@link TaskFrameReader} reads it.
 * Immutable, except that the byte arrays are the reader's, handed over.
 */
public sealed interface OutputFrame {
  /** A data frame: its payload, in the format of the task's eval type. */
  record Data(byte[] payload) implements OutputFrame {}

  /** A {@code None} record ({@code -5}). */
  enum Null implements OutputFrame { INSTANCE }

  /** {@code -3}: the task's times, epoch milliseconds. */
  record Timing(long workerBoot, long taskStart, long functionsReady, long finish) implements OutputFrame {
    public long[] toArray() {
      return new long[] {workerBoot, taskStart, functionsReady, finish};
    }
  }

  /** {@code -2}: what the task raised; each text at most {@link TaskFrameReader#MAX_EXCEPTION_TEXT} bytes of UTF-8. */
  record PythonError(String type, String message, String traceback) implements OutputFrame {}

  /** {@code -1}: the end block, with the accumulator updates the task made (each a pickle). */
  record End(List<byte[]> accumulatorUpdates) implements OutputFrame {}
}
