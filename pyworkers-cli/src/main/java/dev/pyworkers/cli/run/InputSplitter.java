package dev.pyworkers.cli.run;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;

/**
 * Cuts an input stream into {@link Partition partitions} of whole records without decoding a byte: it only looks for
 * line ends (and, for CSV, tracks quotes the way Python's {@code csv} module does, so a quoted field that spans lines
 * stays in one frame). Each frame starts with the 8-byte big-endian line number of its first record. A UTF-8 byte
 * order mark at the start is dropped. For CSV the first record is the header, sent as the first frame of every
 * partition. Memory: one read buffer (4 MiB, more only for a longer record) plus the partition being filled.
 * Not thread-safe: one reader thread.
 */
public final class InputSplitter {
  /** Frames end after this many bytes of records when no record count is given. */
  public static final int DEFAULT_BATCH_BYTES = 64 << 10;
  /** No frame grows past this, whatever the record count asked for (the protocol's frame bound is 1 GiB). */
  public static final int MAX_BATCH_BYTES = 64 << 20;
  /** The longest record accepted. */
  public static final int MAX_RECORD_BYTES = 256 << 20;
  private static final int BUFFER = 4 << 20;
  private static final int START_FIELD = 0;
  private static final int IN_FIELD = 1;
  private static final int IN_QUOTES = 2;
  private static final int QUOTE_IN_QUOTES = 3;

  private final InputStream in;
  private final InputFormat format;
  private final int batchRecords;
  private final long partitionBytes;
  private byte[] buf = new byte[BUFFER];
  /** First byte of the frame being cut; pos: first byte not yet in a record; limit: end of the bytes read. */
  private int start;
  private int pos;
  private int limit;
  private boolean eof;
  private boolean begun;
  /** The line number of the record at pos. */
  private long line = 1;
  private long consumed;
  private int recordEnd;
  private int recordLines;
  private int nextIndex;
  private byte[] headerFrame;
  /** The most input bytes per frame, lowered when FUNC's output is much larger than its input (set by any thread). */
  private volatile long frameCap = DEFAULT_BATCH_BYTES;

  /**
   * @param batchRecords records per frame, or 0 for frames of about {@link #DEFAULT_BATCH_BYTES}
   * @param partitionBytes a partition ends with the frame that brings it to this many bytes
   */
  public InputSplitter(InputStream in, InputFormat format, int batchRecords, long partitionBytes) {
    if (batchRecords < 0) throw new IllegalArgumentException("batchRecords must be >= 0, got " + batchRecords);
    if (partitionBytes < 1) throw new IllegalArgumentException("partitionBytes must be >= 1, got " + partitionBytes);
    this.in = in;
    this.format = format;
    this.batchRecords = batchRecords;
    this.partitionBytes = partitionBytes;
  }

  /** The next partition, or null at the end of the input. */
  public Partition next() throws IOException, RunFailure {
    begin();
    ArrayDeque<byte[]> frames = new ArrayDeque<>();
    if (headerFrame != null) frames.add(headerFrame);
    long firstLine = line;
    long records = 0;
    long bytes = 0;
    while (bytes < partitionBytes) {
      int n = nextFrame(frames, partitionBytes - bytes);
      if (n == 0) break;
      records += n;
      bytes += frames.peekLast().length - 8;
    }
    if (records == 0) return null;
    return new Partition(nextIndex++, firstLine, line - 1, records, bytes, frames);
  }

  /**
   * Caps the input bytes per frame from the next frame on (at least one record per frame), so that a FUNC whose
   * output is far larger than its input still gets output frames of bounded size. Any thread.
   */
  public void capFrameBytes(long bytes) {
    frameCap = Math.max(1, bytes);
  }

  /** Input bytes consumed into partitions so far (the byte order mark and the CSV header included). */
  public long consumedBytes() {
    return consumed + pos;
  }

  /** The CSV header record as read (without its frame prefix), or null. */
  public byte[] header() {
    return headerFrame == null ? null : java.util.Arrays.copyOfRange(headerFrame, 8, headerFrame.length);
  }

  private void begin() throws IOException, RunFailure {
    if (begun) return;
    begun = true;
    while (limit < 3 && !eof) fill();
    if (limit >= 3 && (buf[0] & 0xff) == 0xEF && (buf[1] & 0xff) == 0xBB && (buf[2] & 0xff) == 0xBF) {
      start = pos = 3;
    }
    if (format == InputFormat.CSV && nextRecord()) {
      headerFrame = frame(line, pos, recordEnd);
      pos = recordEnd;
      line += recordLines;
    }
  }

  /**
   * Cuts the next frame into {@code frames}; returns its record count, 0 at the end of the input. The frame ends
   * with the record that brings it to {@code room} (what the partition still takes), so no frame makes a partition
   * longer than its size plus one record.
   */
  private int nextFrame(ArrayDeque<byte[]> frames, long room) throws IOException, RunFailure {
    start = pos;
    long frameLine = line;
    long maxBytes = Math.min(Math.min(batchRecords > 0 ? MAX_BATCH_BYTES : DEFAULT_BATCH_BYTES, frameCap), room);
    int n = 0;
    while (true) {
      int size = pos - start;
      if (n > 0 && ((batchRecords > 0 && n >= batchRecords) || size >= maxBytes)) break;
      if (!nextRecord()) break;
      pos = recordEnd;
      line += recordLines;
      n++;
    }
    if (n > 0) frames.add(frame(frameLine, start, pos));
    start = pos;
    return n;
  }

  private byte[] frame(long firstLine, int from, int to) {
    byte[] f = new byte[8 + to - from];
    for (int i = 0; i < 8; i++) f[i] = (byte) (firstLine >>> (56 - 8 * i));
    System.arraycopy(buf, from, f, 8, to - from);
    return f;
  }

  /** Finds the record at pos: sets recordEnd and recordLines and returns true, or returns false at the end. */
  private boolean nextRecord() throws IOException, RunFailure {
    while (true) {
      int end = format == InputFormat.CSV ? csvRecordEnd() : lineEnd();
      if (end >= 0) {
        recordEnd = end;
        return true;
      }
      if (eof) {
        if (pos == limit) return false;
        recordEnd = limit; // the last line, without a line end
        recordLines = 1;
        return true;
      }
      fill();
    }
  }

  private int lineEnd() {
    byte[] b = buf;
    for (int i = pos, end = limit; i < end; i++) {
      if (b[i] == '\n') {
        recordLines = 1;
        return i + 1;
      }
    }
    return -1;
  }

  /** The end of the CSV record at pos, with Python's csv (excel dialect) rules for quotes; -1 if not all read. */
  private int csvRecordEnd() {
    byte[] b = buf;
    int state = START_FIELD;
    int lines = 1;
    for (int i = pos, end = limit; i < end; i++) {
      byte c = b[i];
      if (c == '\n' && state != IN_QUOTES) {
        recordLines = lines;
        return i + 1;
      }
      switch (state) {
        case START_FIELD -> state = c == '"' ? IN_QUOTES : c == ',' ? START_FIELD : IN_FIELD;
        case IN_FIELD -> state = c == ',' ? START_FIELD : IN_FIELD;
        case IN_QUOTES -> {
          if (c == '"') state = QUOTE_IN_QUOTES;
          else if (c == '\n') lines++;
        }
        default -> state = c == '"' ? IN_QUOTES : c == ',' ? START_FIELD : IN_FIELD;
      }
    }
    return -1;
  }

  /** Reads more input, first moving the unfinished frame to the front or growing the buffer for a long record. */
  private void fill() throws IOException, RunFailure {
    if (start > 0 && buf.length - limit < BUFFER / 2) {
      System.arraycopy(buf, start, buf, 0, limit - start);
      consumed += start;
      pos -= start;
      limit -= start;
      start = 0;
    }
    if (limit == buf.length) {
      if (limit - pos >= MAX_RECORD_BYTES) {
        throw new RunFailure(ExitCode.BAD_INPUT, "input line " + line + " is longer than "
            + (MAX_RECORD_BYTES >> 20) + " MiB (no line end found); is the input really " + format + "?");
      }
      buf = java.util.Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, MAX_RECORD_BYTES + (long) BUFFER));
    }
    int n = in.read(buf, limit, buf.length - limit);
    if (n < 0) eof = true;
    else limit += n;
  }
}
