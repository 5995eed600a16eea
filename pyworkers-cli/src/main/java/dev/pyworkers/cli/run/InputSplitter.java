package dev.pyworkers.cli.run;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;

/**
 * Cuts an input stream into {@link Partition partitions} of whole records without decoding a byte: it only looks for
 * line ends (and, for CSV, tracks quotes the way Python's {@code csv} module does, so a quoted field that spans lines
 * stays in one frame). Each frame starts with the 8-byte big-endian line number of its first record. A UTF-8 byte
 * order mark at the start is dropped. For CSV the first record is the header, sent as the first frame of every
 * partition. A record longer than the record size limit ({@link RecordRules}) is a malformed input line, found while
 * scanning: the buffer never grows past the limit, and the rest of the record is only counted, to report its size.
 * Memory: one read buffer (4 MiB, more only for a longer record, at most the unfinished frame plus the limit) plus
 * the partition being filled. Not thread-safe: one reader thread.
 */
public final class InputSplitter implements PartitionSource {
  /** Frames end after this many bytes of records when no record count is given. */
  public static final int DEFAULT_BATCH_BYTES = 64 << 10;
  /** No frame grows past this, whatever the record count asked for (the protocol's frame bound is 1 GiB). */
  public static final int MAX_BATCH_BYTES = 64 << 20;
  /** The largest record size limit that may be set. */
  public static final int MAX_RECORD_BYTES = 256 << 20;
  private static final int BUFFER = 4 << 20;
  /** How far past the limit an over-long record is counted to report its size. */
  private static final long MEASURE_LIMIT = 4L << 30;
  private static final int EXCERPT_CHARS = 80;
  /** Enough bytes for 80 characters of UTF-8. */
  private static final int EXCERPT_BYTES = 4 * EXCERPT_CHARS;
  private static final int START_FIELD = 0;
  private static final int IN_FIELD = 1;
  private static final int IN_QUOTES = 2;
  private static final int QUOTE_IN_QUOTES = 3;

  private final InputStream in;
  private final InputFormat format;
  private final int batchRecords;
  private final long partitionBytes;
  private final long maxRecordBytes;
  /** The bytes a frame ends after when no record count is given. */
  private final int batchBytes;
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
  /** Scanning the record at pos: the first byte not yet looked at, and the CSV quote state there. */
  private int scanAt;
  private int csvState;
  private int nextIndex;
  private byte[] headerFrame;
  /** The most input bytes per frame, lowered when FUNC's output is much larger than its input (set by any thread). */
  private volatile long frameCap = DEFAULT_BATCH_BYTES;

  /**
   * @param batchRecords records per frame, or 0 for frames of about {@link #DEFAULT_BATCH_BYTES}
   * @param partitionBytes a partition ends with the frame that brings it to this many bytes
   */
  public InputSplitter(InputStream in, InputFormat format, int batchRecords, long partitionBytes) {
    this(in, format, batchRecords, partitionBytes, RecordRules.DEFAULT_MAX_RECORD_BYTES);
  }

  /** @param maxRecordBytes the longest record, in bytes without its line end (1 to {@link #MAX_RECORD_BYTES}) */
  public InputSplitter(InputStream in, InputFormat format, int batchRecords, long partitionBytes,
      long maxRecordBytes) {
    this(in, format, batchRecords, partitionBytes, maxRecordBytes, DEFAULT_BATCH_BYTES);
  }

  /**
   * @param batchBytes the bytes a frame ends after when {@code batchRecords} is 0 (1 to {@link #MAX_BATCH_BYTES}):
   *     {@link #DEFAULT_BATCH_BYTES} for the record-at-a-time job, more for {@code --pandas}, where a frame is one
   *     DataFrame
   */
  public InputSplitter(InputStream in, InputFormat format, int batchRecords, long partitionBytes,
      long maxRecordBytes, int batchBytes) {
    if (batchBytes < 1 || batchBytes > MAX_BATCH_BYTES) {
      throw new IllegalArgumentException("batchBytes must be between 1 and " + MAX_BATCH_BYTES + ", got " + batchBytes);
    }
    if (batchRecords < 0) throw new IllegalArgumentException("batchRecords must be >= 0, got " + batchRecords);
    if (partitionBytes < 1) throw new IllegalArgumentException("partitionBytes must be >= 1, got " + partitionBytes);
    if (maxRecordBytes < 1 || maxRecordBytes > MAX_RECORD_BYTES) {
      throw new IllegalArgumentException("maxRecordBytes must be between 1 and " + MAX_RECORD_BYTES + ", got "
          + maxRecordBytes);
    }
    this.in = in;
    this.format = format;
    this.batchRecords = batchRecords;
    this.partitionBytes = partitionBytes;
    this.maxRecordBytes = maxRecordBytes;
    this.batchBytes = batchBytes;
  }

  /** The next partition, or null at the end of the input. */
  @Override
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
  @Override
  public void capFrameBytes(long bytes) {
    frameCap = Math.max(1, bytes);
  }

  /** Input bytes consumed into partitions so far (the byte order mark and the CSV header included). */
  @Override
  public long consumedBytes() {
    return consumed + pos;
  }

  /** The CSV header record as read (without its frame prefix), or null. */
  @Override
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
    long maxBytes = Math.min(Math.min(batchRecords > 0 ? MAX_BATCH_BYTES : batchBytes, frameCap), room);
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
    scanAt = pos;
    csvState = START_FIELD;
    recordLines = 1;
    while (true) {
      int end = scan();
      if (end >= 0) {
        if (end - pos - lineEndLength(end) > maxRecordBytes) throw tooLong(end);
        recordEnd = end;
        return true;
      }
      if (limit - pos > maxRecordBytes + 1) throw tooLongUnfinished();
      if (eof) {
        if (pos == limit) return false;
        if (limit - pos > maxRecordBytes) throw tooLong(buf, pos, Math.min(limit - pos, EXCERPT_BYTES), limit - pos);
        recordEnd = limit; // the last line, without a line end
        return true;
      }
      fill();
    }
  }

  /** Scans from scanAt for the end of the record at pos; returns the index after its line end, or -1 for now. */
  private int scan() {
    int end = format == InputFormat.CSV ? csvRecordEnd() : lineEnd();
    scanAt = end >= 0 ? end : limit;
    return end;
  }

  private int lineEnd() {
    byte[] b = buf;
    for (int i = scanAt, end = limit; i < end; i++) {
      if (b[i] == '\n') return i + 1;
    }
    return -1;
  }

  /**
   * The end of the CSV record at pos, with Python's csv (excel dialect) rules for quotes, going on from scanAt in
   * the quote state csvState and counting lines in recordLines; -1 if not all read.
   */
  private int csvRecordEnd() {
    byte[] b = buf;
    int state = csvState;
    int lines = recordLines;
    try {
      for (int i = scanAt, end = limit; i < end; i++) {
        byte c = b[i];
        if (c == '\n' && state != IN_QUOTES) return i + 1;
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
    } finally {
      csvState = state;
      recordLines = lines;
    }
  }

  /** 2 for a record ending in CRLF, 1 for LF. */
  private int lineEndLength(int end) {
    return end - 2 >= pos && buf[end - 2] == '\r' ? 2 : 1;
  }

  /** The failure for the record [pos, end) found in the buffer. */
  private RunFailure tooLong(int end) {
    long size = (long) end - pos - lineEndLength(end);
    return tooLong(buf, pos, (int) Math.min(size, EXCERPT_BYTES), size);
  }

  /**
   * The failure for the unfinished, already over-long record at pos: counts the rest of it without keeping it (the
   * buffer is reused from its start), keeping only its first bytes for the excerpt.
   */
  private RunFailure tooLongUnfinished() throws IOException {
    byte[] head = new byte[EXCERPT_BYTES];
    int headLength = Math.min(limit - pos, EXCERPT_BYTES);
    System.arraycopy(buf, pos, head, 0, headLength);
    long size = (long) limit - pos;
    byte last = buf[limit - 1];
    while (!eof && size <= MEASURE_LIMIT) {
      pos = start = scanAt = limit = 0;
      int n = in.read(buf, 0, buf.length);
      if (n < 0) {
        eof = true;
        break;
      }
      limit = n;
      int end = scan();
      int part = end >= 0 ? end : n;
      int copy = Math.min(part, EXCERPT_BYTES - headLength);
      System.arraycopy(buf, 0, head, headLength, copy);
      headLength += copy;
      if (end >= 0) {
        boolean crlf = end >= 2 ? buf[end - 2] == '\r' : last == '\r';
        size += end - (crlf ? 2 : 1);
        return tooLong(head, 0, (int) Math.min(headLength, size), size);
      }
      size += n;
      last = buf[n - 1];
    }
    return tooLong(head, 0, headLength, size > MEASURE_LIMIT ? -1 : size);
  }

  /** The failure for the record at line {@code line}, {@code size} bytes (-1: huge), starting with b[from, +len). */
  private RunFailure tooLong(byte[] b, int from, int len, long size) {
    String what = format != InputFormat.CSV ? "input line " : headerFrame == null
        ? "the CSV header at input line " : "the CSV record at input line ";
    String howLong = size < 0 ? "longer than " + RecordRules.describe(MEASURE_LIMIT) : RecordRules.describe(size);
    return new RunFailure(ExitCode.BAD_INPUT, what + line + " is " + howLong + ", over the record size limit of "
        + RecordRules.describe(maxRecordBytes) + ": raise --max-record-size (and the heap, e.g."
        + " PYWORKERS_JAVA_OPTS=-Xmx2g), or check that the input is really " + format + "; it starts with "
        + excerpt(b, from, len));
  }

  /** The first 80 characters of the UTF-8 text in {@code b[from, from + len)}, quoted and escaped as Python's repr. */
  static String excerpt(byte[] b, int from, int len) {
    String text = new String(b, from, len, java.nio.charset.StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder("'");
    int chars = 0;
    for (int i = 0; i < text.length() && chars < EXCERPT_CHARS; chars++) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      switch (cp) {
        case '\\' -> sb.append("\\\\");
        case '\'' -> sb.append("\\'");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (cp < 0x20 || cp == 0x7f) sb.append(String.format("\\x%02x", cp));
          else sb.appendCodePoint(cp);
        }
      }
    }
    sb.append('\'');
    return chars < EXCERPT_CHARS ? sb.toString() : sb + "...";
  }

  /** Reads more input, first moving the unfinished frame to the front or growing the buffer for a long record. */
  private void fill() throws IOException, RunFailure {
    if (start > 0 && buf.length - limit < BUFFER / 2) {
      System.arraycopy(buf, start, buf, 0, limit - start);
      consumed += start;
      pos -= start;
      scanAt -= start;
      limit -= start;
      start = 0;
    }
    if (limit == buf.length) {
      // nextRecord saw at most maxRecordBytes + 1 bytes of the record: room for the rest and its line end is enough
      long needed = (long) pos - start + maxRecordBytes + 2;
      buf = java.util.Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, Math.max(needed, BUFFER)));
    }
    int n = in.read(buf, limit, buf.length - limit);
    if (n < 0) eof = true;
    else limit += n;
  }
}
