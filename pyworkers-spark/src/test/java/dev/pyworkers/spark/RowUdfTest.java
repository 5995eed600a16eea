package dev.pyworkers.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.OnMismatch;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.PythonUdf;
import dev.pyworkers.ReturnType;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.testing.TestPython;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Python row UDFs and mapPartitions on a local[2] Spark session, through the public API only. */
class RowUdfTest {
  private static LocalSpark local;
  private static final int N = 5_000;

  @BeforeAll
  static void start() {
    local = new LocalSpark("pyworkers-row-udf");
  }

  @AfterAll
  static void stop() {
    if (local != null) local.close();
  }

  private static Dataset<Row> data() {
    return local.spark.range(0, N, 1, 4).selectExpr(
        "id",
        "if(id % 7 = 0, null, concat('s', id)) as s",
        "cast(id * 1.25 as decimal(10,2)) as d",
        "timestamp_micros(1700000000000000 + id * 37000123) as ts",
        "date_add(date'2000-01-01', cast(id as int)) as dt",
        "array(cast(id as int), cast(id + 1 as int)) as arr",
        "map('k', cast(id as int)) as m");
  }

  private static final String DESCRIBE = "def describe(i, s, d, ts, dt, arr, m):\n"
      + "    return '|'.join([str(i), repr(s), str(d), ts.isoformat(), dt.isoformat(), repr(arr),"
      + " repr(sorted(m.items()))])\n";

  @Test
  void resultsEqualTheSameUdfThroughThePlainRunner() {
    PythonFunction f = TestPython.source(DESCRIBE, "describe");
    List<Row> rows = SparkPython.create()
        .withColumn(data(), "described", f, DataTypes.StringType, "id", "s", "d", "ts", "dt", "arr", "m")
        .select("id", "described").orderBy("id").collectAsList();

    // the same function over the same values as a Java caller would pass them, through the plain runner
    List<Object> in = new ArrayList<>();
    for (long i = 0; i < N; i++) {
      Map<String, Integer> m = new LinkedHashMap<>();
      m.put("k", (int) i);
      in.add(new Object[] {i, i % 7 == 0 ? null : "s" + i, new BigDecimal(i * 125).movePointLeft(2),
          Instant.ofEpochSecond(0, (1700000000000000L + i * 37000123L) * 1000L),
          LocalDate.of(2000, 1, 1).plusDays(i), List.of((int) i, (int) i + 1), m});
    }
    List<Object> expected = new ArrayList<>();
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0, 1, 2, 3, 4, 5, 6},
            f.withReturnType(ReturnType.STRING))).build();
        TaskResults<Object> out = runner.compute(in.iterator(), 0, TaskContext.of(0))) {
      out.forEachRemaining(expected::add);
    }
    assertThat(rows).hasSize(N);
    for (int i = 0; i < N; i++) {
      assertThat(rows.get(i).getLong(0)).isEqualTo(i);
      assertThat(rows.get(i).getString(1)).isEqualTo(expected.get(i));
    }
    assertThat(rows.get(1).getString(1))
        .isEqualTo("1|'s1'|1.25|2023-11-14T22:13:57.000123+00:00|2000-01-02|[1, 2]|[('k', 1)]");
  }

  @Test
  void everyTypeComesBackAsItWent() {
    Dataset<Row> df = local.spark.range(0, 300, 1, 3).selectExpr(
        "id",
        "if(id % 5 = 0, null, cast(id % 128 as tinyint)) as b",
        "cast(id * 100 - 15000 as smallint) as sh",
        "cast(id * 1000000 as int) as i",
        "id * 10000000000 as l",
        "cast(id / 3.0 as float) as f",
        "id / 7.0d as dbl",
        "cast(id * 1.001 as decimal(38,18)) as dec",
        "cast(-id as decimal(5,0)) as dec0",
        "if(id % 3 = 0, null, concat('é', id, '\\u00e9')) as str",
        "cast(concat('b', id) as binary) as bin",
        "date_add(date'1582-10-01', cast(id as int)) as dt",
        "timestamp_micros(-12219292800000000 + id * 86400000001) as ts",
        "cast(timestamp_micros(253402300799999999 - id) as timestamp_ntz) as ntz",
        "array(cast(id as int), null) as arr",
        "map(concat('k', id), id / 2.0d) as m",
        "named_struct('a', cast(id as int), 'b', concat('x', id)) as st",
        "id % 2 = 0 as bool");
    String[] columns = df.columns();
    PythonFunction ident = TestPython.source("def ident(x):\n    return x\n", "ident");
    SparkPython py = SparkPython.create();
    Dataset<Row> out = df;
    for (String c : columns) {
      if (c.equals("id")) continue;
      out = py.withColumn(out, c + "_back", ident, df.schema().apply(c).dataType(), c);
    }
    List<Row> rows = out.orderBy("id").collectAsList();
    assertThat(rows).hasSize(300);
    for (Row r : rows) {
      for (String c : columns) {
        if (c.equals("id")) continue;
        Object went = r.getAs(c);
        Object back = r.getAs(c + "_back");
        if (went instanceof byte[] b) {
          assertThat((byte[]) back).as(c).isEqualTo(b);
        } else {
          assertThat(back).as(c + " of row " + r.getLong(0)).isEqualTo(went);
        }
      }
    }
  }

  @Test
  void timestampsReachPythonInTheSessionTimeZone() {
    local.spark.conf().set("spark.sql.session.timeZone", "Asia/Kolkata");
    try {
      Dataset<Row> df = local.spark.sql("select timestamp'2024-07-01 10:00:00.000001' as ts, 1 as one");
      PythonFunction show = TestPython.source("def show(ts):\n    return ts.isoformat()\n", "show");
      PythonFunction naive = TestPython.source("import datetime\n"
          + "def naive(one):\n    return datetime.datetime(2024, 7, 1, 10, 0, 0, 1)\n", "naive");
      PythonFunction ident = TestPython.source("def ident(x):\n    return x\n", "ident");
      SparkPython py = SparkPython.create();
      Row r = py.withColumn(py.withColumn(py.withColumn(df, "shown", show, DataTypes.StringType, "ts"),
          "back", ident, DataTypes.TimestampType, "ts"), "wall", naive, DataTypes.TimestampType, "one").first();
      assertThat(r.getString(2)).isEqualTo("2024-07-01T10:00:00.000001+05:30");
      assertThat(r.getTimestamp(3)).isEqualTo(r.getTimestamp(0));
      assertThat(r.getTimestamp(4)).as("a naive result is a wall time of the session zone").isEqualTo(r.getTimestamp(0));
    } finally {
      local.spark.conf().set("spark.sql.session.timeZone", "UTC");
    }
  }

  @Test
  void aResultColumnOfTheSameNameIsReplacedInPlace() {
    Dataset<Row> df = local.spark.range(0, 10).selectExpr("id", "id * 2 as x");
    Dataset<Row> out = SparkPython.create().withColumn(df, "id",
        TestPython.source("def neg(x):\n    return -x\n", "neg"), DataTypes.LongType, "x");
    assertThat(out.columns()).containsExactly("id", "x");
    assertThat(out.orderBy("x").collectAsList().get(3).getLong(0)).isEqualTo(-6L);
  }

  @Test
  void badColumnsTypesAndFunctionsAreRefusedWhenPlanned() {
    SparkPython py = SparkPython.create();
    Dataset<Row> df = data();
    PythonFunction f = TestPython.source("def f(x):\n    return x\n", "f");
    assertThatThrownBy(() -> py.withColumn(df, "y", f, DataTypes.LongType, "nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no column 'nope'").hasMessageContaining("id, s, d, ts, dt, arr, m");
    assertThatThrownBy(() -> py.withColumn(df, "y", f, DataTypes.LongType))
        .hasMessageContaining("no input columns");
    Dataset<Row> intervals = local.spark.sql("select interval '2' day as iv");
    assertThatThrownBy(() -> py.withColumn(intervals, "y", f, DataTypes.LongType, "iv"))
        .hasMessageContaining("column 'iv'").hasMessageContaining("interval day");
    assertThatThrownBy(() -> py.withColumn(df, "y", f, DataTypes.CalendarIntervalType, "id"))
        .hasMessageContaining("cannot return interval");
    assertThatThrownBy(() -> SparkPython.builder().batchSize(0)).hasMessageContaining("batchSize must be 1 to 100000");
  }

  @Test
  void aResultThatDoesNotFitFailsNamingTheRowAndValueOrBecomesNull() {
    Dataset<Row> df = local.spark.range(0, 20, 1, 1).toDF("id");
    PythonFunction big = TestPython.source("def big(x):\n    return 2 ** 40 if x == 13 else x\n", "big");
    assertThatThrownBy(() -> SparkPython.create().withColumn(df, "y", big, DataTypes.IntegerType, "id")
        .collectAsList())
        .hasMessageContaining("the Python UDF of column 'y' returned a int (1099511627776) for row 13")
        .hasMessageContaining("declared type int");
    List<Row> rows = SparkPython.builder().onMismatch(OnMismatch.NULL).build()
        .withColumn(df, "y", big, DataTypes.IntegerType, "id").orderBy("id").collectAsList();
    assertThat(rows.get(13).isNullAt(1)).isTrue();
    assertThat(rows.get(12).getInt(1)).isEqualTo(12);
  }

  @Test
  void aPythonExceptionFailsTheJobWithItsTraceback() {
    Dataset<Row> df = local.spark.range(0, 100, 1, 2).toDF("id");
    PythonFunction bad = TestPython.source("def bad(x):\n    if x == 77:\n        raise ValueError('no 77 here')\n"
        + "    return x\n", "bad");
    assertThatThrownBy(() -> SparkPython.create().withColumn(df, "y", bad, DataTypes.LongType, "id").collectAsList())
        .hasStackTraceContaining("ValueError: no 77 here")
        .hasStackTraceContaining("line 3, in bad");
    // a UDF over that UDF's results: the inner error comes out as it is, not wrapped once per level
    PythonFunction inc = TestPython.source("def inc(x):\n    return x + 1\n", "inc");
    Dataset<Row> twice = SparkPython.create().withColumn(
        SparkPython.create().withColumn(df, "y", bad, DataTypes.LongType, "id"), "z", inc, DataTypes.LongType, "y");
    assertThatThrownBy(twice::collectAsList)
        .hasMessageContaining("dev.pyworkers.PythonException: ValueError: no 77 here")
        .hasMessageNotContaining("could not be sent");
    // the next job runs on the same executor's workers
    Dataset<Row> fine = local.spark.range(0, 50, 1, 2).toDF("id");
    assertThat(SparkPython.create().withColumn(fine, "y", bad, DataTypes.LongType, "id").count()).isEqualTo(50);
  }

  @Test
  void mapPartitionsOverBytesAndText() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(local.spark.sparkContext());
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < 1000; i++) records.add(("r" + i).getBytes(StandardCharsets.UTF_8));
    JavaRDD<byte[]> rdd = jsc.parallelize(records, 3);
    PythonFunction tag = TestPython.source("def tag(i, it):\n    for r in it:\n        yield b'%d:' % i + r\n"
        + "    yield b'end %d' % i\n", "tag");
    List<byte[]> out = SparkPython.create().mapPartitions(rdd, tag).collect();
    assertThat(out).hasSize(1003);
    assertThat(new String(out.get(0), StandardCharsets.UTF_8)).isEqualTo("0:r0");
    assertThat(new String(out.get(1002), StandardCharsets.UTF_8)).isEqualTo("end 2");

    JavaRDD<String> text = jsc.parallelize(List.of("a", "bé", "c"), 2);
    List<String> upper = SparkPython.create().mapPartitionsText(text,
        TestPython.source("def up(i, it):\n    return [s.upper() for s in it]\n", "up")).collect();
    assertThat(upper).containsExactly("A", "BÉ", "C");
  }

  @Test
  void anExecutorKeepsABoundedNumberOfJobRunnersAndTheirScratchFolders() throws Exception {
    PythonFunction inc = TestPython.source("def inc(x):\n    return x + 1\n", "inc");
    Dataset<Row> df = local.spark.range(0, 4, 1, 2).toDF("id");
    int jobs = dev.pyworkers.spark.internal.ExecutorWorkers.MAX_IDLE_RUNNERS + 12;
    for (int j = 0; j < jobs; j++) {
      // a new SparkPython.withColumn is a new planned job with a runner of its own on the executor
      assertThat(SparkPython.create().withColumn(df, "y", inc, DataTypes.LongType, "id").count()).isEqualTo(4);
    }
    assertThat(dev.pyworkers.spark.internal.ExecutorWorkers.runners())
        .isEqualTo(dev.pyworkers.spark.internal.ExecutorWorkers.MAX_IDLE_RUNNERS);
    long pid = ProcessHandle.current().pid();
    try (var dirs = java.nio.file.Files.list(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")))) {
      long mine = dirs.filter(d -> d.getFileName().toString().startsWith("pyworkers-runner-p" + pid + "-")).count();
      assertThat(mine).as("this JVM's runner scratch folders").isLessThanOrEqualTo(
          dev.pyworkers.spark.internal.ExecutorWorkers.MAX_IDLE_RUNNERS);
    }
  }
}
