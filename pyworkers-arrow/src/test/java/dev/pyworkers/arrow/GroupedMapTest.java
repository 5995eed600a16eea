package dev.pyworkers.arrow;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.PythonException;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerCrashedException;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SQL_GROUPED_MAP_PANDAS_UDF and SQL_GROUPED_MAP_ARROW_UDF through the public runner against real workers, daemon
 * and simple: results equal the in-process oracle's (grouped_oracle.py) over null keys, 1,000 small groups and a
 * group longer than a batch, with and without the key argument, by name and by position; the failures are the
 * documented ones. Every test closes its root allocator, which throws on any buffer left allocated.
 */
@ExtendWith(NoLeaks.class)
class GroupedMapTest {
  static final String PANDAS = """
      import pandas as pd

      def summary(pdf):
          return pd.DataFrame({'total': [pdf.v.sum()], 'n': [len(pdf)], 'k': [pdf.k.iloc[0]]})

      def doubled(key, pdf):
          both = pd.concat([pdf, pdf])
          return pd.DataFrame({'v': both.v * 2, 's': both.s, 'key': [key[0]] * len(both)})

      def renamed(pdf):
          return pd.DataFrame({'a': pdf.k, 'b': pdf.v + len(pdf)})
      """;
  static final String ARROW = """
      import pyarrow as pa
      import pyarrow.compute as pc

      def summary(t):
          return pa.table({'total': pa.array([pc.sum(t['v']).as_py()], pa.float64()),
                           'n': pa.array([t.num_rows], pa.int64()), 'k': t['k'].slice(0, 1)})

      def doubled(key, t):
          both = pa.concat_tables([t, t])
          return pa.table({'v': pc.multiply(both['v'], 2), 's': both['s'],
                           'key': pa.array([key[0].as_py()] * both.num_rows, pa.int64())})

      def renamed(t):
          return pa.table({'a': t['k'], 'b': pc.add(t['v'], float(t.num_rows))})
      """;
  static final ArrowType INT64 = new ArrowType.Int(64, true);
  static final ArrowType FLOAT64 = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
  static final Schema SUMMARY = new Schema(List.of(Field.nullable("k", INT64), Field.nullable("n", INT64),
      Field.nullable("total", FLOAT64)));
  static final Schema DOUBLED = new Schema(List.of(Field.nullable("key", INT64),
      Field.nullable("s", ArrowType.Utf8.INSTANCE), Field.nullable("v", FLOAT64)));
  static final Schema RENAMED = new Schema(List.of(Field.nullable("k", INT64), Field.nullable("v", FLOAT64)));

  @TempDir Path dir;

  static WorkerRegistry registry(WorkerMode mode) {
    return WorkerRegistry.create(TestPython.config().mode(mode).build());
  }

  enum Kind {
    PANDAS("pandas", GroupedMapTest.PANDAS),
    ARROW("arrow", GroupedMapTest.ARROW);

    final String name;
    final String source;

    Kind(String name, String source) {
      this.name = name;
      this.source = source;
    }

    GroupedMapCodec build(GroupedMapCodec.Builder b) {
      return this == PANDAS ? b.pandas() : b.arrow();
    }
  }

  /** Every mode and kind. */
  enum Variant {
    DAEMON_PANDAS(WorkerMode.DAEMON, Kind.PANDAS),
    DAEMON_ARROW(WorkerMode.DAEMON, Kind.ARROW),
    SIMPLE_PANDAS(WorkerMode.SIMPLE, Kind.PANDAS),
    SIMPLE_ARROW(WorkerMode.SIMPLE, Kind.ARROW);

    final WorkerMode mode;
    final Kind kind;

    Variant(WorkerMode mode, Kind kind) {
      this.mode = mode;
      this.kind = kind;
    }
  }

  /** Runs {@code fn} over the main data set grouped by k, and compares with the oracle. */
  void sortedInput_matchesTheOracle(Variant v, String fn, Schema schema, boolean keyArg) throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = GroupedData.keys();
      // 7 rows (the null group and more), then batches that cut groups, and the long group over three batches
      List<VectorSchemaRoot> input = GroupedData.batches(allocator, keys, 7, 0, 2000, 9000, 12_000, 
          keys.length - 23_007);
      List<Object> results = Collections.emptyList();
      try (WorkerRegistry registry = registry(v.mode)) {
        GroupedMapCodec.Builder b = GroupedMapCodec.builder(allocator, TestPython.source(v.kind.source, fn), schema)
            .keyColumns(0);
        if (keyArg) b.withKeyArgument();
        GroupedMapCodec codec = v.kind.build(b);
        try (PythonRunner runner = PythonRunner.builder(registry).evalType(codec).build()) {
          TaskResults<Object> out = runner.compute(ArrowGroups.sortedBy(input.iterator(), 0), 0, TaskContext.of(0));
          results = drain(out);
          assertThat(out.metrics().recordsIn()).as("groups").isEqualTo(1003);
          GroupedData.assertMatchesOracle(dir, v.kind.name, v.kind.source, fn, new int[] {0}, keyArg,
              ColumnMatch.BY_NAME, null, schema, input, results, allocator);
        }
      } finally {
        ArrowData.closeAll(results);
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void oneRowPerGroup_byName_withoutKey_matchesTheOracle(Variant v) throws Exception {
    sortedInput_matchesTheOracle(v, "summary", SUMMARY, false);
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void twiceTheRowsPerGroup_withKey_matchesTheOracle_andComesInBatchesOfAtMost10000(Variant v) throws Exception {
    sortedInput_matchesTheOracle(v, "doubled", DOUBLED, true);
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void callerDelimitedGroups_byPosition_skipEmptyGroups_andASpanningGroupStaysOne(Variant v) throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = {1L, 1L, 1L, 1L, 1L, 2L, 2L, 2L, 2L, 2L, 2L, 2L};
      List<VectorSchemaRoot> input = GroupedData.batches(allocator, keys, 5, 0, 0, 3, 4);
      List<ArrowGroup> groups = List.of(ArrowGroup.of(List.of(1L), input.subList(0, 2)),
          ArrowGroup.of(List.of(9L), List.of()), ArrowGroup.of(Arrays.asList((Object) null), input.subList(2, 3)),
          ArrowGroup.of(List.of(2L), input.subList(3, 5)));
      List<Object> results = Collections.emptyList();
      try (WorkerRegistry registry = registry(v.mode)) {
        GroupedMapCodec codec = v.kind.build(GroupedMapCodec.builder(allocator,
            TestPython.source(v.kind.source, "renamed"), RENAMED).keyColumns(0).match(ColumnMatch.BY_POSITION));
        try (PythonRunner runner = PythonRunner.builder(registry).evalType(codec).build()) {
          results = drain(runner.compute(groups.iterator(), 0, TaskContext.of(0)));
          GroupedData.assertMatchesOracle(dir, v.kind.name, v.kind.source, "renamed", new int[] {0}, false,
              ColumnMatch.BY_POSITION, List.of(5, 0, 0, 7), RENAMED, input, results, allocator);
        }
      } finally {
        ArrowData.closeAll(results);
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void emptyPartition_sendsNothing_givesNoResult_andTheWorkerServesTheNextTask(Variant v) {
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = registry(v.mode);
        PythonRunner runner = PythonRunner.builder(registry).evalType(v.kind.build(GroupedMapCodec.builder(
            allocator, TestPython.source(v.kind.source, "summary"), SUMMARY).keyColumns(0))).build()) {
      assertThat(drain(runner.compute(Collections.emptyIterator(), 0, TaskContext.of(0)))).isEmpty();
      Long[] keys = {4L, 4L, 6L};
      List<VectorSchemaRoot> input = GroupedData.batches(allocator, keys, 3);
      TaskResults<Object> next = runner.compute(ArrowGroups.sortedBy(input.iterator(), 0), 1, TaskContext.of(1));
      List<Object> got = drain(next);
      assertThat(GroupedData.rows(got)).isEqualTo("4\t2\t0.25\n6\t1\t0.5\n");
      assertThat(next.metrics().reusedWorker()).isEqualTo(v.mode == WorkerMode.DAEMON);
      ArrowData.closeAll(got);
      ArrowData.closeAll(input);
    }
  }

  static final String FAILING = """
      import os
      import pandas as pd
      import pyarrow as pa

      def boom(key, pdf):
          if key[0] == 3:
              raise ValueError('bad group %r' % (key,))
          return pdf[['k']]

      def die(key, pdf):
          if key[0] == 3:
              os._exit(3)
          return pdf[['k']]

      def wrong_name(pdf):
          return pd.DataFrame({'x': pdf.k})

      def series(pdf):
          return pdf.k

      def lossy(pdf):
          return pd.DataFrame({'k': pdf.v})

      def narrow(t):
          return pa.table({'k': t['k'].cast(pa.int32())})

      def frame(t):
          return t.to_pandas()
      """;
  static final Schema K = new Schema(List.of(Field.nullable("k", INT64)));

  /** Keys null, null, 1, 1, 2, 2, 3, 3, 4, 4: group 3 has key 3. Asserts the task fails as given. */
  void assertFails(WorkerMode mode, Kind kind, String fn, boolean keyArg, Class<? extends RuntimeException> type,
      String message) {
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = {null, null, 1L, 1L, 2L, 2L, 3L, 3L, 4L, 4L};
      List<VectorSchemaRoot> input = GroupedData.batches(allocator, keys, 5, 5);
      GroupedMapCodec.Builder b = GroupedMapCodec.builder(allocator, TestPython.source(FAILING, fn), K)
          .keyColumns(0);
      if (keyArg) b.withKeyArgument();
      try (WorkerRegistry registry = registry(mode);
          PythonRunner runner = PythonRunner.builder(registry).evalType(kind.build(b))
              .killTimeout(Duration.ofSeconds(2)).build()) {
        TaskResults<Object> out = runner.compute(ArrowGroups.sortedBy(input.iterator(), 0), 0, TaskContext.of(0));
        ArrowData.assertDrainFails(out).isInstanceOf(type).hasMessageContaining(message);
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void exceptionInTheUdf_isAPythonException_withItsTraceback_theGroupIndexAndKey(WorkerMode mode) {
    assertFails(mode, Kind.PANDAS, "boom", true, PythonException.class, "ValueError: bad group (3,)");
    assertFails(mode, Kind.PANDAS, "boom", true, PythonException.class,
        "while running UDF boom of SQL_GROUPED_MAP_PANDAS_UDF on group 3 (key (3)) of partition 0");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void workerThatDiesMidGroup_isAWorkerCrashedException(WorkerMode mode) {
    assertFails(mode, Kind.PANDAS, "die", true, WorkerCrashedException.class, "");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void missingAndExtraColumns_byName_failNamingTheUdfTheGroupAndBothSides(WorkerMode mode) {
    assertFails(mode, Kind.PANDAS, "wrong_name", false, PythonException.class,
        "UDF wrong_name of SQL_GROUPED_MAP_PANDAS_UDF on group 0 (key (None)) of partition 0 returned a"
            + " pandas.DataFrame with columns ['x'], but the declared result schema has ['k'] (matched by name):"
            + " missing ['k'], unexpected ['x']");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void resultThatIsNotADataFrameOrTable_failsNamingWhatItIs(WorkerMode mode) {
    assertFails(mode, Kind.PANDAS, "series", false, PythonException.class,
        "UDF series of SQL_GROUPED_MAP_PANDAS_UDF on group 0 (key (None)) of partition 0 returned a Series;"
            + " a SQL_GROUPED_MAP_PANDAS_UDF function returns a pandas.DataFrame with columns ['k']");
    assertFails(mode, Kind.ARROW, "frame", false, PythonException.class,
        "UDF frame of SQL_GROUPED_MAP_ARROW_UDF on group 0 (key (None)) of partition 0 returned a DataFrame;"
            + " a SQL_GROUPED_MAP_ARROW_UDF function returns a pyarrow.Table of schema (k: int64)");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void columnOfAnotherType_failsNamingTheColumnAndBothTypes(WorkerMode mode) {
    assertFails(mode, Kind.ARROW, "narrow", false, PythonException.class,
        "UDF narrow of SQL_GROUPED_MAP_ARROW_UDF on group 0 (key (None)) of partition 0 returned column 'k' of"
            + " type int32, but the declared result schema has 'k' of type int64");
    assertFails(mode, Kind.PANDAS, "lossy", false, PythonException.class,
        "UDF lossy of SQL_GROUPED_MAP_PANDAS_UDF on group 0 (key (None)) of partition 0 returned column 'k' of dtype"
            + " float64, which does not convert to the declared type int64 of 'k' without loss");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void inputThatIsNotAGroup_failsTheTaskNamingTheElementAndWhatIsExpected(WorkerMode mode) {
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = registry(mode);
        PythonRunner runner = PythonRunner.builder(registry).evalType(GroupedMapCodec.builder(allocator,
            TestPython.source(FAILING, "series"), K).pandas()).build()) {
      TaskResults<Object> out = runner.compute(List.of("not a group").iterator(), 0, TaskContext.of(0));
      assertThatThrownBy(() -> drain(out)).isInstanceOf(PythonWorkerException.class)
          .hasMessageContaining("input element 0 of partition 0 is a java.lang.String; SQL_GROUPED_MAP_PANDAS_UDF"
              + " input elements are dev.pyworkers.arrow.ArrowGroup groups");
      out.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void cancelInTheMiddleOfAGroup_killsTheWorkerWithinTheKillTimeout_andLeavesNoArrowMemory(Variant v)
      throws Exception {
    java.nio.file.Path started = dir.resolve("started");
    String src = "import time\n\ndef slow(data):\n    if len(data) > 1:\n        open("
        + "'" + started.toString().replace("\\", "\\\\").replace("'", "\\'") + "', 'w').close()\n"
        + "        time.sleep(600)\n    return data\n";
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = {1L, 2L, 2L, 3L, 3L, 3L};
      List<VectorSchemaRoot> input = GroupedData.batches(allocator, keys, 6);
      try (WorkerRegistry registry = registry(v.mode);
          PythonRunner runner = PythonRunner.builder(registry).evalType(v.kind.build(GroupedMapCodec.builder(
              allocator, TestPython.source(src, "slow"), GroupedData.SCHEMA).keyColumns(0)))
              .killTimeout(Duration.ofSeconds(2)).build()) {
        TaskContext ctx = TaskContext.of(0);
        ArrowData.assertCancelEndsTheTask(runner.compute(ArrowGroups.sortedBy(input.iterator(), 0), 0, ctx), ctx,
            started);
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void aGroupLargerThanMaxBytesPerBatch_isSentInSlicesOfThatSize_andArrivesWhole(WorkerMode mode) throws Exception {
    String src = "import pyarrow as pa\n\ndef chunks(t):\n    return pa.table({'rows': pa.array([t.num_rows], pa.int64()),"
        + " 'chunks': pa.array([t.column(0).num_chunks], pa.int64())})\n";
    Schema counts = new Schema(List.of(Field.nullable("rows", INT64), Field.nullable("chunks", INT64)));
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = new Long[3000];
      Arrays.fill(keys, 7L);
      List<VectorSchemaRoot> input = GroupedData.batches(allocator, keys, 3000);
      int perSlice = new dev.pyworkers.arrow.internal.BatchLimit(10_000, 4096).rowsPerSlice(input.get(0));
      assertThat(perSlice).isBetween(50, 200); // about 30 bytes a row
      List<Object> got = Collections.emptyList();
      try (WorkerRegistry registry = registry(mode);
          PythonRunner runner = PythonRunner.builder(registry).evalType(GroupedMapCodec.builder(allocator,
              TestPython.source(src, "chunks"), counts).keyColumns(0).maxBytesPerBatch(4096).arrow()).build()) {
        got = drain(runner.compute(ArrowGroups.sortedBy(input.iterator(), 0), 0, TaskContext.of(0)));
        assertThat(GroupedData.rows(got)).isEqualTo("3000\t" + ((3000 + perSlice - 1) / perSlice) + "\n");
      } finally {
        ArrowData.closeAll(got);
        ArrowData.closeAll(input);
      }
    }
  }

  @Test
  void keyColumnsThatAreNullNegativeOrTooMany_failAtBuild_namingTheValue() {
    try (BufferAllocator allocator = new RootAllocator()) {
      GroupedMapCodec.Builder b = GroupedMapCodec.builder(allocator, TestPython.source(FAILING, "series"), K);
      assertThatThrownBy(() -> b.keyColumns((int[]) null)).isInstanceOf(NullPointerException.class)
          .hasMessage("key columns");
      assertThatThrownBy(() -> b.keyColumns(0, -2)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key column -2 must be >= 0: it is a column index of the input batches");
      assertThatThrownBy(() -> b.keyColumns(new int[1001])).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("a grouped map UDF has at most 1000 key columns, got 1001");
    }
  }
}
