package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.testing.TestPython;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * The golden bytes of a SQL_SCALAR_PANDAS_UDF task with the session time zone Europe/Berlin (docs/protocol.md section
 * 7.3.1), read by these tests and by python/tests/test_arrow_session_zone.py. The key travels in the task header's
 * conf (section 5.1), so the command and the data section are those of any scalar task: this class writes them
 * ({@code -Dpyworkers.arrow.writeGolden=true} rewrites them, for a deliberate change only), and
 * python/tests/make_golden_arrow.py writes the worker's result frames with the real handler and the zone set. Here
 * those frames decode to the values Java's own zone rules give. Starts no process.
 */
class SessionZoneGoldenTest {
  static final String ZONE = "Europe/Berlin";
  static final String SOURCE = """
      import pandas as pd

      def wall(s):
          return s.astype(str)

      def next_day(s):
          return s + pd.Timedelta(days=1)
      """;
  static final ArrowType.Timestamp UTC_US = new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
  /** 00:30 UTC on Berlin's spring-forward and fall-back days (01:30 CET, 02:30 CEST), and a null. */
  static final Instant[] INSTANTS =
      {Instant.parse("2024-03-31T00:30:00Z"), null, Instant.parse("2024-10-27T00:30:00Z")};

  static ScalarArrowCodec codec(BufferAllocator allocator) {
    return ScalarArrowCodec.pandas(allocator, List.of(
        ArrowUdf.of(TestPython.source(SOURCE, "wall"), ArrowType.Utf8.INSTANCE, 0),
        ArrowUdf.of(TestPython.source(SOURCE, "next_day"), UTC_US, 0)))
        // the golden data section is 7.2's, over the socket; 7.10's frames have golden files of their own
        .withSharedMemory(SharedMemory.off());
  }

  static List<VectorSchemaRoot> input(BufferAllocator allocator) {
    VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(List.of(Field.nullable("t", UTC_US))), allocator);
    root.allocateNew();
    TimeStampMicroTZVector t = (TimeStampMicroTZVector) root.getVector(0);
    for (int r = 0; r < INSTANTS.length; r++) {
      if (INSTANTS[r] == null) t.setNull(r);
      else t.setSafe(r, ChronoUnit.MICROS.between(Instant.EPOCH, INSTANTS[r]));
    }
    root.setRowCount(INSTANTS.length);
    return List.of(root);
  }

  @Test
  void commandAndDataSection_areTheGoldenBytes() throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      ScalarArrowCodec codec = codec(allocator);
      ArrowGoldenTest.checked("session_zone_command.bin", ArrowGoldenTest.command(codec));
      List<VectorSchemaRoot> input = input(allocator);
      TaskExchange exchange = codec.newExchange(ArrowGoldenTest.INFO);
      ArrowGoldenTest.checked("session_zone_input.bin", ArrowGoldenTest.dataSection(exchange, input));
      exchange.close();
      ArrowData.closeAll(input);
    }
  }

  @Test
  void workersGoldenFrames_holdTheWallClockTimes_andTheNextDayLocalizedInBerlin_asJavasZoneRulesGiveThem()
      throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      ScalarArrowCodec codec = codec(allocator);
      List<VectorSchemaRoot> input = input(allocator);
      TaskExchange exchange = codec.newExchange(ArrowGoldenTest.INFO);
      ArrowGoldenTest.dataSection(exchange, input);
      ArrowGoldenTest.FakeOutput out = new ArrowGoldenTest.FakeOutput();
      try (DataInputStream in = new DataInputStream(
          Files.newInputStream(ArrowGoldenTest.DIR.resolve("session_zone_output.bin")))) {
        for (int n = in.readInt(); n >= 0; n = in.readInt()) {
          byte[] frame = new byte[n];
          in.readFully(frame);
          exchange.onFrame(frame, out);
        }
      }
      assertThat(exchange.unanswered()).isNull();
      exchange.close();
      assertThat(out.results).hasSize(1);
      VectorSchemaRoot got = (VectorSchemaRoot) out.results.get(0);
      assertThat(got.getSchema()).isEqualTo(codec.resultSchema());
      VarCharVector wall = (VarCharVector) got.getVector(0);
      TimeStampMicroTZVector next = (TimeStampMicroTZVector) got.getVector(1);
      ZoneId berlin = ZoneId.of(ZONE);
      for (int r = 0; r < INSTANTS.length; r++) {
        if (INSTANTS[r] == null) {
          assertThat(wall.isNull(r)).isTrue();
          assertThat(next.isNull(r)).isTrue();
          continue;
        }
        LocalDateTime local = LocalDateTime.ofInstant(INSTANTS[r], berlin);
        assertThat(new String(wall.get(r), StandardCharsets.UTF_8))
            .isEqualTo(local.toString().replace('T', ' ') + ":00");
        Instant expected = local.plusDays(1).atZone(berlin).toInstant();
        assertThat(next.get(r)).as("row " + r).isEqualTo(ChronoUnit.MICROS.between(Instant.EPOCH, expected));
      }
      ArrowData.closeAll(out.results);
      ArrowData.closeAll(input);
    }
  }
}
