package dev.pyworkers.arrow.internal;

import dev.pyworkers.arrow.SharedMemory;
import dev.pyworkers.spi.PrivateFolders;
import dev.pyworkers.spi.TaskInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;

/**
 * One task's shared-memory folder (docs/protocol.md section 7.10): made on the first batch by the writer thread, a
 * private folder of {@link SharedMemory#folder()}; input batches at least the threshold are written into new files
 * there (mode 0600, never through a link) straight from the vectors' buffers with one gathering write, and result
 * files the worker names are read in one copy into the task's allocator. The reader of a file deletes it once it has
 * opened it; {@link #close} deletes the folder with whatever is left. Writes are confined to the writer thread, reads
 * to the reader thread; the folder is published through a volatile field, and {@link #close} may run on any thread.
 */
final class SharedMemoryBatches implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(SharedMemoryBatches.class.getName());
  static final String PREFIX = "pyworkers-arrow-";
  /** Free space a folder must keep beyond a batch before the batch is written into it. */
  static final long SPACE_MARGIN = 8L * 1024 * 1024;
  private static final int MAX_METADATA = 16 * 1024 * 1024;
  private static final Set<StandardOpenOption> CREATE = Set.of(StandardOpenOption.CREATE_NEW,
      StandardOpenOption.WRITE);

  private final SharedMemory settings;
  private final String evalName;
  private final TaskInfo task;
  /** Set once by the writer thread. */
  private volatile Path folder;
  /** Once true, always true. */
  private volatile boolean closed;

  // writer thread
  private FileStore store;
  private long written;
  private boolean fellBack;

  SharedMemoryBatches(SharedMemory settings, String evalName, TaskInfo task) {
    this.settings = settings;
    this.evalName = evalName;
    this.task = task;
  }

  /**
   * Writer thread, before the task's first frame: makes the task's folder and returns its SHM_FOLDER frame, or null
   * (shared memory is off, or the folder cannot be made: then every batch of the task goes over the socket).
   */
  byte[] open() {
    if (!settings.enabled()) return null;
    Path parent = settings.folder();
    Path made;
    if (!Files.isDirectory(parent)) {
      LOG.log(System.Logger.Level.INFO, "the " + evalName + " task of partition " + task.partition() + " sends its"
          + " batches over the socket: the shared-memory folder " + parent + " is not a folder");
      return null;
    }
    try {
      PrivateFolders.removeLeftoversOnce(parent, PREFIX);
      made = PrivateFolders.create(parent, PREFIX);
      store = Files.getFileStore(made);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.INFO, "the " + evalName + " task of partition " + task.partition() + " sends its"
          + " batches over the socket: no private folder in " + parent + " (" + e.getMessage() + ")");
      return null;
    }
    folder = made;
    if (closed) deleteQuietly(made);
    return SharedMemoryFrame.folder(settings.threshold(), made.toString());
  }

  /**
   * Writer thread: {@code root} as a new file of the task's folder, returning its SHM_BATCH frame; null if it is below
   * the threshold or the folder has no room or fails (then it goes over the socket).
   */
  byte[] write(VectorSchemaRoot root) throws IOException {
    Path dir = folder;
    if (dir == null) return null;
    try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
      Gather gather = new Gather();
      MessageSerializer.serialize(new WriteChannel(gather), batch);
      if (gather.size < settings.threshold() || gather.size > Integer.MAX_VALUE) return null;
      long free = store.getUsableSpace();
      if (free < gather.size + SPACE_MARGIN) {
        fallBack(free + " bytes free, below the batch's " + gather.size + " bytes and a margin of " + SPACE_MARGIN);
        return null;
      }
      String name = "in-" + written;
      Path file = dir.resolve(name);
      try (FileChannel ch = FileChannel.open(file, CREATE,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        ByteBuffer[] parts = gather.parts.toArray(new ByteBuffer[0]);
        long left = gather.size;
        while (left > 0) left -= ch.write(parts);
      } catch (IOException e) {
        deleteFileQuietly(file);
        fallBack(e.toString());
        return null;
      }
      written++;
      return SharedMemoryFrame.batch(0, gather.size, name);
    }
  }

  /** Reader thread: the record batch an SHM_BATCH frame of the worker names, its body in {@code allocator}. */
  ArrowRecordBatch read(byte[] frame, BufferAllocator allocator) throws IOException {
    SharedMemoryFrame.Batch b;
    try {
      b = SharedMemoryFrame.parseBatch(frame);
    } catch (IllegalStateException e) {
      throw task.protocolError(e.getMessage() + " (" + evalName + ")");
    }
    Path dir = folder;
    if (dir == null) {
      throw task.protocolError("an SHM_BATCH frame of a " + evalName + " task arrived, but the task has no"
          + " shared-memory folder");
    }
    Path file = dir.resolve(b.name());
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      Files.delete(file);
      long size = ch.size();
      if (b.offset() + b.length() > size) {
        throw task.protocolError("the SHM_BATCH frame of a " + evalName + " task names " + b.length() + " bytes at "
            + b.offset() + " of " + file + ", which has " + size);
      }
      ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, prefix, b.offset());
      int metadata = prefix.getInt(4);
      if (prefix.getInt(0) != IpcFrames.CONTINUATION || metadata <= 0 || metadata > MAX_METADATA
          || 8L + metadata > b.length()) {
        throw task.protocolError("the shared-memory file " + file + " of a " + evalName + " task does not hold an"
            + " Arrow IPC message at offset " + b.offset() + " (it starts " + Integer.toHexString(prefix.getInt(0))
            + ", metadata length " + metadata + ")");
      }
      ByteBuffer meta = ByteBuffer.allocate(metadata);
      readFully(ch, meta, b.offset() + 8);
      meta.flip();
      Message message = Message.getRootAsMessage(meta);
      long body = message.bodyLength();
      if (message.headerType() != MessageHeader.RecordBatch || 8L + metadata + body != b.length()) {
        throw task.protocolError("the shared-memory file " + file + " of a " + evalName + " task holds a message of"
            + " type " + MessageHeader.name(message.headerType()) + " and " + (8L + metadata + body) + " bytes, not"
            + " a record batch of the " + b.length() + " bytes its frame says");
      }
      ArrowBuf buffer = allocator.buffer(body);
      try {
        readFully(ch, buffer.nioBuffer(0, (int) body), b.offset() + 8 + metadata);
      } catch (IOException | RuntimeException e) {
        buffer.close();
        throw e;
      }
      // the batch's buffers are slices of it; this releases the buffer's own reference
      return MessageSerializer.deserializeRecordBatch((RecordBatch) message.header(new RecordBatch()), buffer);
    } catch (NoSuchFileException e) {
      throw task.protocolError("the SHM_BATCH frame of a " + evalName + " task names " + file + ", which does not"
          + " exist");
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer into, long position) throws IOException {
    long at = position;
    while (into.hasRemaining()) {
      int n = ch.read(into, at);
      if (n < 0) throw new IOException("the shared-memory file ends at " + at + ", before its message does");
      at += n;
    }
  }

  private void fallBack(String why) {
    if (fellBack) return;
    fellBack = true;
    LOG.log(System.Logger.Level.INFO, "the " + evalName + " task of partition " + task.partition() + " sends large"
        + " batches over the socket from now on, not through " + folder + ": " + why);
  }

  /** Deletes the folder and whatever is in it; any thread, more than once is harmless. Never throws. */
  @Override
  public void close() {
    closed = true;
    Path dir = folder;
    if (dir != null) deleteQuietly(dir);
  }

  private void deleteQuietly(Path dir) {
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        PrivateFolders.delete(dir);
        return;
      } catch (IOException e) {
        if (attempt == 2) {
          LOG.log(System.Logger.Level.WARNING, "cannot delete the shared-memory folder " + dir + " of a " + evalName
              + " task: " + e);
        }
      }
    }
  }

  private static void deleteFileQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // the folder goes when the task closes
    }
  }

  /**
   * A channel that keeps what is written instead of copying it: direct buffers (the vectors' own memory) by
   * reference, small heap buffers (metadata, lengths, padding, which the writer may reuse) as copies. Not
   * thread-safe.
   */
  private static final class Gather implements WritableByteChannel {
    final List<ByteBuffer> parts = new ArrayList<>();
    long size;

    @Override
    public int write(ByteBuffer src) {
      int n = src.remaining();
      if (src.isDirect()) {
        parts.add(src.slice());
        src.position(src.limit());
      } else {
        byte[] copy = new byte[n];
        src.get(copy);
        parts.add(ByteBuffer.wrap(copy));
      }
      size += n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }
}
