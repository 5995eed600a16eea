package dev.pyworkers.arrow;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.PythonException;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.TaskContext;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The session time zone ({@link ArrowEvalTypes#SESSION_TIME_ZONE}) through the public runner against real workers,
 * daemon and simple: SQL_SCALAR_PANDAS_UDF over zoned timestamps of three units and zones and a naive one, with
 * nulls, around Berlin's daylight saving changes, compared with plain pandas doing Spark's conversion in one process
 * ({@code session_zone_oracle.py}); without the conf the same task is today's (tz-aware) conversion. An unknown zone
 * and an ambiguous naive result fail the task with the documented errors. Every test closes its root allocator, which
 * throws on any buffer left allocated.
 */
@ExtendWith(NoLeaks.class)
class SessionTimeZoneTest {
  static final String ZONE = "Europe/Berlin";
  static final String SOURCE = """
      import pandas as pd

      def text(s):
          return s.astype(str)

      def kind(s):
          return pd.Series([str(s.dtype)] * len(s))

      def later(s):
          return s + pd.Timedelta(days=7)

      def aware(s):
          return s.dt.tz_localize('Asia/Kolkata') if s.dt.tz is None else s.dt.tz_convert('Asia/Kolkata')
      """;
  static final Schema INPUT = new Schema(List.of(
      field("utc_us", new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.MICROSECOND, "UTC")),
      field("ny_ms", new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.MILLISECOND, "America/New_York")),
      field("naive_us", new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.MICROSECOND, null)),
      field("utc_ns", new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.NANOSECOND, "UTC"))));
  /** The evening before Berlin's spring-forward and fall-back days: rows run 7 minutes apart through them. */
  static final long[] BASES = {Instant.parse("2024-03-30T22:00:00Z").getEpochSecond(),
      Instant.parse("2024-10-26T22:00:00Z").getEpochSecond()};
  static final int[] SIZES = {3, 0, 500, 101};
  static final ArrowType.Timestamp UTC_US =
      new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.MICROSECOND, "UTC");

  @TempDir Path dir;

  static Field field(String name, ArrowType type) {
    return new Field(name, FieldType.nullable(type), null);
  }

  static ArrowType.Timestamp timestamp(org.apache.arrow.vector.types.TimeUnit unit, String tz) {
    return new ArrowType.Timestamp(unit, tz);
  }

  static List<ArrowUdf> udfs() {
    var us = org.apache.arrow.vector.types.TimeUnit.MICROSECOND;
    var ms = org.apache.arrow.vector.types.TimeUnit.MILLISECOND;
    var ns = org.apache.arrow.vector.types.TimeUnit.NANOSECOND;
    return List.of(
        ArrowUdf.of(TestPython.source(SOURCE, "text"), ArrowType.Utf8.INSTANCE, 0),
        ArrowUdf.of(TestPython.source(SOURCE, "kind"), ArrowType.Utf8.INSTANCE, 0),
        ArrowUdf.of(TestPython.source(SOURCE, "later"), timestamp(us, "UTC"), 0),
        ArrowUdf.of(TestPython.source(SOURCE, "later"), timestamp(ms, "America/New_York"), 1),
        ArrowUdf.of(TestPython.source(SOURCE, "text"), ArrowType.Utf8.INSTANCE, 2),
        ArrowUdf.of(TestPython.source(SOURCE, "later"), timestamp(us, null), 2),
        ArrowUdf.of(TestPython.source(SOURCE, "later"), timestamp(ns, "Asia/Tokyo"), 3),
        ArrowUdf.of(TestPython.source(SOURCE, "aware"), timestamp(us, "UTC"), 0));
  }

  /** Batch {@code seed} of {@code rows} rows: instants 7 minutes and 1 second apart, nulls at each column's phase. */
  static VectorSchemaRoot batch(BufferAllocator allocator, int rows, int seed) {
    VectorSchemaRoot root = VectorSchemaRoot.create(INPUT, allocator);
    root.allocateNew();
    List<FieldVector> v = root.getFieldVectors();
    for (int r = 0; r < rows; r++) {
      long seconds = BASES[seed % 2] + r * 421L;
      for (int c = 0; c < v.size(); c++) {
        TimeStampVector column = (TimeStampVector) v.get(c);
        if ((r + c) % 5 == 0) {
          column.setNull(r);
          continue;
        }
        long value = switch (c) {
          case 1 -> seconds * 1_000L + r;
          case 3 -> seconds * 1_000_000_000L + r * 1_001L;
          default -> seconds * 1_000_000L + r;
        };
        column.setSafe(r, value);
      }
    }
    root.setRowCount(rows);
    return root;
  }

  static PythonRunner runner(WorkerRegistry registry, ScalarArrowCodec codec, String zone) {
    PythonRunner.Builder builder = PythonRunner.builder(registry).evalType(codec);
    return (zone == null ? builder : builder.conf(Map.of(ArrowEvalTypes.SESSION_TIME_ZONE, zone))).build();
  }

  static WorkerRegistry registry(WorkerMode mode) {
    return WorkerRegistry.create(TestPython.config().mode(mode).build());
  }

  void matchesTheOracle(WorkerMode mode, String zone, String expectedKind) throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = new ArrayList<>();
      for (int i = 0; i < SIZES.length; i++) input.add(batch(allocator, SIZES[i], i));
      List<Object> results = List.of();
      try (WorkerRegistry registry = registry(mode)) {
        ScalarArrowCodec codec = ScalarArrowCodec.pandas(allocator, udfs());
        try (PythonRunner runner = runner(registry, codec, zone)) {
          results = drain(runner.compute(input.iterator(), 0, TaskContext.of(0)));
          VarCharVector kinds = (VarCharVector) ((VectorSchemaRoot) results.get(0)).getVector(1);
          assertThat(new String(kinds.get(0), StandardCharsets.UTF_8)).isEqualTo(expectedKind);
          assertMatchesOracle(zone, codec.resultSchema(), input, results, allocator);
        }
      } finally {
        ArrowData.closeAll(results);
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void sessionZone_zonedTimestampsAreItsWallClock_andNaiveResultsAreLocalizedInIt_asPlainPandasDoesSparksWay(
      WorkerMode mode) throws Exception {
    matchesTheOracle(mode, ZONE, "datetime64[us]");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void noSessionZone_zonedTimestampsStayTzAware_asBefore(WorkerMode mode) throws Exception {
    matchesTheOracle(mode, null, "datetime64[us, UTC]");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void unknownZone_failsTheTaskNamingTheKeyAndTheValue_andTheRunnerServesTheNextTask(WorkerMode mode) {
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = registry(mode)) {
      List<ArrowUdf> text = List.of(ArrowUdf.of(TestPython.source(SOURCE, "text"), ArrowType.Utf8.INSTANCE, 0));
      List<VectorSchemaRoot> input = List.of(batch(allocator, 10, 0));
      try (PythonRunner bad = runner(registry, ScalarArrowCodec.pandas(allocator, text), "Mars/Olympus_Mons");
          PythonRunner good = runner(registry, ScalarArrowCodec.pandas(allocator, text), ZONE)) {
        assertThatThrownBy(() -> drain(bad.compute(input.iterator(), 0, TaskContext.of(0))))
            .isInstanceOfSatisfying(PythonException.class, e -> {
              assertThat(e.pythonType()).isEqualTo("ValueError");
              assertThat(e.pythonMessage()).startsWith(
                  "the runner conf spark.sql.session.timeZone = 'Mars/Olympus_Mons' names no time zone");
            });
        List<Object> got = drain(good.compute(input.iterator(), 0, TaskContext.of(0)));
        assertThat(((VectorSchemaRoot) got.get(0)).getRowCount()).isEqualTo(10);
        ArrowData.closeAll(got);
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void naiveResultInTheFallBackHour_failsNamingTheUdfTheBatchTheValueAndTheZone(WorkerMode mode) {
    String src = "import pandas as pd\n\ndef fixed(s):\n"
        + "    return pd.Series(pd.to_datetime(['2024-10-27 02:30:00'] * len(s)))\n";
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = registry(mode)) {
      List<ArrowUdf> fixed = List.of(ArrowUdf.of(TestPython.source(src, "fixed"),
          timestamp(org.apache.arrow.vector.types.TimeUnit.MICROSECOND, "UTC"), 0));
      List<VectorSchemaRoot> input = List.of(batch(allocator, 4, 1));
      try (PythonRunner runner = runner(registry, ScalarArrowCodec.pandas(allocator, fixed), ZONE)) {
        assertThatThrownBy(() -> drain(runner.compute(input.iterator(), 2, TaskContext.of(2))))
            .isInstanceOfSatisfying(PythonException.class, e -> {
              assertThat(e.pythonType()).isEqualTo("ArrowResultError");
              assertThat(e.pythonMessage()).startsWith("UDF 1 (fixed) on input batch 0 of partition 2 returned the "
                      + "naive timestamp 2024-10-27 02:30:00 (row 0 of 4; 4 values fail so)")
                  .contains("session time zone Europe/Berlin (spark.sql.session.timeZone)")
                  .contains("is ambiguous there").contains("return tz-aware values");
            });
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  static final String GROUPED_SOURCE = """
      import pandas as pd

      def f(key, pdf):
          return pd.DataFrame({'key': [str(key[0])] * len(pdf), 'wall': pdf.t.astype(str),
                               'later': pdf.t + pd.Timedelta(days=7), 'n': pdf.n})
      """;
  static final Schema GROUPED_INPUT = new Schema(List.of(field("day", UTC_US), field("t", UTC_US),
      field("n", new ArrowType.Int(64, true))));
  static final Schema GROUPED_RESULT = new Schema(List.of(field("key", ArrowType.Utf8.INSTANCE),
      field("wall", ArrowType.Utf8.INSTANCE), field("later", UTC_US), field("n", new ArrowType.Int(64, true))));

  /**
   * Rows sorted by {@code day}: a null key, then Berlin's midnights (22:00 or 23:00 UTC) around its two changes, each
   * group's {@code t} 7 minutes apart from its key on; groups of 3, 40, 2,500 (several batches) and 1 rows.
   */
  static List<VectorSchemaRoot> groupedBatches(BufferAllocator allocator) {
    Long[] days = {null, Instant.parse("2024-03-30T23:00:00Z").getEpochSecond(),
        Instant.parse("2024-03-31T22:00:00Z").getEpochSecond(), Instant.parse("2024-10-26T22:00:00Z").getEpochSecond()};
    int[] sizes = {3, 40, 2_500, 1};
    List<long[]> rows = new ArrayList<>();
    for (int g = 0; g < days.length; g++) {
      for (int r = 0; r < sizes[g]; r++) rows.add(new long[] {g, r});
    }
    List<VectorSchemaRoot> out = new ArrayList<>();
    for (int start = 0; start < rows.size(); start += 1_000) {
      int n = Math.min(1_000, rows.size() - start);
      VectorSchemaRoot root = VectorSchemaRoot.create(GROUPED_INPUT, allocator);
      root.allocateNew();
      TimeStampVector day = (TimeStampVector) root.getVector(0);
      TimeStampVector t = (TimeStampVector) root.getVector(1);
      BigIntVector count = (BigIntVector) root.getVector(2);
      for (int i = 0; i < n; i++) {
        long[] row = rows.get(start + i);
        Long key = days[(int) row[0]];
        long base = key == null ? BASES[1] : key;
        if (key == null) day.setNull(i);
        else day.setSafe(i, key * 1_000_000L);
        if (row[1] % 9 == 4) t.setNull(i);
        else t.setSafe(i, (base + row[1] * 421L) * 1_000_000L + row[1]);
        count.setSafe(i, start + i);
      }
      root.setRowCount(n);
      out.add(root);
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void groupedMap_keyAndFrameAreWallClock_andResultsLocalized_asPlainPandasDoesSparksWay(WorkerMode mode)
      throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = groupedBatches(allocator);
      List<Object> results = List.of();
      try (WorkerRegistry registry = registry(mode);
          PythonRunner runner = PythonRunner.builder(registry)
              .evalType(GroupedMapCodec.builder(allocator, TestPython.source(GROUPED_SOURCE, "f"), GROUPED_RESULT)
                  .keyColumns(0).withKeyArgument().pandas())
              .conf(Map.of(ArrowEvalTypes.SESSION_TIME_ZONE, ZONE)).build()) {
        results = drain(runner.compute(ArrowGroups.sortedBy(input.iterator(), 0), 0, TaskContext.of(0)));
        String spec = "{\"zone\": \"" + ZONE + "\", \"schema\": "
            + Oracles.json(dir.resolve("schema.arrows").toString()) + ", \"source\": " + Oracles.json(GROUPED_SOURCE)
            + ", \"grouped\": {\"name\": \"f\", \"keys\": [0]}}";
        String expected = runOracle(spec, GROUPED_INPUT, input, GROUPED_RESULT, allocator);
        assertThat(GroupedData.rows(results)).isEqualTo(expected);
        // Berlin's midnight, 23:00 UTC, as the key and the first row's wall-clock time; the null key as None
        assertThat(expected).startsWith("None\t2024-10-27 00:00:00.000000\t")
            .contains("\n2024-03-31 00:00:00\t2024-03-31 00:00:00.000000\t");
      } finally {
        ArrowData.closeAll(results);
        ArrowData.closeAll(input);
      }
    }
  }

  /** Runs session_zone_oracle.py with {@code spec} over {@code input}: its result rows, as TSV without the header. */
  String runOracle(String spec, Schema inputSchema, List<VectorSchemaRoot> input, Schema resultSchema,
      BufferAllocator allocator) throws Exception {
    Path inFile = dir.resolve("in.arrows");
    Path outFile = dir.resolve("out.arrows");
    ArrowData.writeStream(inFile, inputSchema, input);
    ArrowData.writeStream(dir.resolve("schema.arrows"), resultSchema, List.of());
    Oracles.run(dir, "session_zone_oracle.py", spec, 120, inFile, outFile);
    return Oracles.rows(outFile, allocator);
  }

  /** Runs session_zone_oracle.py over {@code input}; {@code results} must equal its batches in type and content. */
  void assertMatchesOracle(String zone, Schema resultSchema, List<VectorSchemaRoot> input, List<Object> results,
      BufferAllocator allocator) throws Exception {
    Path inFile = dir.resolve("in.arrows");
    Path schemaFile = dir.resolve("schema.arrows");
    Path outFile = dir.resolve("out.arrows");
    ArrowData.writeStream(inFile, INPUT, input);
    ArrowData.writeStream(schemaFile, resultSchema, List.of());
    String spec = "{\"zone\": " + (zone == null ? "null" : Oracles.json(zone)) + ", \"schema\": "
        + Oracles.json(schemaFile.toString()) + ", \"source\": " + Oracles.json(SOURCE) + ", \"udfs\": ["
        + Oracles.udfs(udfs()) + "]}";
    Oracles.run(dir, "session_zone_oracle.py", spec, 120, inFile, outFile);
    Oracles.assertSameBatches(outFile, resultSchema, results, allocator);
  }
}
