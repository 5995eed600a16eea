package dev.pyworkers.spark.internal;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.unsafe.Platform;

/**
 * The rows of one row UDF task whose results are still on the way, oldest first: one thread (the task's input
 * writer) adds, one other (the Spark task reading results) takes. Rows are kept in chunks of {@value #CHUNK}; the
 * count of rows added is published with a release store after each row, so a row costs neither a lock nor a full
 * fence on either side. {@link #keep} copies a row the scan would reuse, with a Java array copy rather than
 * {@code UnsafeRow.copy}'s native one, which costs more than the rest of the row's way here.
 */
final class PendingRows {
  static final int CHUNK = 1024;

  private static final class Chunk {
    final InternalRow[] rows = new InternalRow[CHUNK];
    volatile Chunk next;
  }

  private final AtomicLong added = new AtomicLong();

  // writer thread
  private Chunk tail = new Chunk();
  private int tailIndex;
  private long count;

  // reader thread
  private Chunk head = tail;
  private int headIndex;
  private long taken;
  private long seen;

  /** Adds {@code row} as the newest; writer thread. */
  void add(InternalRow row) {
    if (tailIndex == CHUNK) {
      Chunk c = new Chunk();
      tail.next = c;
      tail = c;
      tailIndex = 0;
    }
    tail.rows[tailIndex++] = row;
    added.lazySet(++count);
  }

  /** The oldest row, removed, or null when every row added has been taken; reader thread. */
  InternalRow poll() {
    if (taken == seen) {
      seen = added.get();
      if (taken == seen) return null;
    }
    if (headIndex == CHUNK) {
      head = head.next;
      headIndex = 0;
    }
    InternalRow r = head.rows[headIndex];
    head.rows[headIndex++] = null;
    taken++;
    return r;
  }

  /** A copy of {@code row} that stays valid when the row it came from is reused; an UnsafeRow for an UnsafeRow. */
  static InternalRow keep(InternalRow row) {
    if (row instanceof UnsafeRow u && u.getBaseObject() instanceof byte[] base) {
      int size = u.getSizeInBytes();
      byte[] bytes = new byte[size];
      System.arraycopy(base, (int) (u.getBaseOffset() - Platform.BYTE_ARRAY_OFFSET), bytes, 0, size);
      UnsafeRow copy = new UnsafeRow(u.numFields());
      copy.pointTo(bytes, size);
      return copy;
    }
    return row.copy();
  }
}
