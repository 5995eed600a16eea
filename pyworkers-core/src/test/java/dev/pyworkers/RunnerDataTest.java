package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Data through real workers: checksummed round trips, nulls, unicode, large records, empty partitions, threads. */
@ExtendWith(NoLeaks.class)
class RunnerDataTest {
  static final PythonFunction IDENTITY = TestPython.source("def ident(x):\n    return x\n", "ident");
  static final PythonFunction INC = TestPython.source("def inc(x):\n    return x + 1\n", "inc")
      .withReturnType(ReturnType.LONG);
  static final PythonFunction NON_UDF_IDENTITY =
      TestPython.source("def run(index, it):\n    return it\n", "run");

  static WorkerRegistry registry() {
    return WorkerRegistry.create(TestPython.config().build());
  }


  @Test
  void batchedUdf_millionRows_checksummedRoundTrip_andWorkerIsReused() {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, INC)).build()) {
      int n = 1_000_000;
      Iterator<Object[]> rows = LongStream.range(0, n).mapToObj(i -> new Object[] {i}).iterator();
      long sum = 0;
      long count = 0;
      CRC32 crc = new CRC32();
      long pid;
      try (TaskResults<Object> out = runner.compute(rows, 0, TaskContext.of(0))) {
        while (out.hasNext()) {
          long v = (Long) out.next();
          assertThat(v).isEqualTo(count + 1);
          sum += v;
          count++;
          crc.update(Long.toString(v).getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(out.metrics().recordsIn()).isEqualTo(n);
        assertThat(out.metrics().recordsOut()).isEqualTo(n);
        pid = out.metrics().workerPid();
      }
      assertThat(count).isEqualTo(n);
      assertThat(sum).isEqualTo((long) n * (n + 1) / 2);
      CRC32 expected = new CRC32();
      for (long i = 1; i <= n; i++) expected.update(Long.toString(i).getBytes(StandardCharsets.US_ASCII));
      assertThat(crc.getValue()).isEqualTo(expected.getValue());
      try (TaskResults<Object> again = runner.compute(List.<Object>of((Object) new Object[] {41L}).iterator(), 1,
          TaskContext.of(1))) {
        assertThat(drain(again)).containsExactly(42L);
        assertThat(again.metrics().workerPid()).isEqualTo(pid);
        assertThat(again.metrics().reusedWorker()).isTrue();
      }
    }
  }

  @Test
  void longResults_sameValuesWhetherABatchGoesTypedOrPickled() {
    // Batches of int-like results go as raw 64-bit ints, others pickled; the caller cannot tell which.
    String source = "class IntLike:\n    def __init__(self, v):\n        self.v = v\n"
        + "    def __index__(self):\n        return self.v\n\n"
        + "def f(x):\n"
        + "    if x is None:\n        return None\n"
        + "    if x % 7 == 3:\n        return x % 2 == 0\n"
        + "    if x % 11 == 5:\n        return IntLike(-x)\n"
        + "    return x * 1000003 if x < 9000 else 2 ** 62 + x\n";
    PythonFunction f = TestPython.source(source, "f").withReturnType(ReturnType.LONG);
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, f)).batchSize(100)
            .build()) {
      List<Object[]> rows = new ArrayList<>();
      for (long i = 0; i < 10_000; i++) rows.add(new Object[] {i >= 5000 && i < 5100 && i % 10 == 0 ? null : i});
      List<Object> got = drain(runner.compute(rows.iterator(), 0, TaskContext.of(0)));
      assertThat(got).hasSize(rows.size());
      for (int i = 0; i < rows.size(); i++) {
        Long x = (Long) rows.get(i)[0];
        Long want = x == null ? null : x % 7 == 3 ? (Long) (x % 2 == 0 ? 1L : 0L) : x % 11 == 5 ? (Long) (-x)
            : x < 9000 ? (Long) (x * 1000003) : (Long) ((1L << 62) + x);
        assertThat(got.get(i)).as("row " + i).isEqualTo(want);
      }
    }
  }

  @Test
  void nonUdf_millionRecords_eachFormat_checksummedRoundTrip() {
    for (RecordFormat format : new RecordFormat[] {RecordFormat.BYTES, RecordFormat.UTF8}) {
      try (WorkerRegistry registry = registry();
          PythonRunner runner = PythonRunner.builder(registry).nonUdf(NON_UDF_IDENTITY)
              .inputFormat(format).outputFormat(format).build()) {
        int n = 1_000_000;
        Iterator<Object> in = IntStream.range(0, n).mapToObj(i -> (Object) ("r" + i + "é")).iterator();
        CRC32 got = new CRC32();
        long count = 0;
        try (TaskResults<Object> out = runner.compute(in, 3, TaskContext.of(3))) {
          while (out.hasNext()) {
            Object r = out.next();
            byte[] b = r instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) r;
            got.update(b);
            count++;
          }
        }
        CRC32 expected = new CRC32();
        for (int i = 0; i < n; i++) expected.update(("r" + i + "é").getBytes(StandardCharsets.UTF_8));
        assertThat(count).as(format.toString()).isEqualTo(n);
        assertThat(got.getValue()).as(format.toString()).isEqualTo(expected.getValue());
      }
    }
  }

  @Test
  void nonUdf_pickledBatches_flattenAndRebatch() {
    PythonFunction doubler = TestPython.source(
        "def run(index, it):\n    for x in it:\n        yield x * 2\n", "run");
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).nonUdf(doubler).outputBatchSize(7).build()) {
      List<Object> in = new ArrayList<>();
      for (int b = 0; b < 10; b++) {
        List<Long> batch = new ArrayList<>();
        for (long i = 0; i < 10; i++) batch.add(b * 10L + i);
        in.add(Pickles.dumps(batch));
      }
      List<Long> values = new ArrayList<>();
      for (Object frame : drain(runner.compute(in.iterator(), 0, TaskContext.of(0)))) {
        List<?> batch = (List<?>) Pickles.loads((byte[]) frame);
        assertThat(batch.size()).isLessThanOrEqualTo(7);
        for (Object v : batch) values.add(((Number) v).longValue());
      }
      assertThat(values).isEqualTo(LongStream.range(0, 100).map(i -> i * 2).boxed().toList());
    }
  }

  @Test
  void nullsUnicodeAndNestedValues_roundTripBothWays() {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, IDENTITY)).build()) {
      List<Object> values = Arrays.asList(null, true, 7L, -3L, Long.MAX_VALUE, 2.5, "naïve ☃ 日本 🎉", "",
          new byte[] {0, 1, (byte) 255}, new BigDecimal("12345.6789"), List.of(1L, "two", List.of(3L)),
          Map.of("k", List.of(1L, 2L)), LocalDate.of(2024, 2, 29));
      List<Object[]> rows = values.stream().map(v -> new Object[] {v}).toList();
      List<Object> out = drain(runner.compute(rows.iterator(), 0, TaskContext.of(0)));
      assertThat(out).hasSize(values.size());
      assertThat(out.get(0)).isNull();
      assertThat(out.get(1)).isEqualTo(true);
      assertThat(((Number) out.get(2)).longValue()).isEqualTo(7L);
      assertThat(((Number) out.get(3)).longValue()).isEqualTo(-3L);
      assertThat(((Number) out.get(4)).longValue()).isEqualTo(Long.MAX_VALUE);
      assertThat(out.get(5)).isEqualTo(2.5);
      assertThat(out.get(6)).isEqualTo("naïve ☃ 日本 🎉");
      assertThat(out.get(7)).isEqualTo("");
      assertThat((byte[]) out.get(8)).containsExactly(0, 1, 255);
      assertThat(out.get(9)).isEqualTo(new BigDecimal("12345.6789"));
      assertThat(out.get(10).toString()).isEqualTo("[1, two, [3]]");
      assertThat(out.get(11).toString()).isEqualTo("{k=[1, 2]}");
    }
  }

  @Test
  void returnTypes_convertDatesTimestampsDecimalsAndNulls() {
    PythonFunction date = TestPython.source(
        "import datetime\ndef f(x):\n    return None if x is None else datetime.date(2020, 1, x)\n", "f")
        .withReturnType(ReturnType.DATE);
    PythonFunction ts = TestPython.source(
        "import datetime\ndef g(x):\n    return datetime.datetime(2020, 1, 1, 0, 0, x, tzinfo=datetime.timezone.utc)\n",
        "g").withReturnType(ReturnType.TIMESTAMP);
    PythonFunction dec = TestPython.source(
        "import decimal\ndef h(x):\n    return decimal.Decimal(x) / 4\n", "h").withReturnType(ReturnType.DECIMAL);
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).udfs(List.of(
            PythonUdf.of(new int[] {0}, date), PythonUdf.of(new int[] {1}, ts), PythonUdf.of(new int[] {1}, dec)))
            .build()) {
      List<Object[]> rows = List.of(new Object[] {5L, 30L}, new Object[] {null, 1L});
      List<Object> out = drain(runner.compute(rows.iterator(), 0, TaskContext.of(0)));
      assertThat((Object[]) out.get(0)).containsExactly(LocalDate.of(2020, 1, 5),
          Instant.parse("2020-01-01T00:00:30Z"), new BigDecimal("7.5"));
      assertThat((Object[]) out.get(1)).containsExactly(null, Instant.parse("2020-01-01T00:00:01Z"),
          new BigDecimal("0.25"));
    }
  }

  @Test
  void severalUdfs_withTheirOwnOffsets_andAChain() {
    PythonFunction add = TestPython.source("def add(a, b):\n    return a + b\n", "add");
    PythonFunction neg = TestPython.reference("operator:neg").withReturnType(ReturnType.LONG);
    PythonFunction upper = TestPython.source("def up(s):\n    return s.upper()\n", "up");
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).udfs(
            List.of(List.of(add, neg), List.of(upper)), List.of(new int[] {0, 2}, new int[] {1})).build()) {
      List<Object[]> rows = List.of(new Object[] {1L, "a", 2L}, new Object[] {10L, "xyz", 5L});
      List<Object> out = drain(runner.compute(rows.iterator(), 0, TaskContext.of(0)));
      assertThat((Object[]) out.get(0)).containsExactly(-3L, "A");
      assertThat((Object[]) out.get(1)).containsExactly(-15L, "XYZ");
    }
  }

  @Test
  void emptyPartitions_giveNoResults_andKeepTheWorker() {
    try (WorkerRegistry registry = registry();
        PythonRunner sql = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, IDENTITY)).build();
        PythonRunner raw = PythonRunner.builder(registry).nonUdf(NON_UDF_IDENTITY)
            .inputFormat(RecordFormat.BYTES).outputFormat(RecordFormat.BYTES).build()) {
      TaskResults<Object> a = sql.compute(List.of().iterator(), 0, TaskContext.of(0));
      assertThat(drain(a)).isEmpty();
      TaskResults<Object> b = raw.compute(List.of().iterator(), 1, TaskContext.of(1));
      assertThat(drain(b)).isEmpty();
      assertThat(b.metrics().workerPid()).isEqualTo(a.metrics().workerPid());
    }
  }

  @Test
  void tenMegabyteRecords_flowBothWaysAtOnce_withoutDeadlock() {
    PythonFunction twice = TestPython.source(
        "def run(index, it):\n    for r in it:\n        yield r\n        yield r[::-1]\n", "run");
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).nonUdf(twice)
            .inputFormat(RecordFormat.BYTES).outputFormat(RecordFormat.BYTES).build()) {
      int size = 10 << 20;
      Iterator<Object> in = IntStream.range(0, 6).mapToObj(i -> {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) i);
        b[0] = (byte) 100;
        return (Object) b;
      }).iterator();
      int n = 0;
      for (Object r : drain(runner.compute(in, 0, TaskContext.of(0)))) {
        byte[] b = (byte[]) r;
        assertThat(b.length).isEqualTo(size);
        int i = n / 2;
        assertThat(b[n % 2 == 0 ? 0 : size - 1]).isEqualTo((byte) 100);
        assertThat(b[size / 2]).isEqualTo((byte) i);
        n++;
      }
      assertThat(n).isEqualTo(12);
    }
  }

  @Test
  void nullRecords_inNonUdf_comeBackAsNull() {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).nonUdf(NON_UDF_IDENTITY)
            .inputFormat(RecordFormat.UTF8).outputFormat(RecordFormat.UTF8).build()) {
      List<Object> out = drain(runner.compute(Arrays.asList("a", null, "c").iterator(), 0, TaskContext.of(0)));
      assertThat(out).containsExactly("a", null, "c");
    }
  }

  @Test
  void eightThreads_runTasksAtTheSameTime() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, INC)).build()) {
      List<Future<Long>> sums = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int part = t;
        sums.add(pool.submit(() -> {
          long s = 0;
          for (int rep = 0; rep < 5; rep++) {
            Iterator<Object[]> rows = LongStream.range(0, 20_000).mapToObj(i -> new Object[] {i}).iterator();
            for (Object v : drain(runner.compute(rows, part, TaskContext.of(part)))) s += (Long) v;
          }
          return s;
        }));
      }
      for (Future<Long> f : sums) assertThat(f.get(2, TimeUnit.MINUTES)).isEqualTo(5L * (20_000L * 20_001L / 2));
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
