package dev.pyworkers.arrow;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.PythonException;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SQL_WINDOW_AGG_PANDAS_UDF and SQL_WINDOW_AGG_ARROW_UDF through the public runner against real workers, daemon
 * and simple: one row per input row, equal to the in-process oracle's ({@code window_oracle.py}, plain slicing) for
 * unbounded frames, ROWS frames at the partition's edges (empty ones too), half-unbounded ones and the caller's
 * bounds, over null keys, 300 small partitions, a partition longer than a batch and one of one row, and over the
 * caller's partitions with an empty one. The errors name the UDF, the partition and the row or frame. Every test
 * closes its root allocator, which throws on any buffer left allocated.
 */
@ExtendWith(NoLeaks.class)
class WindowAggTest {
  static final String PANDAS = """
      def total(v):
          return v.sum(min_count=1)

      def count(v):
          return len(v)

      def mean(v):
          return v.mean()

      def weighted(k, v):
          return (k.fillna(0) * v).sum()

      def first(x):
          return x.iloc[0] if len(x) else None

      def longest(s):
          s = s.dropna()
          return max(s, key=len) if len(s) else None

      def boom(v):
          if len(v) == 2:
              raise ValueError('bad frame of %d rows' % len(v))
          return 0.0

      def series(v):
          return v

      def half(v):
          return len(v) / 2
      """;
  static final String ARROW = """
      import pyarrow.compute as pc

      def total(v):
          return pc.sum(v)

      def count(v):
          return len(v)

      def mean(v):
          return pc.mean(v)

      def weighted(k, v):
          return pc.sum(pc.multiply(pc.cast(pc.fill_null(k, 0), 'double'), v))

      def first(x):
          return x[0] if len(x) else None

      def longest(s):
          values = [x for x in s.to_pylist() if x is not None]
          return max(values, key=len) if values else None

      def boom(v):
          if len(v) == 2:
              raise ValueError('bad frame of %d rows' % len(v))
          return 0.0

      def series(v):
          return v

      def half(v):
          return len(v) / 2
      """;
  static final ArrowType INT64 = new ArrowType.Int(64, true);
  static final ArrowType FLOAT64 = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);

  @TempDir Path dir;

  static boolean pandas(GroupedMapTest.Variant v) {
    return v.kind == GroupedMapTest.Kind.PANDAS;
  }

  static ArrowUdf udf(GroupedMapTest.Variant v, String name, ArrowType type, int... offsets) {
    return ArrowUdf.of(TestPython.source(pandas(v) ? PANDAS : ARROW, name), type, offsets);
  }

  static WindowAggCodec build(GroupedMapTest.Variant v, WindowAggCodec.Builder b) {
    return pandas(v) ? b.pandas() : b.arrow();
  }

  /** Every kind of frame, over the main data set sorted by key, cut into batches across partitions. */
  @ParameterizedTest
  @EnumSource(GroupedMapTest.Variant.class)
  void everyKindOfFrame_givesOneRowPerInputRow_matchingTheOracle(GroupedMapTest.Variant v) throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = WindowData.keys();
      List<VectorSchemaRoot> input = WindowData.batches(allocator, keys, 7, 0, 500, 4000, 4000,
          keys.length - 8507);
      WindowAggCodec codec = build(v, WindowAggCodec.builder(allocator)
          .udf(udf(v, "total", FLOAT64, 2), WindowFrame.unbounded())
          .udf(udf(v, "total", FLOAT64, 2), WindowFrame.rows(-2, 0))
          .udf(udf(v, "count", INT64, 2), WindowFrame.rows(1, 2))
          .udf(udf(v, "mean", FLOAT64, 2), WindowFrame.rowsUnboundedPreceding(0))
          .udf(udf(v, "weighted", FLOAT64, 0, 2), WindowFrame.rows(-1, 1))
          .udf(udf(v, "total", FLOAT64, 2), WindowFrame.bounds(3, 4))
          .udf(udf(v, "longest", ArrowType.Utf8.INSTANCE, 1), WindowFrame.rows(-1, 2))
          .udf(udf(v, "total", FLOAT64, 2), WindowFrame.rowsUnboundedFollowing(0))
          .udf(udf(v, "count", INT64, 2), WindowFrame.rows(-5, -3))
          // int64 with nulls: pandas gives float64 with NaN, and the first key comes back as an int64 or null
          .udf(udf(v, "first", INT64, 0), WindowFrame.rows(0, 1))
          .maxRecordsPerBatch(3000));
      List<Object> results = Collections.emptyList();
      try (WorkerRegistry registry = GroupedMapTest.registry(v.mode);
          PythonRunner runner = PythonRunner.builder(registry).evalType(codec).build()) {
        TaskResults<Object> out = runner.compute(ArrowGroups.sortedBy(input.iterator(), 0), 0, TaskContext.of(0));
        results = drain(out);
        assertThat(results.stream().mapToInt(r -> ((VectorSchemaRoot) r).getRowCount()).sum())
            .isEqualTo(keys.length);
        WindowData.assertMatchesOracle(dir, pandas(v) ? "pandas" : "arrow", pandas(v) ? PANDAS : ARROW, codec, null,
            input, results, allocator);
      } finally {
        ArrowData.closeAll(results);
        ArrowData.closeAll(input);
      }
    }
  }

  /** The caller's partitions: an empty one is not sent, a partition may be one row or span batches. */
  @ParameterizedTest
  @EnumSource(GroupedMapTest.Variant.class)
  void callersPartitions_withAnEmptyOneAndOneOfOneRow_matchTheOracle(GroupedMapTest.Variant v) throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = {1L, 1L, 1L, null, null, null, null, null, null, 3L};
      List<VectorSchemaRoot> input = WindowData.batches(allocator, keys, 3, 2, 4, 1);
      List<ArrowGroup> groups = List.of(ArrowGroup.of(List.of(1L), input.subList(0, 1)),
          ArrowGroup.of(List.of(2L), List.of()), ArrowGroup.of(Arrays.asList((Object) null), input.subList(1, 3)),
          ArrowGroup.of(List.of(3L), input.subList(3, 4)));
      WindowAggCodec codec = build(v, WindowAggCodec.builder(allocator)
          .udf(udf(v, "mean", FLOAT64, 2), WindowFrame.unbounded())
          .udf(udf(v, "total", FLOAT64, 2), WindowFrame.rows(-1, 0))
          .udf(udf(v, "count", INT64, 2), WindowFrame.bounds(3, 4))
          .maxRecordsPerBatch(4));
      List<Object> results = Collections.emptyList();
      try (WorkerRegistry registry = GroupedMapTest.registry(v.mode);
          PythonRunner runner = PythonRunner.builder(registry).evalType(codec).build()) {
        results = drain(runner.compute(groups.iterator(), 0, TaskContext.of(0)));
        // partition 0: 3 rows; partition 2: 6 rows, answered as 4 + 2; partition 3: 1 row
        assertThat(results.stream().map(r -> ((VectorSchemaRoot) r).getRowCount()).toList())
            .containsExactly(3, 4, 2, 1);
        WindowData.assertMatchesOracle(dir, pandas(v) ? "pandas" : "arrow", pandas(v) ? PANDAS : ARROW, codec,
            List.of(3, 0, 6, 1), input, results, allocator);
      } finally {
        ArrowData.closeAll(results);
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(GroupedMapTest.Variant.class)
  void aRaisingUdf_isAPythonException_namingTheUdfThePartitionTheRowAndItsFrame(GroupedMapTest.Variant v) {
    String eval = pandas(v) ? "SQL_WINDOW_AGG_PANDAS_UDF" : "SQL_WINDOW_AGG_ARROW_UDF";
    assertFails(v, b -> b.udf(udf(v, "boom", FLOAT64, 2), WindowFrame.rows(-1, 0)), "ValueError: bad frame of 2"
        + " rows", "while running UDF 1 (boom) of " + eval + " on row 1 (frame [0, 2)) of window partition 0 of"
        + " partition 0");
  }

  @ParameterizedTest
  @EnumSource(GroupedMapTest.Variant.class)
  void aNonScalarResult_failsNamingTheUdfTheRowAndWhatItReturned(GroupedMapTest.Variant v) {
    String eval = pandas(v) ? "SQL_WINDOW_AGG_PANDAS_UDF" : "SQL_WINDOW_AGG_ARROW_UDF";
    assertFails(v, b -> b.udf(udf(v, "series", FLOAT64, 2), WindowFrame.rows(0, 0)), "ArrowResultError",
        "UDF 1 (series) of " + eval + " on row 0 (frame [0, 1)) of window partition 0 of partition 0 returned a "
            + (pandas(v) ? "Series; a SQL_WINDOW_AGG_PANDAS_UDF function returns one scalar of type double per frame"
                : "DoubleArray; a SQL_WINDOW_AGG_ARROW_UDF function returns one value (a pyarrow.Scalar of type"
                    + " double) per frame"));
  }

  @ParameterizedTest
  @EnumSource(GroupedMapTest.Variant.class)
  void aLossyResult_failsNamingTheRowAndBothTypes(GroupedMapTest.Variant v) {
    String eval = pandas(v) ? "SQL_WINDOW_AGG_PANDAS_UDF" : "SQL_WINDOW_AGG_ARROW_UDF";
    // frames of 1, 2, 3 rows: 0.5 for the first fails; 1.0 would be cast back
    assertFails(v, b -> b.udf(udf(v, "half", INT64, 2), WindowFrame.rowsUnboundedPreceding(0)), "ArrowResultError",
        "UDF 1 (half) of " + eval + " on row 0 (frame [0, 1)) of window partition 0 of partition 0 returned 0.5 (a"
            + " float), which does not convert to its declared result type int64");
  }

  @ParameterizedTest
  @EnumSource(GroupedMapTest.Variant.class)
  void callerBoundsOutsideThePartition_failNamingTheRowTheFrameAndTheRule(GroupedMapTest.Variant v) {
    String eval = pandas(v) ? "SQL_WINDOW_AGG_PANDAS_UDF" : "SQL_WINDOW_AGG_ARROW_UDF";
    // k 1, 1, 1 then 2: partition 0 has 3 rows, whose hi (from its own frame data) is fine; lo/hi swapped is not
    assertFails(v, b -> b.udf(udf(v, "total", FLOAT64, 2), WindowFrame.bounds(4, 3)), "WindowBoundsError",
        "UDF 1 (total) of " + eval + " on window partition 0 of partition 0 has the frame [3, 0) at row 0 (bound"
            + " columns 4 and 3), but bounds must be 0 <= lower <= upper <= 3, the partition's row count");
  }

  @ParameterizedTest
  @EnumSource(GroupedMapTest.Variant.class)
  void aBoundColumnThatIsNotInt32_failsOnTheJvmNamingItAndItsType(GroupedMapTest.Variant v) {
    String eval = pandas(v) ? "SQL_WINDOW_AGG_PANDAS_UDF" : "SQL_WINDOW_AGG_ARROW_UDF";
    assertFails(v, b -> b.udf(udf(v, "total", FLOAT64, 2), WindowFrame.bounds(0, 4)), PythonWorkerException.class,
        "input for partition 0 could not be sent to Python worker pid ", "the lower bound column 0 ('k') of UDF 1 (total) of " + eval + " is of type Int(64, true); window bounds"
            + " are int32 row indices into the partition");
  }

  private void assertFails(GroupedMapTest.Variant v, UnaryOperator<WindowAggCodec.Builder> udfs, String type,
      String message) {
    assertFails(v, udfs, PythonException.class, type, message);
  }

  private void assertFails(GroupedMapTest.Variant v, UnaryOperator<WindowAggCodec.Builder> udfs,
      Class<? extends Throwable> type, String... messages) {
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = {1L, 1L, 1L, 2L};
      List<VectorSchemaRoot> input = WindowData.batches(allocator, keys, 2, 2);
      WindowAggCodec codec = build(v, udfs.apply(WindowAggCodec.builder(allocator)));
      try (WorkerRegistry registry = GroupedMapTest.registry(v.mode);
          PythonRunner runner = PythonRunner.builder(registry).evalType(codec).build()) {
        Iterator<ArrowGroup> groups = ArrowGroups.sortedBy(input.iterator(), 0);
        TaskResults<Object> out = runner.compute(groups, 0, TaskContext.of(0));
        ArrowData.assertDrainFails(out).isInstanceOf(type).satisfies(e -> {
          for (String m : messages) assertThat(e).hasMessageContaining(m);
        });
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }
}
