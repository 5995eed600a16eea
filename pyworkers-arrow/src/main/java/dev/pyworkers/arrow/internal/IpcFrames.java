package dev.pyworkers.arrow.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
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
      MessageSerializer.serialize(new WriteChannel(Channels.newChannel(sink)), schema);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
  }

  /** A record batch message of {@code root} as it is: its buffers, not its rows, are written. */
  static void writeBatch(VectorSchemaRoot root, Sink sink) throws IOException {
    try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
      MessageSerializer.serialize(new WriteChannel(Channels.newChannel(sink)), batch);
    }
  }

  /** Whether {@code frame} starts with the continuation marker. */
  static boolean isMessage(byte[] frame) {
    return frame.length >= 8 && (frame[0] & frame[1] & frame[2] & frame[3]) == (byte) 0xFF;
  }

  static Schema readSchema(byte[] frame) throws IOException {
    return MessageSerializer.deserializeSchema(channel(frame));
  }

  /** The batch's body in one buffer of {@code allocator} (the frame's one copy into Arrow memory). */
  static ArrowRecordBatch readBatch(byte[] frame, BufferAllocator allocator) throws IOException {
    ArrowRecordBatch batch = MessageSerializer.deserializeRecordBatch(channel(frame), allocator);
    if (batch == null) throw new IOException("the frame of " + frame.length + " bytes holds no record batch message");
    return batch;
  }

  private static ReadChannel channel(byte[] frame) {
    return new ReadChannel(Channels.newChannel(new ByteArrayInputStream(frame)));
  }

  /** A growable byte sink whose bytes are written as a frame without a further copy. Not thread-safe. */
  static final class Sink extends ByteArrayOutputStream {
    Sink(int size) {
      super(size);
    }

    byte[] buffer() {
      return buf;
    }
  }
}
