package dev.pyworkers.arrow;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.PythonException;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.TaskCancelledException;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerCrashedException;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.spi.EvalTypeCodec;
import dev.pyworkers.testing.NoLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * mapInPandas, mapInArrow and the scalar iterator UDFs (204, 205, 207, 251) through the public runner against real
 * workers, daemon and simple: results equal the in-process oracle's over every type of slice 1 with nulls, output
 * starts lazily and the worker streams, and the failures are the documented ones. Every test closes its root
 * allocator, which throws on any buffer left allocated.
 */
@ExtendWith(NoLeaks.class)
class MapIterUdfTest {
  /** Each batch as it is, then its rows with a non-null int64, then (after the input) one more copy of batch 0. */
  static final String MAP_PANDAS = """
      def f(it):
          first = None
          for df in it:
              if first is None:
                  first = df
              yield df
              yield df[df.c3.notna()]
          if first is not None:
              yield first
      """;
  static final String MAP_ARROW = """
      import pyarrow.compute as pc

      def f(it):
          first = None
          for b in it:
              if first is None:
                  first = b
              yield b
              yield b.filter(pc.is_valid(b.column(3)))
          if first is not None:
              yield first
      """;
  /** Regroups the rows: the results do not line up with the input batches, their rows do. */
  static final String ITER_PANDAS = """
      import pandas as pd

      def f(it):
          held = []
          for s in it:
              held.append(s + 1)
              if len(held) == 2:
                  yield pd.concat(held)
                  held = []
          if held:
              yield pd.concat(held)
      """;
  static final String ITER_ARROW = """
      import pyarrow.compute as pc

      def f(it):
          for a in it:
              yield pc.add(a, 1)
      """;
  static final int[] SIZES = {3, 0, 1, 100, 10_000, 37};
  static final Schema LONGS = new Schema(List.of(Field.nullable("x", new ArrowType.Int(64, true))));
  /** The result schema of a scalar iterator UDF declared int64. */
  static final Schema RESULT_0 = new Schema(List.of(Field.nullable("_0", new ArrowType.Int(64, true))));

  @TempDir Path dir;

  static PythonRunner runner(WorkerRegistry registry, EvalTypeCodec codec) {
    return PythonRunner.builder(registry).evalType(codec).killTimeout(Duration.ofSeconds(2)).build();
  }

  void matchesTheOracle(WorkerMode mode, String kind, String source, int[] offsets,
      java.util.function.Function<BufferAllocator, EvalTypeCodec> codecOf, Schema resultSchema) throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = ArrowData.batches(allocator, SIZES);
      List<Object> results = Collections.emptyList();
      try (WorkerRegistry registry = ScalarUdfTest.registry(mode);
          PythonRunner runner = runner(registry, codecOf.apply(allocator))) {
        TaskResults<Object> out = runner.compute(input.iterator(), 0, TaskContext.of(0));
        results = drain(out);
        assertThat(out.metrics().recordsIn()).isEqualTo(SIZES.length);
        IterOracle.assertMatches(dir, kind, source, "f", offsets, resultSchema, input, results, allocator);
      } finally {
        ArrowData.closeAll(results);
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void mapInPandas_overEveryTypeWithNulls_moreRowsThanItGot_matchesThePandasOracle(WorkerMode mode)
      throws Exception {
    matchesTheOracle(mode, "map_pandas", MAP_PANDAS, new int[0],
        a -> MapArrowCodec.pandas(a, ScalarUdfTest.fn(MAP_PANDAS, "f"), ArrowData.schema()), ArrowData.schema());
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void mapInArrow_overEveryTypeWithNulls_moreRowsThanItGot_matchesThePyarrowOracle(WorkerMode mode)
      throws Exception {
    matchesTheOracle(mode, "map_arrow", MAP_ARROW, new int[0],
        a -> MapArrowCodec.arrow(a, ScalarUdfTest.fn(MAP_ARROW, "f"), ArrowData.schema()), ArrowData.schema());
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void scalarPandasIter_regroupingRows_matchesThePandasOracle(WorkerMode mode) throws Exception {
    ArrowUdf udf = ArrowUdf.of(ScalarUdfTest.fn(ITER_PANDAS, "f"), new ArrowType.Int(64, true), ArrowData.INT64);
    matchesTheOracle(mode, "iter_pandas", ITER_PANDAS, new int[] {ArrowData.INT64},
        a -> ScalarIterArrowCodec.pandas(a, udf), RESULT_0);
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void scalarArrowIter_matchesThePyarrowOracle(WorkerMode mode) throws Exception {
    ArrowUdf udf = ArrowUdf.of(ScalarUdfTest.fn(ITER_ARROW, "f"), new ArrowType.Int(64, true), ArrowData.INT64);
    matchesTheOracle(mode, "iter_arrow", ITER_ARROW, new int[] {ArrowData.INT64},
        a -> ScalarIterArrowCodec.arrow(a, udf), RESULT_0);
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void emptyPartition_andAFunctionThatYieldsNothing_giveNoResult_andTheWorkerIsReused(WorkerMode mode) {
    String src = "def f(it):\n    for _ in it:\n        pass\n    return iter(())\n";
    try (BufferAllocator allocator = new RootAllocator();
        WorkerRegistry registry = ScalarUdfTest.registry(mode);
        PythonRunner runner = runner(registry, MapArrowCodec.pandas(allocator, ScalarUdfTest.fn(src, "f"),
            LONGS))) {
      assertThat(drain(runner.compute(Collections.emptyIterator(), 0, TaskContext.of(0)))).isEmpty();
      List<VectorSchemaRoot> input = ScalarUdfTest.longs(allocator, 3, 10);
      TaskResults<Object> out = runner.compute(input.iterator(), 1, TaskContext.of(1));
      assertThat(drain(out)).isEmpty();
      assertThat(out.metrics().reusedWorker()).isEqualTo(mode == WorkerMode.DAEMON);
      ArrowData.closeAll(input);
    }
  }

  /**
   * 2,000 batches, and the input iterator does not hand out batch 1,000 before the caller has received a result:
   * a worker that collected the partition before yielding would never get there (the wait times out).
   */
  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void manyBatches_streamThrough_aLazyFunctionGetsEachBatchAsItArrives(WorkerMode mode) {
    String src = "def f(it):\n    for df in it:\n        yield df.assign(x=df.x * 2)\n";
    int batches = 2000;
    int rows = 1000;
    CountDownLatch firstResult = new CountDownLatch(1);
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> made = Collections.synchronizedList(new ArrayList<>());
      Iterator<Object> input = new Iterator<>() {
        int next;

        @Override
        public boolean hasNext() {
          return next < batches;
        }

        @Override
        public Object next() {
          if (next >= batches) throw new NoSuchElementException();
          if (next == batches / 2) {
            try {
              if (!firstResult.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no result in 30 s after " + next + " input batches were sent");
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException(e);
            }
          }
          VectorSchemaRoot b = ScalarUdfTest.longs(allocator, 1, rows).get(0);
          BigIntVector v = (BigIntVector) b.getVector(0);
          for (int r = 0; r < rows; r++) v.set(r, (long) next * rows + r);
          made.add(b);
          next++;
          return b;
        }
      };
      try (WorkerRegistry registry = ScalarUdfTest.registry(mode);
          PythonRunner runner = runner(registry, MapArrowCodec.pandas(allocator, ScalarUdfTest.fn(src, "f"),
              LONGS))) {
        TaskResults<Object> out = runner.compute(input, 0, TaskContext.of(0));
        long count = 0;
        long sum = 0;
        while (out.hasNext()) {
          try (VectorSchemaRoot r = (VectorSchemaRoot) out.next()) {
            firstResult.countDown();
            BigIntVector v = (BigIntVector) r.getVector(0);
            for (int i = 0; i < r.getRowCount(); i++) sum += v.get(i);
            count += r.getRowCount();
          }
        }
        long n = (long) batches * rows;
        assertThat(count).isEqualTo(n);
        assertThat(sum).as("checksum").isEqualTo(n * (n - 1));
      } finally {
        ArrowData.closeAll(made);
      }
    }
  }

  void assertFails(WorkerMode mode, EvalTypeCodec codec, BufferAllocator allocator, Class<?> type,
      String... messages) {
    List<VectorSchemaRoot> input = ScalarUdfTest.longs(allocator, 4, 10);
    try (WorkerRegistry registry = ScalarUdfTest.registry(mode); PythonRunner runner = runner(registry, codec)) {
      TaskResults<Object> out = runner.compute(input.iterator(), 2, TaskContext.of(2));
      ArrowData.assertDrainFails(out).isInstanceOf(type).satisfies(e -> {
        String text = e instanceof PythonException p ? p.getMessage() + "\n" + p.traceback() : e.getMessage();
        for (String m : messages) assertThat(text).contains(m);
      });
    } finally {
      ArrowData.closeAll(input);
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void exceptionMidStream_isAPythonExceptionWithItsTracebackAndWhereItHappened(WorkerMode mode) {
    String src = "def f(it):\n    for df in it:\n        if df.x.iloc[0] >= 20:\n"
        + "            raise ValueError('too big: %d' % df.x.iloc[0])\n        yield df\n";
    try (BufferAllocator allocator = new RootAllocator()) {
      assertFails(mode, MapArrowCodec.pandas(allocator, ScalarUdfTest.fn(src, "f"), LONGS), allocator,
          PythonException.class, "ValueError: too big: 20", "while running the UDF (f) of SQL_MAP_PANDAS_ITER_UDF"
              + " at result batch 2 of partition 2 (after input batch 2)");
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void missingPandasColumn_failsNamingTheUdfTheBatchAndBothSides(WorkerMode mode) {
    String src = "def f(it):\n    for df in it:\n        yield df.rename(columns={'x': 'y'})\n";
    try (BufferAllocator allocator = new RootAllocator()) {
      assertFails(mode, MapArrowCodec.pandas(allocator, ScalarUdfTest.fn(src, "f"), LONGS), allocator,
          PythonException.class, "the UDF (f) of SQL_MAP_PANDAS_ITER_UDF at result batch 0 of partition 2 (after"
              + " input batch 0) yielded a DataFrame with columns ['y'], but the declared result schema is"
              + " (x: int64): missing ['x'], unexpected ['y']");
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void arrowBatchOfAnotherType_failsNamingBothSchemas(WorkerMode mode) {
    String src = "import pyarrow as pa\n\ndef f(it):\n    for b in it:\n"
        + "        yield pa.record_batch([b.column(0).cast('int32')], names=['x'])\n";
    try (BufferAllocator allocator = new RootAllocator()) {
      assertFails(mode, MapArrowCodec.arrow(allocator, ScalarUdfTest.fn(src, "f"), LONGS), allocator,
          PythonException.class, "yielded a batch of schema (x: int32), but the declared result schema is"
              + " (x: int64)");
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void scalarIterReturningMoreRowsThanItRead_failsFast(WorkerMode mode) {
    String src = "def f(it):\n    for s in it:\n        yield s\n        yield s\n";
    try (BufferAllocator allocator = new RootAllocator()) {
      assertFails(mode, ScalarIterArrowCodec.pandas(allocator,
              ArrowUdf.of(ScalarUdfTest.fn(src, "f"), new ArrowType.Int(64, true), 0)), allocator,
          PythonException.class, "returned 20 rows in total so far, more than the 10 rows of the 1 input batches"
              + " it has read");
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void scalarIterNotConsumingItsInput_fails(WorkerMode mode) {
    String src = "def f(it):\n    yield next(it)\n";
    try (BufferAllocator allocator = new RootAllocator()) {
      assertFails(mode, ScalarIterArrowCodec.arrow(allocator,
              ArrowUdf.of(ScalarUdfTest.fn(src, "f"), new ArrowType.Int(64, true), 0)), allocator,
          PythonException.class, "UDF 1 (f) of SQL_SCALAR_ARROW_ITER_UDF of partition 2 stopped after reading 1 of"
              + " its input batches: an iterator UDF must consume its whole input");
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void crashMidStream_isAWorkerCrashedException(WorkerMode mode) {
    String src = "import os\n\ndef f(it):\n    for b in it:\n        if b.column(0)[0].as_py() >= 20:\n"
        + "            os._exit(3)\n        yield b\n";
    try (BufferAllocator allocator = new RootAllocator()) {
      assertFails(mode, MapArrowCodec.arrow(allocator, ScalarUdfTest.fn(src, "f"), LONGS), allocator,
          WorkerCrashedException.class);
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void cancelInTheMiddleOfABatch_killsTheWorkerWithinTheKillTimeout(WorkerMode mode) {
    Path started = dir.resolve("started");
    String src = "import time\n\ndef f(it):\n    for df in it:\n        yield df\n        open('"
        + started.toString().replace("\\", "\\\\").replace("'", "\\'") + "', 'w').close()\n"
        + "        time.sleep(600)\n";
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = ScalarUdfTest.longs(allocator, 3, 10);
      List<Object> got = new ArrayList<>();
      try (WorkerRegistry registry = ScalarUdfTest.registry(mode);
          PythonRunner runner = runner(registry, MapArrowCodec.pandas(allocator, ScalarUdfTest.fn(src, "f"),
              LONGS))) {
        TaskContext ctx = TaskContext.of(0);
        TaskResults<Object> out = runner.compute(input.iterator(), 0, ctx);
        try {
          assertThat(out.hasNext()).isTrue();
          got.add(out.next()); // the first batch came back before the function stalled
          Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(started));
          long cancelled = System.nanoTime();
          ctx.interrupt("test cancel");
          assertThatThrownBy(() -> drain(out)).isInstanceOf(TaskCancelledException.class)
              .hasMessageContaining("test cancel");
          assertThat(Duration.ofNanos(System.nanoTime() - cancelled)).isLessThan(Duration.ofSeconds(6));
        } finally {
          out.close();
        }
      } finally {
        ArrowData.closeAll(got);
        ArrowData.closeAll(input);
      }
    }
  }
}
