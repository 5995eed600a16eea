package dev.pyworkers.cli.run;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.List;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;

/**
 * Cuts an Arrow IPC file ({@code .arrow}, {@code .feather} version 2) into {@link Partition partitions} of whole
 * record batches, without reading their data: {@link #open} checks the file's magic bytes and reads its footer (the
 * list of batches), and each partition reads only the metadata of its batches (their row counts). A frame names rows
 * of one batch (docs/protocol.md section 8.2: first row of the file, batch index, first row in the batch, row count);
 * the worker reads them from the memory-mapped file itself, so no data crosses the socket. A batch is one frame, or
 * several of {@code batchRecords} rows each when that is given; a partition ends with the batch that brings its body
 * bytes to the partition size. A damaged file is a malformed input (exit code 3) naming the batch: the footer must
 * place every batch inside the file, and each batch's metadata must be a flatbuffer record batch message; a body the
 * worker cannot read is its {@code MalformedRecordError} (docs/protocol.md section 8.2). Memory: the footer's list
 * of batches. Not thread-safe: one reader thread.
 */
public final class ArrowFileSplitter implements PartitionSource, AutoCloseable {
  /** The bytes of one frame. */
  public static final int FRAME_BYTES = 28;
  private static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
  private static final String DAMAGED = "; the file is damaged: write it again from its source";

  private final Path file;
  private final FileChannel channel;
  private final List<ArrowBlock> blocks;
  private final int batchRecords;
  private final long partitionBytes;
  private int nextBatch;
  private long nextRow = 1;
  private long consumed;
  private int nextIndex;

  private ArrowFileSplitter(Path file, FileChannel channel, List<ArrowBlock> blocks, int batchRecords,
      long partitionBytes) {
    this.file = file;
    this.channel = channel;
    this.blocks = blocks;
    this.batchRecords = batchRecords;
    this.partitionBytes = partitionBytes;
  }

  /**
   * Opens {@code file} and reads its footer; a file that is not an Arrow IPC file (too short, other magic bytes, an
   * Arrow IPC stream, a file cut short, a footer that cannot be read or that places a batch outside the file) is a
   * malformed input (exit code 3) whose message says what was found.
   *
   * @param batchRecords rows per frame (a batch is cut into frames of this many), or 0: one frame per batch
   */
  public static ArrowFileSplitter open(Path file, int batchRecords, long partitionBytes)
      throws IOException, RunFailure {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    try {
      List<ArrowBlock> blocks = readFooter(file, ch);
      return new ArrowFileSplitter(file, ch, blocks, batchRecords, partitionBytes);
    } catch (IOException | RunFailure | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** The record batches the file holds. */
  public int batches() {
    return blocks.size();
  }

  @Override
  public Partition next() throws IOException, RunFailure {
    ArrayDeque<byte[]> frames = new ArrayDeque<>();
    long firstRow = nextRow;
    long bytes = 0;
    while (nextBatch < blocks.size() && (frames.isEmpty() || bytes < partitionBytes)) {
      ArrowBlock b = blocks.get(nextBatch);
      long rows = rows(b);
      long step = batchRecords > 0 ? batchRecords : Math.max(rows, 1);
      for (long offset = 0; offset < rows; offset += step) {
        frames.add(frame(nextRow + offset, nextBatch, offset, Math.min(step, rows - offset)));
      }
      nextRow += rows;
      bytes += b.getMetadataLength() + b.getBodyLength();
      consumed += b.getMetadataLength() + b.getBodyLength();
      nextBatch++;
    }
    if (frames.isEmpty()) return null;
    return new Partition(nextIndex++, firstRow, Math.max(firstRow, nextRow - 1), nextRow - firstRow, bytes, frames,
        true);
  }

  @Override
  public long consumedBytes() {
    return consumed;
  }

  @Override
  public byte[] header() {
    return null;
  }

  /** Frames name rows, not bytes: the cap does not apply. */
  @Override
  public void capFrameBytes(long bytes) {}

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private static byte[] frame(long firstRow, int batch, long offset, long rows) {
    return ByteBuffer.allocate(FRAME_BYTES).putLong(firstRow).putInt(batch).putLong(offset).putLong(rows).array();
  }

  /**
   * The row count of a batch, from its metadata. The footer's checks put the metadata inside the file; metadata
   * that is not a flatbuffer Message makes the flatbuffer reader throw, which is a malformed input too.
   */
  private long rows(ArrowBlock b) throws IOException, RunFailure {
    String batch = "its record batch " + nextBatch + " (from row " + nextRow + ")";
    if (b.getMetadataLength() < 8 || b.getMetadataLength() > 64 << 20) {
      throw bad(batch + " has metadata of " + b.getMetadataLength() + " bytes" + DAMAGED);
    }
    ByteBuffer meta = read(channel, b.getOffset(), b.getMetadataLength());
    try {
      int skip = meta.getInt(0) == -1 ? 8 : 4; // a continuation marker, then the length (older files: the length)
      meta.position(skip);
      Message m = Message.getRootAsMessage(meta.slice().order(ByteOrder.LITTLE_ENDIAN));
      byte type = m.headerType();
      if (type != MessageHeader.RecordBatch) {
        String name = type >= 0 && type < MessageHeader.names.length ? MessageHeader.name(type) + " message"
            : "message of unknown type " + type;
        throw bad(batch + " is a " + name + ", not a record batch" + DAMAGED);
      }
      RecordBatch rb = (RecordBatch) m.header(new RecordBatch());
      if (rb == null || rb.length() < 0) throw bad(batch + " has no row count" + DAMAGED);
      return rb.length();
    } catch (RuntimeException e) {
      throw bad(batch + " has metadata that cannot be read (" + describe(e) + ")" + DAMAGED);
    }
  }

  private static List<ArrowBlock> readFooter(Path file, FileChannel ch) throws IOException, RunFailure {
    long size = ch.size();
    if (size < 2L * MAGIC.length + 4 + 2) {
      throw bad(file, "it is " + size + " bytes, too short for an Arrow IPC file");
    }
    ByteBuffer head = read(ch, 0, MAGIC.length);
    ByteBuffer tail = read(ch, size - 4 - MAGIC.length, 4 + MAGIC.length);
    if (startsWithMagic(head, 0) && !startsWithMagic(tail, 4)) {
      throw bad(file, "it starts with the bytes ARROW1 of the Arrow IPC file format but does not end with them, so"
          + " its footer (the list of its record batches) is missing: the file is cut short (a copy or a write that"
          + " did not finish); write it again from its source");
    }
    if (head.getInt(0) == -1) {
      throw bad(file, "it is an Arrow IPC stream (it starts with the stream's continuation marker), which has no"
          + " footer to find its record batches by; convert it to the IPC file format with pyarrow, e.g."
          + " pyarrow.feather.write_feather(pyarrow.ipc.open_stream(source).read_all(), path)");
    }
    if (!startsWithMagic(head, 0) || !startsWithMagic(tail, 4)) {
      throw bad(file, "it does not start and end with the bytes ARROW1 of the Arrow IPC file format (an Arrow IPC"
          + " stream, Feather version 1 or Parquet is not read; convert it with pyarrow, e.g."
          + " pyarrow.feather.write_feather(table, path))");
    }
    int footerLength = tail.getInt(0);
    if (footerLength <= 0 || footerLength > size - 2L * MAGIC.length - 6) {
      throw bad(file, "its footer length " + footerLength + " does not fit in its " + size + " bytes"
          + DAMAGED);
    }
    ByteBuffer footer = read(ch, size - 4 - MAGIC.length - footerLength, footerLength);
    List<ArrowBlock> blocks;
    try {
      blocks = new ArrowFooter(Footer.getRootAsFooter(footer)).getRecordBatches();
    } catch (RuntimeException e) {
      throw bad(file, "its footer cannot be read (" + describe(e) + ")" + DAMAGED);
    }
    checkBlocks(file, blocks, size - 4 - MAGIC.length - footerLength);
    return blocks;
  }

  /**
   * Every batch the footer lists lies between the leading magic bytes and the footer ({@code end}), so that reading
   * its metadata here and its body in the worker stays inside the file.
   */
  private static void checkBlocks(Path file, List<ArrowBlock> blocks, long end) throws RunFailure {
    for (int i = 0; i < blocks.size(); i++) {
      ArrowBlock b = blocks.get(i);
      long offset = b.getOffset();
      long meta = b.getMetadataLength();
      long body = b.getBodyLength();
      if (offset < MAGIC.length + 2 || meta <= 0 || body < 0 || offset > end || meta > end - offset
          || body > end - offset - meta) {
        throw bad(file, "its footer places record batch " + i + " at byte " + offset + " with " + meta
            + " bytes of metadata and " + body + " of body, outside bytes " + (MAGIC.length + 2) + "-" + end
            + " that hold the batches" + DAMAGED);
      }
    }
  }

  private static boolean startsWithMagic(ByteBuffer b, int at) {
    for (int i = 0; i < MAGIC.length; i++) {
      if (b.get(at + i) != MAGIC[i]) return false;
    }
    return true;
  }

  private static ByteBuffer read(FileChannel ch, long at, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, at + b.position()) < 0) throw new IOException("unexpected end of file at byte " + at);
    }
    return b.flip();
  }

  /** A one-line description of what a flatbuffer reader threw: its type and message. */
  private static String describe(RuntimeException e) {
    String message = e.getMessage() == null ? "" : ": " + e.getMessage().strip().replaceAll("\\s+", " ");
    return e.getClass().getSimpleName() + message;
  }

  private RunFailure bad(String what) {
    return bad(file, what);
  }

  private static RunFailure bad(Path file, String what) {
    return new RunFailure(ExitCode.BAD_INPUT, "--input " + file + " is not a valid Arrow IPC file: " + what);
  }
}
