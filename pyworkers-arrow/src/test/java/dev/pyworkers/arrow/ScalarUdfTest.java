package dev.pyworkers.arrow;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.PythonException;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.TaskCancelledException;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerCrashedException;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SQL_SCALAR_PANDAS_UDF and SQL_SCALAR_ARROW_UDF through the public runner against real workers, daemon and simple:
 * results equal the in-process oracle's over every type of the slice with nulls, and the failures are the documented
 * ones. Every test closes its root allocator, which throws on any buffer left allocated.
 */
@ExtendWith(NoLeaks.class)
class ScalarUdfTest {
  static final String PANDAS_SOURCE = """
      def ident(s):
          return s

      def plus_one(s):
          return s + 1

      def upper(s):
          return s.str.upper()

      def add(a, b):
          return a + b
      """;
  static final String ARROW_SOURCE = """
      import pyarrow.compute as pc

      def ident(a):
          return a

      def plus_one(a):
          return pc.add(a, 1)

      def upper(a):
          return pc.utf8_upper(a)

      def add(a, b):
          return pc.add(a, b)
      """;
  static final String ROWS_SOURCE = """
      def ident(v):
          return v

      def plus_one(v):
          return None if v is None else v + 1

      def upper(v):
          return None if v is None else v.upper()

      def add(a, b):
          return None if a is None or b is None else a + b
      """;
  /** Batches of 0, 1, 100, 10,000 and 37 rows: a zero-row batch, a large one, many. */
  static final int[] SIZES = {3, 0, 1, 100, 10_000, 37};

  @TempDir Path dir;

  static WorkerRegistry registry(WorkerMode mode) {
    return WorkerRegistry.create(TestPython.config().mode(mode).build());
  }

  static PythonFunction fn(String source, String name) {
    return TestPython.source(source, name);
  }

  /** One identity UDF per column (declared the column's type), then plus_one, upper and add on int64/string. */
  static List<ArrowUdf> udfs(String source) {
    List<ArrowUdf> udfs = new ArrayList<>();
    for (int c = 0; c < ArrowData.TYPES.size(); c++) udfs.add(ArrowUdf.of(fn(source, "ident"), ArrowData.TYPES.get(c), c));
    udfs.add(ArrowUdf.of(fn(source, "plus_one"), new ArrowType.Int(64, true), ArrowData.INT64));
    udfs.add(ArrowUdf.of(fn(source, "upper"), ArrowType.Utf8.INSTANCE, ArrowData.UTF8));
    udfs.add(ArrowUdf.of(fn(source, "add"), new ArrowType.Int(64, true), ArrowData.INT64, ArrowData.INT64));
    return udfs;
  }

  void everyType_matchesTheOracle(WorkerMode mode, String kind, String source,
      BiFunction<BufferAllocator, List<ArrowUdf>, ScalarArrowCodec> codecOf) throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = ArrowData.batches(allocator, SIZES);
      List<Object> results = Collections.emptyList();
      try (WorkerRegistry registry = registry(mode)) {
        ScalarArrowCodec codec = codecOf.apply(allocator, udfs(source));
        try (PythonRunner runner = PythonRunner.builder(registry).evalType(codec).build()) {
          TaskResults<Object> out = runner.compute(input.iterator(), 0, TaskContext.of(0));
          results = drain(out);
          assertThat(out.metrics().recordsIn()).isEqualTo(SIZES.length);
          assertThat(out.metrics().recordsOut()).isEqualTo(SIZES.length);
          ArrowData.assertMatchesOracle(dir, kind, source, codec.udfs(), codec.resultSchema(), input, results,
              allocator);
        }
      } finally {
        ArrowData.closeAll(results);
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void pandasUdfs_overEveryTypeWithNulls_matchThePandasOracle(WorkerMode mode) throws Exception {
    everyType_matchesTheOracle(mode, "pandas", PANDAS_SOURCE, ScalarArrowCodec::pandas);
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void arrowUdfs_overEveryTypeWithNulls_matchThePyarrowOracle(WorkerMode mode) throws Exception {
    everyType_matchesTheOracle(mode, "arrow", ARROW_SOURCE, ScalarArrowCodec::arrow);
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void rowFunctions_overEveryTypeWithNulls_matchThePlainPythonOracle(WorkerMode mode) throws Exception {
    everyType_matchesTheOracle(mode, "rows", ROWS_SOURCE, ScalarArrowCodec::rows);
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void rowFunctionThatRaises_namesTheUdfTheBatchTheRowAndItsArguments(WorkerMode mode) {
    String src = "def f(x):\n    if x == 23:\n        raise ValueError('no 23')\n    return x\n";
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = longs(allocator, 4, 10);
      try (WorkerRegistry registry = registry(mode);
          PythonRunner runner = runner(registry, ScalarArrowCodec.rows(allocator,
              List.of(ArrowUdf.of(fn(src, "f"), new ArrowType.Int(64, true), 0))))) {
        List<Object> got = new ArrayList<>();
        TaskResults<Object> out = runner.compute(input.iterator(), 3, TaskContext.of(3));
        try {
          assertThatThrownBy(() -> {
            while (out.hasNext()) got.add(out.next());
          }).isInstanceOfSatisfying(PythonException.class, e -> {
            assertThat(e.pythonType()).isEqualTo("ValueError");
            assertThat(e.traceback()).contains("on row 3 of the batch, arguments (23)")
                .contains("while running UDF 1 (f) on input batch 2 of partition 3");
          });
          assertThat(got).hasSize(2);
        } finally {
          out.close();
          ArrowData.closeAll(got);
        }
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void rowFunctionReturningAFractionForAnInt64_failsNamingTheValueAndTheRow_insteadOfTruncating(WorkerMode mode) {
    String src = "def f(x):\n    return x / 2\n";
    assertFails(mode, ScalarArrowCodec::rows, src, "f", PythonException.class,
        "UDF 1 (f) on input batch 0 of partition 0 returned 0.5 (a float) on row 1, which its declared result type"
            + " int64 would change into 0");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void rowFunctionReturningWholeFloatsForAnInt64_isCastBack(WorkerMode mode) {
    String src = "def f(x):\n    return x * 2.0\n";
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = registry(mode);
        PythonRunner runner = runner(registry, ScalarArrowCodec.rows(allocator,
            List.of(ArrowUdf.of(fn(src, "f"), new ArrowType.Int(64, true), 0))))) {
      List<VectorSchemaRoot> input = longs(allocator, 1, 5);
      List<Object> got = drain(runner.compute(input.iterator(), 0, TaskContext.of(0)));
      BigIntVector v = (BigIntVector) ((VectorSchemaRoot) got.get(0)).getVector(0);
      assertThat(List.of(v.get(0), v.get(1), v.get(4))).containsExactly(0L, 2L, 8L);
      ArrowData.closeAll(got);
      ArrowData.closeAll(input);
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void rowFunctionReturningAStringForAnInt64_failsNamingTheValue(WorkerMode mode) {
    String src = "def f(x):\n    return 'x%d' % x\n";
    assertFails(mode, ScalarArrowCodec::rows, src, "f", PythonException.class,
        "returned 'x0' (a str) on row 0, which does not convert to its declared result type int64");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void emptyInput_givesNoResultBatch_andTheWorkerIsReused(WorkerMode mode) {
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = registry(mode);
        PythonRunner runner = PythonRunner.builder(registry)
            .evalType(ScalarArrowCodec.pandas(allocator, udfs(PANDAS_SOURCE))).build()) {
      TaskResults<Object> out = runner.compute(Collections.emptyIterator(), 0, TaskContext.of(0));
      assertThat(drain(out)).isEmpty();
      List<VectorSchemaRoot> one = ArrowData.batches(allocator, 5);
      TaskResults<Object> next = runner.compute(one.iterator(), 1, TaskContext.of(1));
      List<Object> got = drain(next);
      assertThat(got).hasSize(1);
      assertThat(((VectorSchemaRoot) got.get(0)).getRowCount()).isEqualTo(5);
      ArrowData.closeAll(got);
      ArrowData.closeAll(one);
    }
  }

  /** A single int64 column, for the failure tests. */
  static List<VectorSchemaRoot> longs(BufferAllocator allocator, int batches, int rows) {
    List<VectorSchemaRoot> out = new ArrayList<>();
    for (int b = 0; b < batches; b++) {
      VectorSchemaRoot root = VectorSchemaRoot.create(
          new org.apache.arrow.vector.types.pojo.Schema(List.of(org.apache.arrow.vector.types.pojo.Field.nullable(
              "x", new ArrowType.Int(64, true)))), allocator);
      BigIntVector v = (BigIntVector) root.getVector(0);
      v.allocateNew(rows);
      for (int r = 0; r < rows; r++) v.set(r, (long) b * rows + r);
      root.setRowCount(rows);
      out.add(root);
    }
    return out;
  }

  static PythonRunner runner(WorkerRegistry registry, ScalarArrowCodec codec) {
    return PythonRunner.builder(registry).evalType(codec).killTimeout(Duration.ofSeconds(2)).build();
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void exceptionInAPandasUdf_isAPythonExceptionWithItsTracebackAndBatchIndex_andTheWorkerServesTheNextTask(
      WorkerMode mode) {
    String src = "def f(s):\n    if s.iloc[0] >= 20:\n        raise ValueError('too big: %d' % s.iloc[0])\n"
        + "    return s * 2\n";
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = registry(mode);
        PythonRunner runner = runner(registry, ScalarArrowCodec.pandas(allocator,
            List.of(ArrowUdf.of(fn(src, "f"), new ArrowType.Int(64, true), 0))))) {
      List<VectorSchemaRoot> input = longs(allocator, 5, 10);
      List<Object> got = new ArrayList<>();
      TaskResults<Object> out = runner.compute(input.iterator(), 4, TaskContext.of(4));
      assertThatThrownBy(() -> {
        while (out.hasNext()) got.add(out.next());
      }).isInstanceOfSatisfying(PythonException.class, e -> {
        assertThat(e.pythonType()).isEqualTo("ValueError");
        assertThat(e.pythonMessage()).isEqualTo("too big: 20");
        assertThat(e.traceback()).contains("in f").contains("ValueError: too big: 20")
            .contains("while running UDF 1 (f) on input batch 2 of partition 4");
      });
      assertThat(got).hasSize(2);
      out.close();
      ArrowData.closeAll(got);
      List<VectorSchemaRoot> small = longs(allocator, 1, 3);
      TaskResults<Object> next = runner.compute(small.iterator(), 5, TaskContext.of(5));
      List<Object> ok = drain(next);
      assertThat(((BigIntVector) ((VectorSchemaRoot) ok.get(0)).getVector(0)).get(2)).isEqualTo(4L);
      assertThat(next.metrics().reusedWorker()).isEqualTo(mode == WorkerMode.DAEMON);
      ArrowData.closeAll(ok);
      ArrowData.closeAll(small);
      ArrowData.closeAll(input);
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void arrowUdfReturningAnotherType_failsNamingTheUdfTheBatchAndBothTypes(WorkerMode mode) {
    String src = "def narrow(a):\n    return a.cast('int32')\n";
    assertFails(mode, ScalarArrowCodec::arrow, src, "narrow", PythonException.class,
        "UDF 1 (narrow) on input batch 0 of partition 0 returned a pyarrow.Array of type int32, but its declared"
            + " result type is int64");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void pandasResultThatLosesPrecision_failsNamingTheUdfTheBatchAndTheTypes(WorkerMode mode) {
    String src = "def half(s):\n    return s / 2\n";
    assertFails(mode, ScalarArrowCodec::pandas, src, "half", PythonException.class,
        "UDF 1 (half) on input batch 0 of partition 0 returned values of dtype float64 that do not convert to its"
            + " declared result type int64 without loss");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void resultOfAnotherLength_failsNamingTheUdfAndBothLengths(WorkerMode mode) {
    String src = "def head(s):\n    return s.iloc[:2]\n";
    assertFails(mode, ScalarArrowCodec::pandas, src, "head", PythonException.class,
        "UDF 1 (head) on input batch 0 of partition 0 returned 2 values for a batch of 10 rows");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void workerThatDiesMidStream_isAWorkerCrashedException(WorkerMode mode) {
    String src = "import os\n\ndef die(s):\n    if s.iloc[0] >= 20:\n        os._exit(3)\n    return s\n";
    assertFails(mode, ScalarArrowCodec::pandas, src, "die", WorkerCrashedException.class, "");
  }

  void assertFails(WorkerMode mode, BiFunction<BufferAllocator, List<ArrowUdf>, ScalarArrowCodec> codecOf,
      String src, String name, Class<? extends RuntimeException> type, String message) {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = longs(allocator, 4, 10);
      try (WorkerRegistry registry = registry(mode);
          PythonRunner runner = runner(registry,
              codecOf.apply(allocator, List.of(ArrowUdf.of(fn(src, name), new ArrowType.Int(64, true), 0))))) {
        TaskResults<Object> out = runner.compute(input.iterator(), 0, TaskContext.of(0));
        ArrowData.assertDrainFails(out).isInstanceOf(type).hasMessageContaining(message);
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void cancelInTheMiddleOfABatch_killsTheWorkerWithinTheKillTimeout(WorkerMode mode) {
    Path started = dir.resolve("started");
    String src = "import time\n\ndef slow(s):\n    open(" + pyString(started.toString()) + ", 'w').close()\n"
        + "    time.sleep(600)\n    return s\n";
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = longs(allocator, 3, 10);
      try (WorkerRegistry registry = registry(mode);
          PythonRunner runner = runner(registry, ScalarArrowCodec.pandas(allocator,
              List.of(ArrowUdf.of(fn(src, "slow"), new ArrowType.Int(64, true), 0))))) {
        TaskContext ctx = TaskContext.of(0);
        TaskResults<Object> out = runner.compute(input.iterator(), 0, ctx);
        try {
          // the UDF is inside its first batch once it made the file
          Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(started));
          long cancelled = System.nanoTime();
          ctx.interrupt("test cancel");
          assertThatThrownBy(() -> drain(out)).isInstanceOf(TaskCancelledException.class)
              .hasMessageContaining("test cancel");
          // the kill timeout (2 s) and the kill itself, with room for a loaded machine
          assertThat(Duration.ofNanos(System.nanoTime() - cancelled)).isLessThan(Duration.ofSeconds(6));
        } finally {
          out.close();
        }
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  private static String pyString(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void inputThatIsNotABatch_failsTheTaskNamingTheElementAndWhatIsExpected(WorkerMode mode) {
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = registry(mode);
        PythonRunner runner = runner(registry, ScalarArrowCodec.pandas(allocator,
            List.of(ArrowUdf.of(fn(PANDAS_SOURCE, "ident"), new ArrowType.Int(64, true), 0))))) {
      TaskResults<Object> out = runner.compute(List.of("not a batch").iterator(), 0, TaskContext.of(0));
      assertThatThrownBy(() -> drain(out)).isInstanceOf(PythonWorkerException.class)
          .hasMessageContaining("input element 0 of partition 0 is a java.lang.String; SQL_SCALAR_PANDAS_UDF input"
              + " elements are org.apache.arrow.vector.VectorSchemaRoot batches");
      out.close();
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void resultsClosedEarly_withABatchReadButNotTaken_leaveNoArrowMemory(WorkerMode mode) {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = longs(allocator, 5, 1000);
      try (WorkerRegistry registry = registry(mode);
          PythonRunner runner = runner(registry, ScalarArrowCodec.arrow(allocator,
              List.of(ArrowUdf.of(fn(ARROW_SOURCE, "plus_one"), new ArrowType.Int(64, true), 0))))) {
        TaskResults<Object> out = runner.compute(input.iterator(), 0, TaskContext.of(0));
        assertThat(out.hasNext()).isTrue();
        try (VectorSchemaRoot first = (VectorSchemaRoot) out.next()) {
          assertThat(((BigIntVector) first.getVector(0)).get(999)).isEqualTo(1000L);
        }
        assertThat(out.hasNext()).isTrue(); // the second batch is read, and held by the task until next()
        out.close();
      } finally {
        ArrowData.closeAll(input);
      }
      assertThat(allocator.getAllocatedMemory()).isZero();
    }
  }
}
