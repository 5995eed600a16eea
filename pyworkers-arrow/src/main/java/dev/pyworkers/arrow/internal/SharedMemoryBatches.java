package dev.pyworkers.arrow.internal;

import dev.pyworkers.arrow.SharedMemory;
import dev.pyworkers.spi.PrivateFolders;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskInput;
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
import java.util.concurrent.atomic.AtomicReferenceArray;
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
 * private folder of {@link SharedMemory#folder()}. Input batch i at least the threshold is written into the slot file
 * {@code in-<i % SLOTS>} (mode 0600, made new, never through a link, then rewritten in place so that its pages are
 * allocated once) straight from the vectors' buffers with one gathering write, and result files the worker names are
 * read in one copy into the task's allocator. While the folder is in use the writer sends input batch i only once
 * result batch {@code i - SLOTS} has been read, so that neither side rewrites a slot the other has not read; {@link
 * #close} deletes the folder and its files. Writes are confined to the writer thread and reads to the reader thread;
 * the folder is published through a volatile field, the answered count is guarded by {@code lock}, and {@link #close}
 * may run on any thread.
 */
final class SharedMemoryBatches implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(SharedMemoryBatches.class.getName());
  static final String PREFIX = "pyworkers-arrow-";
  /** Free space a folder must keep beyond a batch before the batch is written into it. */
  static final long SPACE_MARGIN = 8L * 1024 * 1024;
  private static final int MAX_METADATA = 16 * 1024 * 1024;
  /** Slot files per direction, and so the most input batches unanswered while the folder is in use. */
  static final int SLOTS = 4;
  /** How often a writer waiting for an answer looks whether core wants it to stop. */
  private static final long STOP_CHECK_MILLIS = 50;
  private static final Set<StandardOpenOption> CREATE = Set.of(StandardOpenOption.CREATE_NEW,
      StandardOpenOption.WRITE);

  private final SharedMemory settings;
  private final String evalName;
  private final TaskInfo task;
  /** Set once by the writer thread. */
  private volatile Path folder;
  /** Once true, always true. */
  private volatile boolean closed;

  private final Object lock = new Object();
  /** Result batches read so far. */
  private long answered; // guarded by lock
  /** The writer's open slot files, closed by {@link #close}. */
  private final AtomicReferenceArray<FileChannel> slots = new AtomicReferenceArray<>(SLOTS);

  // writer thread
  private FileStore store;
  private long sent;
  private final long[] slotSizes = new long[SLOTS];
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
   * Writer thread, before each input batch: while the folder is in use, waits until result batch {@code sent -
   * SLOTS} has been read. Returns false if core wants no more input (or the thread was interrupted) meanwhile.
   */
  boolean awaitSlot(TaskInput in) throws IOException {
    if (folder == null) return true;
    synchronized (lock) {
      if (answered >= sent - SLOTS + 1) return !closed;
    }
    in.flush(); // the worker answers only what it has; never I/O under the lock
    synchronized (lock) {
      while (answered < sent - SLOTS + 1 && !closed) {
        if (in.stopRequested()) return false;
        try {
          lock.wait(STOP_CHECK_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return !closed;
  }

  /** Reader thread: one more result batch has been read (through a file or the socket). */
  void answered() {
    synchronized (lock) {
      answered++;
      lock.notifyAll();
    }
  }

  /**
   * Writer thread: {@code root} into its slot file, returning its SHM_BATCH frame; null if it is below the threshold
   * or the folder has no room or fails (then it goes over the socket). Counts the batch either way.
   */
  byte[] write(VectorSchemaRoot root) throws IOException {
    Path dir = folder;
    if (dir == null) return null;
    int slot = (int) (sent++ % SLOTS);
    try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
      Gather gather = new Gather();
      MessageSerializer.serialize(new WriteChannel(gather), batch);
      if (gather.size < settings.threshold() || gather.size > Integer.MAX_VALUE) return null;
      long grows = Math.max(0, gather.size - slotSizes[slot]);
      long free = store.getUsableSpace();
      if (free < grows + SPACE_MARGIN) {
        fallBack(free + " bytes free, below the batch's " + gather.size + " bytes and a margin of " + SPACE_MARGIN);
        return null;
      }
      String name = "in-" + slot;
      try {
        FileChannel ch = slots.get(slot);
        if (ch == null) {
          ch = FileChannel.open(dir.resolve(name), CREATE,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
          slots.set(slot, ch);
          if (closed) ch.close();
        }
        ch.position(0);
        ByteBuffer[] parts = gather.parts.toArray(new ByteBuffer[0]);
        long left = gather.size;
        while (left > 0) left -= ch.write(parts);
      } catch (IOException e) {
        fallBack(e.toString());
        return null;
      }
      slotSizes[slot] = Math.max(slotSizes[slot], gather.size);
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
    synchronized (lock) {
      lock.notifyAll();
    }
    for (int i = 0; i < SLOTS; i++) {
      FileChannel ch = slots.get(i);
      try {
        if (ch != null) ch.close();
      } catch (IOException e) {
        // the folder is deleted below all the same
      }
    }
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
