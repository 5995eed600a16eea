package dev.pyworkers.arrow.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * The frame channels write the same bytes as Arrow's own stream channel, grow the sink past its first size, and read
 * every value back, with nulls, from frames both smaller and far larger than the sink's first size.
 */
class IpcFramesTest {
  private static final Schema SCHEMA = new Schema(List.of(Field.nullable("n", new ArrowType.Int(64, true)),
      Field.nullable("s", ArrowType.Utf8.INSTANCE)));

  @Test
  void batchesOfEverySize_areTheBytesArrowWrites_andReadBackWhole() throws Exception {
    for (int rows : new int[] {0, 1, 3, 1000, 300_000}) {
      try (BufferAllocator allocator = new RootAllocator();
          VectorSchemaRoot root = filled(allocator, rows)) {
        IpcFrames.Sink sink = new IpcFrames.Sink(16);
        IpcFrames.writeBatch(root, sink);
        byte[] frame = Arrays.copyOf(sink.buffer(), sink.size());
        assertThat(frame).as("%d rows", rows).isEqualTo(arrowsOwnBytes(root));
        assertThat(IpcFrames.isMessage(frame)).isTrue();
        try (ArrowRecordBatch batch = IpcFrames.readBatch(frame, allocator);
            VectorSchemaRoot back = VectorSchemaRoot.create(SCHEMA, allocator)) {
          new VectorLoader(back).load(batch);
          assertThat(back.getRowCount()).isEqualTo(rows);
          assertThat(back.contentToTSVString()).isEqualTo(root.contentToTSVString());
        }
      }
    }
  }

  @Test
  void aSchemaMessage_readsBackAsTheSameSchema() throws Exception {
    assertThat(IpcFrames.readSchema(IpcFrames.schemaMessage(SCHEMA))).isEqualTo(SCHEMA);
  }

  private static VectorSchemaRoot filled(BufferAllocator allocator, int rows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
    BigIntVector n = (BigIntVector) root.getVector(0);
    VarCharVector s = (VarCharVector) root.getVector(1);
    n.allocateNew(rows);
    s.allocateNew(rows);
    for (int i = 0; i < rows; i++) {
      if (i % 7 == 3) {
        n.setNull(i);
        s.setNull(i);
      } else {
        n.set(i, i * 31L - 5);
        s.setSafe(i, ("v" + i).getBytes(StandardCharsets.UTF_8));
      }
    }
    root.setRowCount(rows);
    return root;
  }

  private static byte[] arrowsOwnBytes(VectorSchemaRoot root) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
      MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), batch);
    }
    return out.toByteArray();
  }
}
