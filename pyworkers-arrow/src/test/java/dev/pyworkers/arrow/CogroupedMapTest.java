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
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
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
 * SQL_COGROUPED_MAP_PANDAS_UDF and SQL_COGROUPED_MAP_ARROW_UDF through the public runner against real workers, daemon
 * and simple: results equal the in-process oracle's (cogrouped_oracle.py) over two sides of different schemas keyed
 * by int64 and int32 columns, with null keys, cogroups with an empty left or right side, 1,500 small cogroups and
 * sides longer than a batch, with and without the key argument, by name and by position; the failures are the
 * documented ones. Every test closes its root allocator, which throws on any buffer left allocated.
 */
@ExtendWith(NoLeaks.class)
class CogroupedMapTest {
  static final String PANDAS = """
      import pandas as pd

      def summary(left, right):
          k = left.k.iloc[0] if len(left) else right.id.iloc[0]
          return pd.DataFrame({'total': [left.v.sum() + right.w.sum()], 'nr': [len(right)], 'nl': [len(left)],
                               'k': [k]})

      def stacked(key, left, right):
          return pd.DataFrame({'key': [key[0]] * (len(left) + len(right)),
                               'side': ['l'] * len(left) + ['r'] * len(right),
                               'x': list(left.v) + list(right.w)})

      def renamed(left, right):
          if len(left) == 1:
              return pd.DataFrame()
          return pd.DataFrame({'a': [len(left)], 'b': [len(right)], 'c': [','.join(right.tag)]})
      """;
  static final String ARROW = """
      import pyarrow as pa
      import pyarrow.compute as pc

      def summary(left, right):
          k = left['k'][0].as_py() if left.num_rows else right['id'][0].as_py()
          total = (pc.sum(left['v']).as_py() or 0.0) + (pc.sum(right['w']).as_py() or 0.0)
          return pa.table({'total': pa.array([total], pa.float64()), 'nr': pa.array([right.num_rows], pa.int64()),
                           'nl': pa.array([left.num_rows], pa.int64()), 'k': pa.array([k], pa.int64())})

      def stacked(key, left, right):
          n = left.num_rows + right.num_rows
          return pa.record_batch({'key': pa.array([key[0].as_py()] * n, pa.int64()),
                                  'side': pa.array(['l'] * left.num_rows + ['r'] * right.num_rows),
                                  'x': pa.concat_arrays([left['v'].combine_chunks(), right['w'].combine_chunks()])})

      def renamed(left, right):
          if left.num_rows == 1:
              return pa.table({'a': pa.array([], pa.int64()), 'b': pa.array([], pa.int64()),
                               'c': pa.array([], pa.string())})
          return pa.table({'a': pa.array([left.num_rows], pa.int64()), 'b': pa.array([right.num_rows], pa.int64()),
                           'c': pa.array([','.join(right['tag'].to_pylist())])})
      """;
  static final ArrowType INT64 = new ArrowType.Int(64, true);
  static final ArrowType FLOAT64 = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
  static final Schema SUMMARY = new Schema(List.of(Field.nullable("k", INT64), Field.nullable("nl", INT64),
      Field.nullable("nr", INT64), Field.nullable("total", FLOAT64)));
  static final Schema STACKED = new Schema(List.of(Field.nullable("key", INT64),
      Field.nullable("side", ArrowType.Utf8.INSTANCE), Field.nullable("x", FLOAT64)));
  static final Schema COUNTS = new Schema(List.of(Field.nullable("nl", INT64), Field.nullable("nr", INT64),
      Field.nullable("tags", ArrowType.Utf8.INSTANCE)));
  static final int[] KEY = {0};

  @TempDir Path dir;

  static WorkerRegistry registry(WorkerMode mode) {
    return WorkerRegistry.create(TestPython.config().mode(mode).build());
  }

  enum Kind {
    PANDAS("pandas", CogroupedMapTest.PANDAS, "SQL_COGROUPED_MAP_PANDAS_UDF"),
    ARROW("arrow", CogroupedMapTest.ARROW, "SQL_COGROUPED_MAP_ARROW_UDF");

    final String name;
    final String source;
    final String evalName;

    Kind(String name, String source, String evalName) {
      this.name = name;
      this.source = source;
      this.evalName = evalName;
    }

    CogroupedMapCodec build(CogroupedMapCodec.Builder b) {
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

  static CogroupedMapCodec.Builder builder(BufferAllocator allocator, String source, String fn, Schema result) {
    return CogroupedMapCodec.builder(allocator, TestPython.source(source, fn), CogroupData.LEFT, CogroupData.RIGHT,
        result).keyColumns(KEY, KEY);
  }

  /** Runs {@code fn} over the main data set cogrouped by k and id, and compares with the oracle. */
  void sortedInput_matchesTheOracle(Variant v, String fn, Schema schema, boolean keyArg) throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] lk = CogroupData.leftKeys();
      Integer[] rk = CogroupData.rightKeys();
      // small batches with the null keys, batches that cut runs, and the long runs over several batches
      List<VectorSchemaRoot> left = GroupedData.batches(allocator, lk, 7, 0, 700, 9000, 12_000, lk.length - 21_707);
      List<VectorSchemaRoot> right = CogroupData.rights(allocator, rk, 5, 1000, 0, 7000, rk.length - 8005);
      List<Object> results = Collections.emptyList();
      try (WorkerRegistry registry = registry(v.mode)) {
        CogroupedMapCodec.Builder b = builder(allocator, v.kind.source, fn, schema);
        if (keyArg) b.withKeyArgument();
        try (PythonRunner runner = PythonRunner.builder(registry).evalType(v.kind.build(b)).build()) {
          TaskResults<Object> out = runner.compute(ArrowCogroups.sortedBy(left.iterator(), KEY, right.iterator(),
              KEY), 0, TaskContext.of(0));
          results = drain(out);
          assertThat(out.metrics().recordsIn()).as("cogroups").isEqualTo(CogroupData.mainCogroups());
          CogroupData.assertMatchesOracle(dir, v.kind.name, v.kind.source, fn, keyArg, ColumnMatch.BY_NAME, null,
              schema, left, right, results, allocator);
        }
      } finally {
        ArrowData.closeAll(results);
        ArrowData.closeAll(left);
        ArrowData.closeAll(right);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void oneRowPerCogroup_byName_withoutKey_matchesTheOracle_overEmptySidesAndNullKeys(Variant v) throws Exception {
    sortedInput_matchesTheOracle(v, "summary", SUMMARY, false);
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void bothSidesStacked_withKey_matchesTheOracle_andComesInBatchesOfAtMost10000(Variant v) throws Exception {
    sortedInput_matchesTheOracle(v, "stacked", STACKED, true);
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void callerDelimitedCogroups_byPosition_skipOnesWithoutRows_andKeepEmptySidesAndSpanningSides(Variant v)
      throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] lk = {1L, 1L, 1L, 2L, 2L, 2L, 7L};
      List<VectorSchemaRoot> left = GroupedData.batches(allocator, lk, 3, 2, 1, 1);
      Integer[] rk = {1, 1, null, null, null, null};
      List<VectorSchemaRoot> right = CogroupData.rights(allocator, rk, 2, 0, 4);
      List<ArrowCogroup> cogroups = List.of(
          ArrowCogroup.of(List.of(1L), left.subList(0, 1), right.subList(0, 1)),
          ArrowCogroup.of(List.of(9L), List.of(), List.of()), // no rows: not sent
          ArrowCogroup.of(Arrays.asList((Object) null), List.of(), right.subList(1, 3)), // a zero-row batch, 4 rows
          ArrowCogroup.of(List.of(2L), left.subList(1, 3), List.of()), // the left side over two batches
          ArrowCogroup.of(List.of(7L), left.subList(3, 4), List.of())); // the function returns no row
      List<Object> results = Collections.emptyList();
      try (WorkerRegistry registry = registry(v.mode)) {
        CogroupedMapCodec codec = v.kind.build(builder(allocator, v.kind.source, "renamed", COUNTS)
            .match(ColumnMatch.BY_POSITION));
        try (PythonRunner runner = PythonRunner.builder(registry).evalType(codec).build()) {
          TaskResults<Object> out = runner.compute(cogroups.iterator(), 0, TaskContext.of(0));
          results = drain(out);
          assertThat(out.metrics().recordsIn()).isEqualTo(5);
          assertThat(GroupedData.rows(results)).isEqualTo("3\t2\tt0,t1\n0\t4\tt2,t3,t4,t5\n3\t0\t\n");
          CogroupData.assertMatchesOracle(dir, v.kind.name, v.kind.source, "renamed", false,
              ColumnMatch.BY_POSITION, List.of(List.of(3, 2), List.of(0, 0), List.of(0, 4), List.of(3, 0),
                  List.of(1, 0)), COUNTS, left, right, results, allocator);
        }
      } finally {
        ArrowData.closeAll(results);
        ArrowData.closeAll(left);
        ArrowData.closeAll(right);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void emptyPartition_sendsNothing_givesNoResult_andTheWorkerServesTheNextTask(Variant v) {
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = registry(v.mode);
        PythonRunner runner = PythonRunner.builder(registry).evalType(v.kind.build(builder(allocator,
            v.kind.source, "summary", SUMMARY))).build()) {
      assertThat(drain(runner.compute(Collections.emptyIterator(), 0, TaskContext.of(0)))).isEmpty();
      List<VectorSchemaRoot> left = GroupedData.batches(allocator, new Long[] {4L, 4L}, 2);
      List<VectorSchemaRoot> right = CogroupData.rights(allocator, new Integer[] {6}, 1);
      TaskResults<Object> next = runner.compute(ArrowCogroups.sortedBy(left.iterator(), KEY, right.iterator(), KEY),
          1, TaskContext.of(1));
      List<Object> got = drain(next);
      assertThat(GroupedData.rows(got)).isEqualTo("4\t2\t0\t0.25\n6\t0\t1\t0.0\n");
      assertThat(next.metrics().reusedWorker()).isEqualTo(v.mode == WorkerMode.DAEMON);
      ArrowData.closeAll(got);
      ArrowData.closeAll(left);
      ArrowData.closeAll(right);
    }
  }

  static final String FAILING = """
      import os
      import pandas as pd
      import pyarrow as pa

      def first(key):
          return key[0].as_py() if isinstance(key[0], pa.Scalar) else key[0]

      def boom(key, left, right):
          if first(key) == 3:
              raise ValueError('bad cogroup %r' % (key,))
          return left[['k']] if isinstance(left, pd.DataFrame) else left.select(['k'])

      def die(key, left, right):
          if key[0] == 3:
              os._exit(3)
          return left[['k']]

      def wrong_name(left, right):
          return pd.DataFrame({'x': left.k})

      def series(left, right):
          return left.k

      def lossy(left, right):
          return pd.DataFrame({'k': left.v})

      def narrow(left, right):
          return pa.table({'k': left['k'].cast(pa.int32())})

      def frame(left, right):
          return left.to_pandas()
      """;
  static final Schema K = new Schema(List.of(Field.nullable("k", INT64)));

  /**
   * Left keys null, null, 1, 1, 2, 2, 3, 3, 4, 4 and right keys 1, 3, 3, 5: cogroup 3 has key 3. Asserts the task
   * fails as given.
   */
  void assertFails(WorkerMode mode, Kind kind, String fn, boolean keyArg, Class<? extends RuntimeException> type,
      String message) {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> left = GroupedData.batches(allocator,
          new Long[] {null, null, 1L, 1L, 2L, 2L, 3L, 3L, 4L, 4L}, 5, 5);
      List<VectorSchemaRoot> right = CogroupData.rights(allocator, new Integer[] {1, 3, 3, 5}, 4);
      CogroupedMapCodec.Builder b = builder(allocator, FAILING, fn, K);
      if (keyArg) b.withKeyArgument();
      try (WorkerRegistry registry = registry(mode);
          PythonRunner runner = PythonRunner.builder(registry).evalType(kind.build(b))
              .killTimeout(Duration.ofSeconds(2)).build()) {
        TaskResults<Object> out = runner.compute(ArrowCogroups.sortedBy(left.iterator(), KEY, right.iterator(),
            KEY), 0, TaskContext.of(0));
        ArrowData.assertDrainFails(out).isInstanceOf(type).hasMessageContaining(message);
      } finally {
        ArrowData.closeAll(left);
        ArrowData.closeAll(right);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void exceptionInTheUdf_isAPythonException_withItsTraceback_theCogroupIndexAndKey(WorkerMode mode) {
    assertFails(mode, Kind.PANDAS, "boom", true, PythonException.class, "ValueError: bad cogroup (3,)");
    assertFails(mode, Kind.ARROW, "boom", true, PythonException.class,
        "while running UDF boom of SQL_COGROUPED_MAP_ARROW_UDF on cogroup 3 (key (3)) of partition 0");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void workerThatDiesMidStream_isAWorkerCrashedException(WorkerMode mode) {
    assertFails(mode, Kind.PANDAS, "die", true, WorkerCrashedException.class, "");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void wrongResults_failNamingTheUdfTheCogroupItsKeyAndBothSides(WorkerMode mode) {
    assertFails(mode, Kind.PANDAS, "wrong_name", false, PythonException.class,
        "UDF wrong_name of SQL_COGROUPED_MAP_PANDAS_UDF on cogroup 0 (key (None)) of partition 0 returned a"
            + " pandas.DataFrame with columns ['x'], but the declared result schema has ['k'] (matched by name):"
            + " missing ['k'], unexpected ['x']");
    assertFails(mode, Kind.PANDAS, "series", false, PythonException.class,
        "UDF series of SQL_COGROUPED_MAP_PANDAS_UDF on cogroup 0 (key (None)) of partition 0 returned a Series;"
            + " a SQL_COGROUPED_MAP_PANDAS_UDF function returns a pandas.DataFrame with columns ['k']");
    assertFails(mode, Kind.ARROW, "frame", false, PythonException.class,
        "UDF frame of SQL_COGROUPED_MAP_ARROW_UDF on cogroup 0 (key (None)) of partition 0 returned a DataFrame;"
            + " a SQL_COGROUPED_MAP_ARROW_UDF function returns a pyarrow.Table of schema (k: int64)");
    assertFails(mode, Kind.ARROW, "narrow", false, PythonException.class,
        "UDF narrow of SQL_COGROUPED_MAP_ARROW_UDF on cogroup 0 (key (None)) of partition 0 returned column 'k' of"
            + " type int32, but the declared result schema has 'k' of type int64");
    assertFails(mode, Kind.PANDAS, "lossy", false, PythonException.class,
        "UDF lossy of SQL_COGROUPED_MAP_PANDAS_UDF on cogroup 0 (key (None)) of partition 0 returned column 'k' of"
            + " dtype float64, which does not convert to the declared type int64 of 'k' without loss");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void badInput_failsTheTask_naming_theElement_theSideAndBothSchemas_orTheUnsortedRows(WorkerMode mode) {
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = registry(mode);
        PythonRunner runner = PythonRunner.builder(registry).evalType(builder(allocator, FAILING, "series", K)
            .pandas()).build()) {
      TaskResults<Object> out = runner.compute(List.of("not a cogroup").iterator(), 0, TaskContext.of(0));
      assertThatThrownBy(() -> drain(out)).isInstanceOf(PythonWorkerException.class)
          .hasMessageContaining("input element 0 of partition 0 is a java.lang.String; SQL_COGROUPED_MAP_PANDAS_UDF"
              + " input elements are dev.pyworkers.arrow.ArrowCogroup cogroups");
      out.close();

      List<VectorSchemaRoot> left = GroupedData.batches(allocator, new Long[] {1L, 2L, 1L}, 3);
      Iterator<ArrowCogroup> swapped = List.of(ArrowCogroup.of(List.of(1L), List.of(), left)).iterator();
      TaskResults<Object> bad = runner.compute(swapped, 0, TaskContext.of(0));
      assertThatThrownBy(() -> drain(bad)).isInstanceOf(PythonWorkerException.class)
          .hasMessageContaining("batch 0 of the right side of cogroup 0 (key [1]) of partition 0 has schema"
              + " Schema<k: Int(64, true), s: Utf8, v: FloatingPoint(DOUBLE)>, but the declared right schema of"
              + " SQL_COGROUPED_MAP_PANDAS_UDF UDF series is Schema<id: Int(32, true), w: FloatingPoint(DOUBLE),"
              + " tag: Utf8> (and the other side's Schema<k: Int(64, true), s: Utf8, v: FloatingPoint(DOUBLE)>)");
      bad.close();

      TaskResults<Object> unsorted = runner.compute(ArrowCogroups.sortedBy(left.iterator(), KEY,
          Collections.emptyIterator(), KEY), 0, TaskContext.of(0));
      assertThatThrownBy(() -> drain(unsorted)).isInstanceOf(PythonWorkerException.class)
          .hasMessageContaining("the left side of the cogroup input is not sorted by its key columns [0]: row 2 of"
              + " its batch 0 has key [1], but a run of key [2] started before it, at row 1 of batch 0");
      unsorted.close();
      ArrowData.closeAll(left);
    }
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void cancelInTheMiddleOfACogroup_killsTheWorkerWithinTheKillTimeout_andLeavesNoArrowMemory(Variant v)
      throws Exception {
    Path started = dir.resolve("started");
    String src = "import time\n\ndef slow(left, right):\n    if len(left) > 1:\n        open("
        + "'" + started.toString().replace("\\", "\\\\").replace("'", "\\'") + "', 'w').close()\n"
        + "        time.sleep(600)\n    return " + (v.kind == Kind.PANDAS ? "left[['k']]" : "left.select(['k'])")
        + "\n";
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> left = GroupedData.batches(allocator, new Long[] {1L, 2L, 2L, 3L}, 4);
      List<VectorSchemaRoot> right = CogroupData.rights(allocator, new Integer[] {1, 2, 3}, 3);
      try (WorkerRegistry registry = registry(v.mode);
          PythonRunner runner = PythonRunner.builder(registry).evalType(v.kind.build(builder(allocator, src, "slow",
              K))).killTimeout(Duration.ofSeconds(2)).build()) {
        TaskContext ctx = TaskContext.of(0);
        ArrowData.assertCancelEndsTheTask(runner.compute(ArrowCogroups.sortedBy(left.iterator(), KEY, right.iterator(),
            KEY), 0, ctx), ctx, started);
      } finally {
        ArrowData.closeAll(left);
        ArrowData.closeAll(right);
      }
    }
  }

  @Test
  void keyColumnsOutsideTheDeclaredSchemas_orOfUnequalCount_failAtBuild() {
    try (BufferAllocator allocator = new RootAllocator()) {
      CogroupedMapCodec.Builder b = CogroupedMapCodec.builder(allocator, TestPython.source(FAILING, "series"),
          CogroupData.LEFT, CogroupData.RIGHT, K);
      assertThatThrownBy(() -> b.keyColumns(new int[] {0}, new int[] {3}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key column 3 of the right side of cogrouped map UDF series is not a column of its declared"
              + " schema, which has 3 columns [id, w, tag]; give key columns from 0 to 2");
      assertThatThrownBy(() -> b.keyColumns(new int[] {0, 1}, new int[] {0}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("cogrouped map UDF series has 2 left key columns [0, 1] and 1 right key columns [0]; give"
              + " both sides the same number of keys");
      assertThatThrownBy(() -> b.keyColumns(null, new int[] {0})).isInstanceOf(NullPointerException.class)
          .hasMessage("left key columns");
      assertThatThrownBy(() -> b.keyColumns(new int[] {0}, null)).isInstanceOf(NullPointerException.class)
          .hasMessage("right key columns");
      CogroupedMapCodec.Builder pickled = CogroupedMapCodec.builder(allocator,
          dev.pyworkers.PythonFunction.cloudpickle(new byte[] {1}), CogroupData.LEFT, CogroupData.RIGHT, K);
      assertThatThrownBy(() -> pickled.keyColumns(new int[] {0}, new int[] {0, 1}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("cogrouped map UDF <cloudpickled> has 1 left key columns");
    }
  }

  @Test
  void workerWithoutPyarrowAndPandas_failsTheTaskWithTheInstallHint(@TempDir Path venv) throws Exception {
    Process p = new ProcessBuilder(TestPython.executable(), "-m", "venv", "--without-pip", venv.toString())
        .redirectErrorStream(true).start();
    try {
      assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).as("venv is made").isTrue();
      assertThat(p.exitValue()).isZero();
    } finally {
      p.destroyForcibly();
    }
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = registry(WorkerMode.DAEMON);
        PythonRunner runner = PythonRunner.builder(registry).pythonExecutable(venv.resolve("bin/python").toString())
            .evalType(builder(allocator, PANDAS, "summary", SUMMARY).pandas()).build()) {
      List<VectorSchemaRoot> left = GroupedData.batches(allocator, new Long[] {1L}, 1);
      TaskResults<Object> out = runner.compute(List.of(ArrowCogroup.of(List.of(1L), left, List.of())).iterator(), 0,
          TaskContext.of(0));
      assertThatThrownBy(() -> drain(out)).isInstanceOfSatisfying(PythonException.class, e -> {
        assertThat(e.pythonType()).isEqualTo("HandlerUnavailable");
        assertThat(e.pythonMessage()).contains("eval type 206").contains("pip install");
      });
      out.close();
      ArrowData.closeAll(left);
    }
  }
}
