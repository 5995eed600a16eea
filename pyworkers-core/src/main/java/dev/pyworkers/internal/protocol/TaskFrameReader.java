package dev.pyworkers.internal.protocol;

import dev.pyworkers.WorkerProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a task's output, worker → JVM (docs/protocol.md section 5.3): data frames, NULL, timing, the exception frame,
 * the end block with its accumulator updates, and the worker's answer to the end-of-stream exchange. Every length is
 * checked against its bound before anything is allocated; a violation is a {@link WorkerProtocolException} that
 * names the frame, the value and the task; a stream that ends inside a frame is an {@link EOFException} saying where.
 *
 * <p>A frame is read in two steps, {@link #readHead()} then {@link #readBody(int)}, so the caller can note progress
 * (or decide to stop) once the frame has begun; {@link #next()} does both. Reads exactly what each frame needs and
 * never more. Not thread-safe; confined to the task's reading thread.
 */
public final class TaskFrameReader {
  /** Bound of a data frame and of one accumulator update, bytes. */
  public static final int MAX_FRAME = 1 << 30;
  /** Bound of each text of the exception frame, bytes of UTF-8 (the worker cuts longer texts in the middle). */
  public static final int MAX_EXCEPTION_TEXT = 1 << 20;
  /** Bound of the accumulator update count of the end block. */
  public static final int MAX_ACCUMULATOR_UPDATES = 1_000_000;

  /** What a data frame is called in the error of a stream that ends inside it (which adds its length). */
  private static final String DATA_FRAME = "a data frame";

  private final InputStream in;
  private final String context;
  private final byte[] scratch = new byte[8];

  /**
   * {@code in} should be buffered (every int is read by itself); {@code context} names the stream in error text
   * ({@code "output of task partition 3 from Python worker pid 4242"}).
   */
  public TaskFrameReader(InputStream in, String context) {
    this.in = in;
    this.context = context;
  }

  /** The next whole frame. */
  public OutputFrame next() throws IOException {
    return readBody(readHead());
  }

  /** The first {@code int} of the next frame: a data frame's length, or a {@link SpecialLength} code. */
  public int readHead() throws IOException {
    return readInt("the next output frame's length or marker");
  }

  /**
   * The rest of the frame that {@code head} (from {@link #readHead()}) opened. {@link SpecialLength#END_OF_STREAM}
   * is not a frame of the output: it is the answer that {@link #readEndAnswer()} reads.
   */
  public OutputFrame readBody(int head) throws IOException {
    if (head >= 0) {
      if (head > MAX_FRAME) throw protocol("data frame length " + head + " exceeds max " + MAX_FRAME + " in " + context);
      return new OutputFrame.Data(readExact(head, DATA_FRAME));
    }
    SpecialLength kind = SpecialLength.of(head);
    if (kind == null || kind == SpecialLength.END_OF_STREAM) {
      throw protocol("output frame marker " + head + " is unknown in " + context + ": expected a data frame length"
          + " >= 0, -1 (end), -2 (exception), -3 (timing) or -5 (null)");
    }
    return switch (kind) {
      case NULL -> OutputFrame.Null.INSTANCE;
      case TIMING_DATA -> {
        String what = "the timing frame " + kind.describe();
        yield new OutputFrame.Timing(readLong(what), readLong(what), readLong(what), readLong(what));
      }
      case PYTHON_EXCEPTION_THROWN -> new OutputFrame.PythonError(
          text("exception type"), text("exception message"), text("traceback"));
      case END_OF_DATA_SECTION -> end();
      default -> throw new AssertionError(kind);
    };
  }

  /**
   * The worker's answer after the end block: {@link SpecialLength#END_OF_STREAM} when it may be reused, anything
   * else (it sends {@code -1}) when it is not. Returned raw, for the caller's message.
   */
  public int readEndAnswer() throws IOException {
    return readInt("the worker's answer to the end-of-stream exchange");
  }

  private OutputFrame.End end() throws IOException {
    String where = "the end block " + SpecialLength.END_OF_DATA_SECTION.describe();
    int n = readInt("the accumulator update count of " + where);
    if (n < 0 || n > MAX_ACCUMULATOR_UPDATES) {
      throw protocol("accumulator update count " + n + " is outside 0.." + MAX_ACCUMULATOR_UPDATES + " in " + where
          + " of " + context);
    }
    List<byte[]> updates = new ArrayList<>(Math.min(n, 1024));
    for (int i = 0; i < n; i++) {
      String what = "accumulator update " + (i + 1) + " of " + n;
      int len = readInt("the length of " + what + " in " + where);
      if (len < 0 || len > MAX_FRAME) {
        throw protocol(what + " length " + len + " is outside 0.." + MAX_FRAME + " in " + where + " of " + context);
      }
      updates.add(readExact(len, what + " in " + where));
    }
    return new OutputFrame.End(updates);
  }

  private String text(String what) throws IOException {
    String where = "the exception frame " + SpecialLength.PYTHON_EXCEPTION_THROWN.describe();
    int len = readInt("the " + what + " length in " + where);
    if (len < 0 || len > MAX_EXCEPTION_TEXT) {
      throw protocol(what + " length " + len + " is outside 0.." + MAX_EXCEPTION_TEXT + " in " + where + " of "
          + context);
    }
    return new String(readExact(len, "the " + what + " in " + where), StandardCharsets.UTF_8);
  }

  /**
   * An int that is not a frame of this reader's: the payload of a marker an eval type owns. {@code what} names it in
   * the error of a stream that ends inside it.
   */
  public int readInt(String what) throws IOException {
    readFully(scratch, 4, what);
    return BigEndian.getInt(scratch, 0);
  }

  /** A long of a payload an eval type owns; see {@link #readInt(String)}. */
  public long readLong(String what) throws IOException {
    readFully(scratch, 8, what);
    return BigEndian.getLong(scratch, 0);
  }

  private byte[] readExact(int n, String what) throws IOException {
    byte[] b = new byte[n];
    readFully(b, n, what);
    return b;
  }

  /** The first {@code n} bytes of {@code b}, of a payload an eval type owns; see {@link #readInt(String)}. */
  public void readFully(byte[] b, int n, String what) throws IOException {
    int off = 0;
    while (off < n) {
      int r = in.read(b, off, n - off);
      if (r < 0) throw new EOFException("end of stream after " + off + " of " + n + " bytes of " + what + " in " + context);
      off += r;
    }
  }

  private static WorkerProtocolException protocol(String message) {
    return new WorkerProtocolException(message);
  }
}
