package dev.pyworkers.cli.run;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * One partition of the input, one runner task: its frames (each an 8-byte first line number and whole records, see
 * {@code pyworkers.jobs}), preceded by the CSV header frame when there is one. Confined to one thread at a time: the
 * splitter fills it, then one task thread drains it, and each frame is let go as it is sent.
 *
 * @param index the partition's position in the input, from 0
 * @param firstLine the input line number of its first record, from 1
 * @param lastLine the input line number of its last record's last line
 * @param records the records (JSON or text lines, CSV records) it holds
 * @param bytes the input bytes it holds
 * @param rows whether firstLine and lastLine count rows of an Arrow IPC input (from 1) rather than lines
 */
public record Partition(int index, long firstLine, long lastLine, long records, long bytes, ArrayDeque<byte[]> frames,
    boolean rows) {
  /** A partition of a line-based input (JSONL, CSV, text). */
  public Partition(int index, long firstLine, long lastLine, long records, long bytes, ArrayDeque<byte[]> frames) {
    this(index, firstLine, lastLine, records, bytes, frames, false);
  }

  /** "lines 1-500", "line 7" or, for Arrow input, "rows 1-500": where its records are in the input, for messages. */
  public String lines() {
    String unit = rows ? "row" : "line";
    return firstLine == lastLine ? unit + " " + firstLine : unit + "s " + firstLine + "-" + lastLine;
  }

  /** "line 7" or "row 7": where it starts in the input, for messages. */
  public String start() {
    return (rows ? "row " : "line ") + firstLine;
  }

  /** The frames to send, in order; each is dropped from the partition as the iterator hands it out. */
  public Iterator<byte[]> drain() {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return !frames.isEmpty();
      }

      @Override
      public byte[] next() {
        byte[] f = frames.poll();
        if (f == null) throw new NoSuchElementException("partition " + index + " has no more frames");
        return f;
      }
    };
  }
}
