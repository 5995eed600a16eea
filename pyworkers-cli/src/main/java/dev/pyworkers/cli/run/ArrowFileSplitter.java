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
 * bytes to the partition size. Memory: the footer's list of batches. Not thread-safe: one reader thread.
 */
public final class ArrowFileSplitter implements PartitionSource, AutoCloseable {
  /** The bytes of one frame. */
  public static final int FRAME_BYTES = 28;
  private static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

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
   * Opens {@code file} and reads its footer; a file that is not an Arrow IPC file (too short, other magic bytes, a
   * footer that cannot be read) is a malformed input (exit code 3) whose message says what was found.
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

  /** The row count of a batch, from its metadata. */
  private long rows(ArrowBlock b) throws IOException, RunFailure {
    if (b.getMetadataLength() < 8 || b.getMetadataLength() > 64 << 20) {
      throw bad("its record batch " + nextBatch + " has metadata of " + b.getMetadataLength() + " bytes");
    }
    ByteBuffer meta = read(channel, b.getOffset(), b.getMetadataLength());
    int skip = meta.getInt(0) == -1 ? 8 : 4; // a continuation marker, then the length (older files: the length)
    meta.position(skip);
    Message m = Message.getRootAsMessage(meta.slice().order(ByteOrder.LITTLE_ENDIAN));
    if (m.headerType() != MessageHeader.RecordBatch) {
      throw bad("its block " + nextBatch + " is a " + MessageHeader.name(m.headerType()) + " message, not a record"
          + " batch");
    }
    RecordBatch rb = (RecordBatch) m.header(new RecordBatch());
    if (rb == null || rb.length() < 0) throw bad("its record batch " + nextBatch + " has no row count");
    return rb.length();
  }

  private static List<ArrowBlock> readFooter(Path file, FileChannel ch) throws IOException, RunFailure {
    long size = ch.size();
    if (size < 2L * MAGIC.length + 4 + 2) {
      throw bad(file, "it is " + size + " bytes, too short for an Arrow IPC file");
    }
    ByteBuffer head = read(ch, 0, MAGIC.length);
    ByteBuffer tail = read(ch, size - 4 - MAGIC.length, 4 + MAGIC.length);
    if (!startsWithMagic(head, 0) || !startsWithMagic(tail, 4)) {
      throw bad(file, "it does not start and end with the bytes ARROW1 of the Arrow IPC file format (an Arrow IPC"
          + " stream, Feather version 1 or Parquet is not read; convert it with pyarrow, e.g."
          + " pyarrow.feather.write_feather(table, path))");
    }
    int footerLength = tail.getInt(0);
    if (footerLength <= 0 || footerLength > size - 2L * MAGIC.length - 6) {
      throw bad(file, "its footer length " + footerLength + " does not fit in its " + size + " bytes");
    }
    ByteBuffer footer = read(ch, size - 4 - MAGIC.length - footerLength, footerLength);
    try {
      return new ArrowFooter(Footer.getRootAsFooter(footer)).getRecordBatches();
    } catch (RuntimeException e) {
      throw bad(file, "its footer cannot be read (" + e + ")");
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

  private RunFailure bad(String what) {
    return bad(file, what);
  }

  private static RunFailure bad(Path file, String what) {
    return new RunFailure(ExitCode.BAD_INPUT, "--input " + file + " is not a valid Arrow IPC file: " + what);
  }
}
