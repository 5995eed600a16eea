package dev.pyworkers.arrow;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.PythonException;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
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
 * SQL_GROUPED_AGG_PANDAS_UDF and SQL_GROUPED_AGG_ARROW_UDF through the public runner against real workers, daemon
 * and simple: one row per group, equal to the in-process oracle's over null keys, 1,000 small groups and a group
 * longer than a batch; a result that is not one value fails naming the UDF and the group. Every test closes its root
 * allocator, which throws on any buffer left allocated.
 */
@ExtendWith(NoLeaks.class)
class GroupedAggTest {
  static final String PANDAS = """
      def mean(v):
          return v.mean()

      def count(s):
          return len(s)

      def weighted(k, v):
          return (k.fillna(0) * v).sum()

      def series(v):
          return v
      """;
  static final String ARROW = """
      import pyarrow.compute as pc

      def mean(v):
          return pc.mean(v)

      def count(s):
          return len(s)

      def weighted(k, v):
          return pc.sum(pc.multiply(pc.cast(pc.fill_null(k, 0), 'double'), v))

      def series(v):
          return v
      """;
  static final ArrowType INT64 = new ArrowType.Int(64, true);
  static final ArrowType FLOAT64 = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);

  @TempDir Path dir;

  static List<ArrowUdf> udfs(String source) {
    return List.of(ArrowUdf.of(TestPython.source(source, "mean"), FLOAT64, 2),
        ArrowUdf.of(TestPython.source(source, "count"), INT64, 1),
        ArrowUdf.of(TestPython.source(source, "weighted"), FLOAT64, 0, 2));
  }

  @ParameterizedTest
  @EnumSource(GroupedMapTest.Variant.class)
  void threeUdfs_givesOneRowPerGroup_matchingTheOracle(GroupedMapTest.Variant v) throws Exception {
    boolean pandas = v.kind == GroupedMapTest.Kind.PANDAS;
    String source = pandas ? PANDAS : ARROW;
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = GroupedData.keys();
      List<VectorSchemaRoot> input = GroupedData.batches(allocator, keys, 7, 0, 2000, 9000, 12_000,
          keys.length - 23_007);
      List<Object> results = Collections.emptyList();
      try (WorkerRegistry registry = GroupedMapTest.registry(v.mode)) {
        GroupedAggCodec codec = pandas ? GroupedAggCodec.pandas(allocator, udfs(source))
            : GroupedAggCodec.arrow(allocator, udfs(source));
        try (PythonRunner runner = PythonRunner.builder(registry).evalType(codec).build()) {
          TaskResults<Object> out = runner.compute(ArrowGroups.sortedBy(input.iterator(), 0), 0, TaskContext.of(0));
          results = drain(out);
          assertThat(results).hasSize(1003);
          GroupedData.assertAggMatchesOracle(dir, pandas ? "pandas_agg" : "arrow_agg", source, new int[] {0},
              codec.udfs(), codec.resultSchema(), input, results, allocator);
        }
      } finally {
        ArrowData.closeAll(results);
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(GroupedMapTest.Variant.class)
  void aUdfReturningAColumn_failsNamingTheUdfAndTheGroup(GroupedMapTest.Variant v) {
    boolean pandas = v.kind == GroupedMapTest.Kind.PANDAS;
    String source = pandas ? PANDAS : ARROW;
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = {1L, 1L, 2L};
      List<VectorSchemaRoot> input = GroupedData.batches(allocator, keys, 3);
      List<ArrowUdf> udfs = List.of(ArrowUdf.of(TestPython.source(source, "series"), FLOAT64, 2));
      try (WorkerRegistry registry = GroupedMapTest.registry(v.mode);
          PythonRunner runner = PythonRunner.builder(registry).evalType(pandas
              ? GroupedAggCodec.pandas(allocator, udfs) : GroupedAggCodec.arrow(allocator, udfs)).build()) {
        TaskResults<Object> out = runner.compute(ArrowGroups.sortedBy(input.iterator(), 0), 0, TaskContext.of(0));
        ArrowData.assertDrainFails(out).isInstanceOf(PythonException.class).hasMessageContaining("UDF 1 (series) of "
            + (pandas ? "SQL_GROUPED_AGG_PANDAS_UDF" : "SQL_GROUPED_AGG_ARROW_UDF") + " on group 0 of partition 0"
            + " returned a " + (pandas ? "Series" : "DoubleArray"));
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }
}
