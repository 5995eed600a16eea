package dev.pyworkers.cli.run;

import com.google.flatbuffers.FlatBufferBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes {@code --pandas} Arrow output as an Arrow IPC file (docs/protocol.md section 8.4): the workers send, per
 * result, its schema message and its record batch messages, already serialized by pyarrow; this copies the batches
 * through unchanged (their bodies are streamed, never held whole), notes where each lies, and at the end writes the
 * end-of-stream marker and the footer that lists them. Every batch of a file has one schema: the first result with
 * rows fixes it, and a later result whose schema differs fails the run with both types and the partition's input
 * lines (with {@code --schema} the workers cast every result to it, so none differs). A result without rows writes
 * nothing and fixes nothing; a file of no rows at all gets the schema of the last result seen, or none. Memory: one
 * message's metadata (a few KiB) and the list of batch positions. Not thread-safe: the pipeline's writing thread.
 */
public final class ArrowFileSink implements OutputSink {
  private static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
  private static final int CONTINUATION = 0xFFFFFFFF;
  /** No message of a result has metadata this large; a larger length means the stream is out of step. */
  private static final int MAX_METADATA = 64 << 20;

  private final AtomicOutput out;
  private final List<ArrowBlock> batches = new ArrayList<>();
  private final byte[] prefix = new byte[8];
  private int prefixFilled;
  private byte[] metadata;
  private int metadataFilled;
  private long bodyLeft;
  private long position;
  private Partition current;
  /** The schema message of the current result; the file's, and the partition that fixed it. */
  private byte[] resultSchema;
  private byte[] fileSchema;
  private Partition fixedBy;

  public ArrowFileSink(AtomicOutput out) {
    this.out = out;
  }

  @Override
  public void begin(Partition p) {
    if (prefixFilled != 0 || metadata != null || bodyLeft != 0) {
      throw new IllegalStateException("partition " + current.index() + " ended in the middle of an Arrow message");
    }
    current = p;
    resultSchema = null;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException, RunFailure {
    int end = off + len;
    while (off < end) {
      if (bodyLeft > 0) {
        int n = (int) Math.min(bodyLeft, end - off);
        emit(b, off, n);
        bodyLeft -= n;
        off += n;
      } else if (metadata == null) {
        int n = Math.min(prefix.length - prefixFilled, end - off);
        System.arraycopy(b, off, prefix, prefixFilled, n);
        prefixFilled += n;
        off += n;
        if (prefixFilled == prefix.length) startMessage();
      } else {
        int n = Math.min(metadata.length - metadataFilled, end - off);
        System.arraycopy(b, off, metadata, metadataFilled, n);
        metadataFilled += n;
        off += n;
        if (metadataFilled == metadata.length) endMetadata();
      }
    }
  }

  @Override
  public void finish() throws IOException {
    if (fileSchema == null) {
      byte[] schema = resultSchema != null ? resultSchema : emptySchema();
      start(schema);
    }
    emit(intLe(CONTINUATION), 0, 4);
    emit(new byte[4], 0, 4); // end of stream: a message of 0 bytes
    ArrowFooter footer = new ArrowFooter(schemaOf(fileSchema), List.of(), batches);
    FlatBufferBuilder builder = new FlatBufferBuilder();
    builder.finish(footer.writeTo(builder));
    ByteBuffer fb = builder.dataBuffer();
    byte[] bytes = new byte[fb.remaining()];
    fb.get(bytes);
    emit(bytes, 0, bytes.length);
    emit(intLe(bytes.length), 0, 4);
    emit(MAGIC, 0, MAGIC.length);
  }

  private void startMessage() throws RunFailure {
    ByteBuffer p = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
    int continuation = p.getInt();
    int length = p.getInt();
    if (continuation != CONTINUATION || length <= 0 || length > MAX_METADATA || (length & 7) != 0) {
      throw internal("the output of partition " + current.index() + " is not a stream of Arrow IPC messages (a"
          + " message starts with " + Arrays.toString(prefix) + ")");
    }
    metadata = new byte[length];
    metadataFilled = 0;
  }

  private void endMetadata() throws IOException, RunFailure {
    Message m = Message.getRootAsMessage(ByteBuffer.wrap(metadata).order(ByteOrder.LITTLE_ENDIAN));
    byte[] message = new byte[prefix.length + metadata.length];
    System.arraycopy(prefix, 0, message, 0, prefix.length);
    System.arraycopy(metadata, 0, message, prefix.length, metadata.length);
    prefixFilled = 0;
    metadata = null;
    switch (m.headerType()) {
      case MessageHeader.Schema -> resultSchema = message;
      case MessageHeader.RecordBatch -> {
        if (resultSchema == null) throw internal("partition " + current.index() + " sent a batch before its schema");
        if (fileSchema == null) {
          start(resultSchema);
          fixedBy = current;
        } else if (!Arrays.equals(resultSchema, fileSchema)) {
          checkSameSchema();
        }
        batches.add(new ArrowBlock(position, message.length, m.bodyLength()));
        emit(message, 0, message.length);
        bodyLeft = m.bodyLength();
        if ((bodyLeft & 7) != 0) throw internal("partition " + current.index() + " sent an unpadded batch body");
      }
      default -> throw internal("partition " + current.index() + " sent an Arrow message of type "
          + MessageHeader.name(m.headerType()) + "; results carry a schema and record batches only");
    }
  }

  /** The magic, its padding and the file's schema message. */
  private void start(byte[] schemaMessage) throws IOException {
    fileSchema = schemaMessage;
    emit(MAGIC, 0, MAGIC.length);
    emit(new byte[2], 0, 2);
    emit(schemaMessage, 0, schemaMessage.length);
  }

  /** Fails the run unless the current result's schema equals the file's (byte-different messages may still be). */
  private void checkSameSchema() throws RunFailure {
    Schema file = schemaOf(fileSchema);
    Schema result = schemaOf(resultSchema);
    if (file.getFields().equals(result.getFields())) return;
    String what = difference(file, result);
    throw new RunFailure(ExitCode.UDF_ERROR, "the result for partition " + current.index() + " (input "
        + current.lines() + ") does not fit OUT's Arrow schema: " + what + ". OUT's schema is " + describe(file)
        + ", fixed by the first result with rows (partition " + fixedBy.index() + ", input " + fixedBy.lines()
        + "); this result's is " + describe(result) + ". Every record batch of an Arrow file has one schema: give"
        + " --schema (e.g. --schema " + schemaOption(file) + ") so that every result is cast to it, or make FUNC"
        + " return the same columns and types for every DataFrame");
  }

  private static String difference(Schema file, Schema result) {
    List<Field> a = file.getFields();
    List<Field> b = result.getFields();
    for (Field f : a) {
      Field g = find(b, f.getName());
      if (g == null) return "column '" + f.getName() + "' is missing";
      if (!f.getType().equals(g.getType())) {
        return "column '" + f.getName() + "' is " + g.getType() + " instead of " + f.getType();
      }
      if (!f.equals(g)) return "column '" + f.getName() + "' is " + g + " instead of " + f;
    }
    for (Field g : b) {
      if (find(a, g.getName()) == null) return "column '" + g.getName() + "' (" + g.getType() + ") is extra";
    }
    return "its columns come in another order";
  }

  private static Field find(List<Field> fields, String name) {
    for (Field f : fields) {
      if (f.getName().equals(name)) return f;
    }
    return null;
  }

  private static String describe(Schema s) {
    List<String> parts = new ArrayList<>();
    for (Field f : s.getFields()) parts.add(f.getName() + ": " + f.getType());
    return "(" + String.join(", ", parts) + ")";
  }

  /** A --schema value for the simple types of {@code s} (others are shown as Arrow prints them). */
  private static String schemaOption(Schema s) {
    List<String> parts = new ArrayList<>();
    for (Field f : s.getFields()) parts.add(f.getName() + ":" + alias(f.getType()));
    return String.join(",", parts);
  }

  /** pyarrow's name of {@code t} for --schema, where it has one; else Arrow Java's description. */
  static String alias(ArrowType t) {
    if (t instanceof ArrowType.Int i) return (i.getIsSigned() ? "int" : "uint") + i.getBitWidth();
    if (t instanceof ArrowType.FloatingPoint f) {
      return switch (f.getPrecision()) {
        case HALF -> "float16";
        case SINGLE -> "float32";
        case DOUBLE -> "float64";
      };
    }
    if (t instanceof ArrowType.Utf8) return "string";
    if (t instanceof ArrowType.LargeUtf8) return "large_string";
    if (t instanceof ArrowType.Bool) return "bool";
    if (t instanceof ArrowType.Binary) return "binary";
    if (t instanceof ArrowType.Date d) return d.getUnit() == DateUnit.DAY ? "date32" : "date64";
    if (t instanceof ArrowType.Timestamp ts && ts.getTimezone() == null) return "timestamp[" + unit(ts.getUnit()) + "]";
    if (t instanceof ArrowType.Duration d) return "duration[" + unit(d.getUnit()) + "]";
    if (t instanceof ArrowType.Null) return "null";
    return t.toString();
  }

  private static String unit(TimeUnit u) {
    return switch (u) {
      case SECOND -> "s";
      case MILLISECOND -> "ms";
      case MICROSECOND -> "us";
      case NANOSECOND -> "ns";
    };
  }

  private static Schema schemaOf(byte[] message) {
    ByteBuffer bb = ByteBuffer.wrap(message, 8, message.length - 8).slice().order(ByteOrder.LITTLE_ENDIAN);
    return MessageSerializer.deserializeSchema(Message.getRootAsMessage(bb));
  }

  private static byte[] emptySchema() {
    ByteBuffer fb = MessageSerializer.serializeMetadata(new Schema(List.of()));
    int length = (fb.remaining() + 7) & ~7;
    byte[] message = new byte[8 + length];
    ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN).putInt(CONTINUATION).putInt(length).put(fb);
    return message;
  }

  private void emit(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    position += len;
  }

  private static byte[] intLe(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  private static RunFailure internal(String message) {
    return new RunFailure(ExitCode.FAILURE, "internal error: " + message + "; this is a defect of pyworkers: please"
        + " report it with the output of --verbose");
  }
}
