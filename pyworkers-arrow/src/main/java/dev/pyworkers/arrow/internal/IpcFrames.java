package dev.pyworkers.arrow.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import dev.pyworkers.spi.TaskInfo;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Arrow side of a frame (docs/protocol.md section 7.2): each data frame is one encapsulated Arrow IPC message
 * ({@code 0xFFFFFFFF}, {@code int32} metadata length, flatbuffer, padding to 8, body), as
 * {@link MessageSerializer#serialize} writes it, uncompressed. Stateless.
 *
 * <p>Both directions copy each buffer once: the channels here move bytes straight between the frame's array and
 * Arrow's buffers. ({@code Channels.newChannel} over a byte stream would copy twice, through an 8 KiB array of its
 * own, which cost a batch of 10,000 int64 values about a tenth of its time on the JVM side.)
 */
public final class IpcFrames {
  /** The first four bytes of every encapsulated IPC message; a frame that starts otherwise is a control frame. */
  public static final int CONTINUATION = 0xFFFFFFFF;

  private IpcFrames() {}

  /** A schema message. */
  public static byte[] schemaMessage(Schema schema) {
    Sink sink = new Sink(256);
    writeSchema(schema, sink);
    return sink.toByteArray();
  }

  static void writeSchema(Schema schema, Sink sink) {
    try {
      MessageSerializer.serialize(new WriteChannel(sink), schema);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
  }

  /** A record batch message of {@code root} as it is: its buffers, not its rows, are written. */
  static void writeBatch(VectorSchemaRoot root, Sink sink) throws IOException {
    try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
      MessageSerializer.serialize(new WriteChannel(sink), batch);
    }
  }

  /** Whether {@code frame} starts with the continuation marker. */
  static boolean isMessage(byte[] frame) {
    return frame.length >= 8 && (frame[0] & frame[1] & frame[2] & frame[3]) == (byte) 0xFF;
  }

  static Schema readSchema(byte[] frame) throws IOException {
    return MessageSerializer.deserializeSchema(channel(frame));
  }

  /**
   * The result schema message a worker sends before its first result batch. A frame that does not hold one (a
   * record batch in its place, or metadata Arrow cannot parse) is a protocol error of the worker, named with what
   * Arrow found, never a bare exception of the reader or a crash report.
   */
  static Schema resultSchema(byte[] frame, TaskInfo task, String evalName) {
    try {
      return readSchema(frame);
    } catch (IOException | RuntimeException e) {
      throw task.protocolError("the first output frame (" + frame.length + " bytes) of a " + evalName + " task is"
          + " not a valid Arrow IPC schema message, which the result schema must be: " + e);
    }
  }

  /** The batch's body in one buffer of {@code allocator} (the frame's one copy into Arrow memory). */
  static ArrowRecordBatch readBatch(byte[] frame, BufferAllocator allocator) throws IOException {
    ArrowRecordBatch batch = MessageSerializer.deserializeRecordBatch(channel(frame), allocator);
    if (batch == null) throw new IOException("the frame of " + frame.length + " bytes holds no record batch message");
    return batch;
  }

  private static ReadChannel channel(byte[] frame) {
    return new ReadChannel(new FrameChannel(frame));
  }

  /** Reads a frame's bytes into the buffers Arrow asks for, in one copy each. Not thread-safe. */
  private static final class FrameChannel implements ReadableByteChannel {
    private final byte[] frame;
    private int position;

    FrameChannel(byte[] frame) {
      this.frame = frame;
    }

    @Override
    public int read(ByteBuffer dst) {
      int left = frame.length - position;
      if (left == 0) return -1;
      int n = Math.min(left, dst.remaining());
      dst.put(frame, position, n);
      position += n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  /**
   * A growable byte sink whose bytes are written as a frame without a further copy, and a channel that Arrow's
   * buffers are written into in one copy each. Not thread-safe.
   */
  static final class Sink extends ByteArrayOutputStream implements WritableByteChannel {
    Sink(int size) {
      super(size);
    }

    byte[] buffer() {
      return buf;
    }

    @Override
    public int write(ByteBuffer src) {
      int n = src.remaining();
      if (n > buf.length - count) {
        long want = Math.max((long) count + n, 2L * buf.length);
        buf = Arrays.copyOf(buf, (int) Math.min(want, Integer.MAX_VALUE - 8));
        if (n > buf.length - count) throw new IllegalStateException("a frame of more than 2 GiB");
      }
      src.get(buf, count, n);
      count += n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }
  }
}
