package dev.pyworkers.internal.protocol;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes the frames of a task's data section, JVM → worker (docs/protocol.md section 5.2): data frames, NULL records,
 * then {@code -1} (END_OF_DATA_SECTION) and {@code -4} (END_OF_STREAM). Adds no buffering of its own, so it can
 * share a (buffered) stream with the header writer. Not thread-safe; confined to the task's writer thread.
 */
public final class TaskFrameWriter {
  private final OutputStream out;
  private final byte[] scratch = new byte[4];

  public TaskFrameWriter(OutputStream out) {
    this.out = out;
  }

  /** A data frame: {@code int} length, then {@code b[off..off+len)}. */
  public void data(byte[] b, int off, int len) throws IOException {
    writeInt(len);
    out.write(b, off, len);
  }

  /** A data frame holding all of {@code b}. */
  public void data(byte[] b) throws IOException {
    data(b, 0, b.length);
  }

  /** A {@code None} record ({@code -5}, NON_UDF data only). */
  public void nullRecord() throws IOException {
    writeInt(SpecialLength.NULL.code());
  }

  /** The end of the data section, then the end-of-stream mark: {@code -1, -4}. */
  public void endOfDataAndStream() throws IOException {
    writeInt(SpecialLength.END_OF_DATA_SECTION.code());
    writeInt(SpecialLength.END_OF_STREAM.code());
  }

  public void flush() throws IOException {
    out.flush();
  }

  private void writeInt(int v) throws IOException {
    BigEndian.putInt(scratch, 0, v);
    out.write(scratch, 0, 4);
  }
}
