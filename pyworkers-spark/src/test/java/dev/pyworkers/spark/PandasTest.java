package dev.pyworkers.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.spark.internal.ExecutorWorkers;
import dev.pyworkers.testing.TestPython;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * mapInPandas, mapInArrow, groupBy(...).applyInPandas and cogroup on a local[2] session through the public API,
 * with batches small enough that partitions and groups span many of them; after each test no Arrow memory is held.
 */
class PandasTest {
  private static LocalSpark local;
  private static final int N = 5_000;

  @BeforeAll
  static void start() {
    local = new LocalSpark("pyworkers-pandas");
  }

  @AfterAll
  static void stop() {
    if (local != null) local.close();
  }

  @AfterEach
  void noArrowMemoryIsHeld() {
    // a failed job returns while Spark still kills its other tasks; their completion frees their memory
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(ExecutorWorkers.allocatedBytes()).as("Arrow bytes held after the job")
            .isZero());
  }

  private static Dataset<Row> data() {
    return local.spark.range(0, N, 1, 4).selectExpr(
        "id",
        "if(id % 7 = 0, null, concat('s', id)) as s",
        "cast(id * 1.25 as decimal(10,2)) as d",
        "timestamp_micros(1700000000000000 + id * 37000123) as ts",
        "date_add(date'2000-01-01', cast(id as int)) as dt",
        "array(cast(id as int), cast(id + 1 as int)) as arr");
  }

  private static SparkPython py(int maxRecords) {
    return SparkPython.builder().maxRecordsPerBatch(maxRecords).build();
  }

  @Test
  void mapInPandasSeesEveryRowOnceInBatchesOfAtMostTheLimitWithExactValues() {
    PythonFunction f = TestPython.source("def f(it):\n"
        + "    import pandas as pd\n"
        + "    for pdf in it:\n"
        + "        assert len(pdf) <= 300, len(pdf)\n"
        + "        assert pdf['ts'].dt.tz is None  # naive wall time of the session zone, as in PySpark\n"
        + "        yield pd.DataFrame({'id': pdf['id'], 's': pdf['s'].str.upper(), 'd': pdf['d'] * 2,\n"
        + "            'ts': pdf['ts'] + pd.Timedelta(hours=1), 'n': len(pdf),\n"
        + "            'last': pdf['arr'].map(lambda a: int(a[-1]))})\n", "f");
    StructType schema = StructType.fromDDL("id bigint, s string, d decimal(12,2), ts timestamp, n int, last int");
    List<Row> rows = py(300).mapInPandas(data(), f, schema).orderBy("id").collectAsList();
    assertThat(rows).hasSize(N);
    for (int i = 0; i < N; i++) {
      Row r = rows.get(i);
      assertThat(r.getLong(0)).isEqualTo(i);
      assertThat(r.isNullAt(1)).isEqualTo(i % 7 == 0);
      if (i % 7 != 0) assertThat(r.getString(1)).isEqualTo("S" + i);
      assertThat(r.getDecimal(2)).isEqualByComparingTo(new BigDecimal(i * 250).movePointLeft(2));
      long micros = 1700000000000000L + i * 37000123L + 3_600_000_000L;
      assertThat(((Timestamp) r.get(3)).toInstant())
          .isEqualTo(java.time.Instant.ofEpochSecond(micros / 1_000_000, micros % 1_000_000 * 1000));
      assertThat(r.getInt(4)).isBetween(1, 300);
      assertThat(r.getInt(5)).isEqualTo(i + 1);
    }
  }

  @Test
  void aZonedTimestampReachesPandasAsWallTimeOfTheSessionZone() {
    String before = local.spark.conf().get("spark.sql.session.timeZone");
    local.spark.conf().set("spark.sql.session.timeZone", "America/Los_Angeles");
    try {
      PythonFunction f = TestPython.source("def f(it):\n"
          + "    import pandas as pd\n"
          + "    for pdf in it:\n"
          + "        yield pd.DataFrame({'wall': pdf['ts'].map(lambda t: t.isoformat())})\n", "f");
      Dataset<Row> df = local.spark.sql("select timestamp'2024-07-01 12:00:00' as ts");
      List<Row> rows = py(10).mapInPandas(df, f, StructType.fromDDL("wall string")).collectAsList();
      assertThat(rows).extracting(r -> r.getString(0)).containsExactly("2024-07-01T12:00:00");
    } finally {
      local.spark.conf().set("spark.sql.session.timeZone", before);
    }
  }

  @Test
  void mapInArrowFiltersRecordBatches() {
    PythonFunction f = TestPython.source("def f(it):\n"
        + "    import pyarrow.compute as pc\n"
        + "    for b in it:\n"
        + "        yield b.filter(pc.equal(pc.bit_wise_and(b.column(0), 1), 0)).select(['id', 's'])\n", "f");
    List<Row> rows = py(128).mapInArrow(data(), f, StructType.fromDDL("id bigint, s string"))
        .orderBy("id").collectAsList();
    assertThat(rows).hasSize(N / 2);
    for (int i = 0; i < N / 2; i++) assertThat(rows.get(i).getLong(0)).isEqualTo(2L * i);
  }

  @Test
  void applyInPandasGetsEachGroupWholeAcrossBatchesAndAgreesWithSparksOwnAggregate() {
    Dataset<Row> df = data().selectExpr("if(id % 41 = 0, null, id % 37) as k", "id", "d");
    PythonFunction f = TestPython.source("def f(pdf):\n"
        + "    import pandas as pd\n"
        + "    k = pdf['k'].iloc[0]\n"
        + "    assert pdf['k'].isna().all() if pd.isna(k) else (pdf['k'] == k).all()\n"
        + "    return pd.DataFrame({'k': [None if pd.isna(k) else int(k)], 'n': [len(pdf)],\n"
        + "        'total': [int(pdf['id'].sum())], 'dsum': [pdf['d'].sum()]})\n", "f");
    StructType schema = StructType.fromDDL("k bigint, n bigint, total bigint, dsum decimal(20,2)");
    List<Row> got = py(50).groupBy(df, "k").applyInPandas(f, schema).orderBy("k").collectAsList();
    List<Row> expected = df.groupBy("k").agg(org.apache.spark.sql.functions.count("id").as("n"),
        org.apache.spark.sql.functions.sum("id").as("total"), org.apache.spark.sql.functions.sum("d").as("dsum"))
        .orderBy("k").collectAsList();
    assertThat(got).hasSize(38); // 37 keys and the null key
    assertThat(got.toString()).isEqualTo(expected.toString());
  }

  @Test
  void applyInPandasWithTheKeyArgumentAndApplyInArrow() {
    Dataset<Row> df = local.spark.range(0, 1000, 1, 3).selectExpr("id % 3 as a", "cast(id % 2 as string) as b",
        "id");
    PythonFunction withKey = TestPython.source("def f(key, pdf):\n"
        + "    import pandas as pd\n"
        + "    a, b = key\n"
        + "    return pd.DataFrame({'a': [a], 'b': [b], 'n': [len(pdf)]})\n", "f");
    List<Row> got = py(64).groupBy(df, "a", "b").withKeyArgument()
        .applyInPandas(withKey, StructType.fromDDL("a bigint, b string, n bigint")).orderBy("a", "b")
        .collectAsList();
    assertThat(got.toString()).isEqualTo(df.groupBy("a", "b").count().orderBy("a", "b").collectAsList().toString());

    PythonFunction arrow = TestPython.source("def f(table):\n"
        + "    import pyarrow as pa\n"
        + "    return pa.table({'a': table.column('a').slice(0, 1), 'n': pa.array([table.num_rows], pa.int64())})\n",
        "f");
    List<Row> counts = py(64).groupBy(df, "a").applyInArrow(arrow, StructType.fromDDL("a bigint, n bigint"))
        .orderBy("a").collectAsList();
    assertThat(counts.toString()).isEqualTo("[[0,334], [1,333], [2,333]]");
  }

  @Test
  void cogroupPairsEachKeysGroupsOfBothSidesAndGivesAnEmptySideItsColumns() {
    Dataset<Row> left = local.spark.range(0, 3000, 1, 3).selectExpr("id % 100 as k", "id as v");
    Dataset<Row> right = local.spark.range(0, 2000, 1, 2).selectExpr("50 + id % 100 as key", "cast(id as string) as w");
    PythonFunction f = TestPython.source("def f(l, r):\n"
        + "    import pandas as pd\n"
        + "    k = l['k'].iloc[0] if len(l) else r['key'].iloc[0]\n"
        + "    assert list(l.columns) == ['k', 'v'] and list(r.columns) == ['key', 'w']\n"
        + "    return pd.DataFrame({'k': [int(k)], 'nl': [len(l)], 'nr': [len(r)]})\n", "f");
    SparkPython py = py(40);
    List<Row> got = py.groupBy(left, "k").cogroup(py.groupBy(right, "key"))
        .applyInPandas(f, StructType.fromDDL("k bigint, nl bigint, nr bigint")).orderBy("k").collectAsList();
    assertThat(got).hasSize(150);
    Map<Long, String> byKey = new HashMap<>();
    for (Row r : got) byKey.put(r.getLong(0), r.getLong(1) + "/" + r.getLong(2));
    for (long k = 0; k < 150; k++) {
      String want = (k < 100 ? 30 : 0) + "/" + (k >= 50 ? 20 : 0);
      assertThat(byKey.get(k)).as("key " + k).isEqualTo(want);
    }
  }

  @Test
  void badKeysSchemasAndFunctionsFailWithWhatWasWrong() {
    SparkPython py = py(100);
    PythonFunction id = TestPython.source("def f(pdf):\n    return pdf\n", "f");
    assertThatThrownBy(() -> py.groupBy(data(), "nope"))
        .hasMessageContaining("there is no column 'nope'").hasMessageContaining("id, s, d, ts, dt, arr");
    assertThatThrownBy(() -> py.groupBy(data(), "id").cogroup(py.groupBy(data().selectExpr("cast(id as int) as id"),
        "id"))).hasMessageContaining("bigint on the left").hasMessageContaining("int on the right")
        .hasMessageContaining("cast one side");
    assertThatThrownBy(() -> py.mapInPandas(data(), id, StructType.fromDDL("x int, x string")))
        .hasMessageContaining("result schema struct<x:int,x:string>").hasMessageContaining("'x' twice");

    PythonFunction missing = TestPython.source("def f(it):\n"
        + "    for pdf in it:\n"
        + "        yield pdf[['id']]\n", "f");
    assertThatThrownBy(() -> py.mapInPandas(data(), missing, StructType.fromDDL("id bigint, extra string"))
        .collectAsList()).hasStackTraceContaining("extra");

    PythonFunction raises = TestPython.source("def f(pdf):\n"
        + "    raise ValueError('bad group %d' % pdf['id'].iloc[0])\n", "f");
    assertThatThrownBy(() -> py.groupBy(data(), "id").applyInPandas(raises, StructType.fromDDL("id bigint"))
        .collectAsList()).hasStackTraceContaining("ValueError: bad group").hasStackTraceContaining("Traceback");
  }

  @Test
  void aResultColumnOfAnotherTypeIsConvertedAsDeclaredOrFails() {
    PythonFunction f = TestPython.source("def f(it):\n"
        + "    import pandas as pd\n"
        + "    for pdf in it:\n"
        + "        yield pd.DataFrame({'x': pdf['id'].astype('int64'), 'when': pd.Timestamp('2024-01-02 03:04:05')})\n",
        "f");
    List<Row> rows = py(1000).mapInPandas(local.spark.range(0, 3, 1, 1).toDF("id"), f,
        StructType.fromDDL("x int, when timestamp_ntz")).orderBy("x").collectAsList();
    assertThat(rows).extracting(r -> r.getInt(0)).containsExactly(0, 1, 2);
    assertThat(rows.get(0).get(1)).isEqualTo(LocalDateTime.of(2024, 1, 2, 3, 4, 5));
    assertThat(DataTypes.IntegerType).isNotNull();
  }

  @Test
  void aPandasUdfAddsOrReplacesAColumnWithOneValuePerRowInOrder() {
    PythonFunction f = TestPython.source("def f(i, s):\n"
        + "    assert len(i) <= 256, len(i)\n"
        + "    return (i * 10).astype('str') + ':' + s.fillna('-')\n", "f");
    Dataset<Row> df = data().select("id", "s", "d");
    List<Row> added = py(256).withPandasColumn(df, "t", f, DataTypes.StringType, "id", "s").orderBy("id")
        .collectAsList();
    List<Row> replaced = py(256).withPandasColumn(df, "s", f, DataTypes.StringType, "id", "s").orderBy("id")
        .collectAsList();
    assertThat(added).hasSize(N);
    assertThat(replaced).hasSize(N);
    for (int i = 0; i < N; i++) {
      String want = (i * 10L) + ":" + (i % 7 == 0 ? "-" : "s" + i);
      assertThat(added.get(i).getString(3)).isEqualTo(want);
      assertThat(added.get(i).getDecimal(2)).isEqualByComparingTo(new BigDecimal(i * 125).movePointLeft(2));
      assertThat(replaced.get(i).getString(1)).isEqualTo(want);
      assertThat(replaced.get(i).length()).isEqualTo(3);
    }
    PythonFunction inc = TestPython.source("def inc(x):\n    return x + 1\n", "inc");
    long sum = py(1000).withPandasColumn(local.spark.range(0, 100_000, 1, 2).toDF("id"), "y", inc,
        DataTypes.LongType, "id").agg(org.apache.spark.sql.functions.sum("y")).first().getLong(0);
    assertThat(sum).isEqualTo(100_000L * 99_999L / 2 + 100_000L);
  }

  @Test
  void aPandasUdfThatReturnsTheWrongLengthFailsSayingSo() {
    PythonFunction f = TestPython.source("def f(i):\n    return i[:1]\n", "f");
    assertThatThrownBy(() -> py(100).withPandasColumn(data(), "y", f, DataTypes.LongType, "id").collectAsList())
        .hasStackTraceContaining("returned 1 values for a batch of 100 rows");
  }

  @Test
  void planningAPythonJobOverAShuffleRunsNoSparkJobUntilAnAction() {
    // with adaptive execution on (Spark's default), making the rows of a Dataset that has a shuffle runs it; the
    // rows are made when a job needs them, so planning stays lazy, as with Spark's own operators
    assertThat(local.spark.conf().get("spark.sql.adaptive.enabled")).isEqualTo("true");
    java.util.concurrent.atomic.AtomicInteger jobs = local.spark.sparkContext().dagScheduler().nextJobId();
    Dataset<Row> counts = local.spark.range(0, 1000, 1, 4).selectExpr("id % 10 as k").groupBy("k").count();
    PythonFunction inc = TestPython.source("def inc(x):\n    return x + 1\n", "inc");
    PythonFunction same = TestPython.source("def same(it):\n    yield from it\n", "same");
    PythonFunction group = TestPython.source("def group(pdf):\n    return pdf\n", "group");
    int before = jobs.get();
    Dataset<Row> a = SparkPython.create().withColumn(counts, "c1", inc, DataTypes.LongType, "count");
    Dataset<Row> b = py(100).mapInPandas(a, same, a.schema());
    Dataset<Row> c = py(100).groupBy(b, "k").applyInPandas(group, b.schema());
    Dataset<Row> d = py(100).withPandasColumn(c, "c2", inc, DataTypes.LongType, "c1");
    assertThat(jobs.get()).as("Spark jobs run while planning").isEqualTo(before);
    List<Row> rows = d.orderBy("k").collectAsList();
    assertThat(jobs.get()).isGreaterThan(before);
    assertThat(rows).hasSize(10);
    for (int k = 0; k < 10; k++) {
      assertThat(rows.get(k).getLong(0)).isEqualTo(k);
      assertThat(rows.get(k).getLong(1)).isEqualTo(100);
      assertThat(rows.get(k).getLong(2)).isEqualTo(101);
      assertThat(rows.get(k).getLong(3)).isEqualTo(102);
    }
  }

  @Test
  void anArrowFedRowUdfGivesWhatThePickledOneGivesForPlainTypes() {
    PythonFunction f = TestPython.source("def f(i, s, d, dt):\n"
        + "    return '%d|%r|%s|%s' % (i, s, d, dt.isoformat())\n", "f");
    Dataset<Row> df = data().select("id", "s", "d", "dt");
    List<Row> pickled = SparkPython.create().withColumn(df, "r", f, DataTypes.StringType, "id", "s", "d", "dt")
        .orderBy("id").collectAsList();
    List<Row> arrow = SparkPython.builder().useArrow(true).maxRecordsPerBatch(333).build()
        .withColumn(df, "r", f, DataTypes.StringType, "id", "s", "d", "dt").orderBy("id").collectAsList();
    assertThat(arrow).hasSize(N);
    assertThat(arrow).isEqualTo(pickled);
    assertThat(arrow.get(7).getString(4)).isEqualTo("7|None|8.75|2000-01-08");

    PythonFunction inc = TestPython.source("def inc(x):\n    return x + 1\n", "inc");
    SparkPython viaArrow = SparkPython.builder().useArrow(true).build();
    assertThat(viaArrow.withColumn(data(), "id", inc, DataTypes.LongType, "id").orderBy("id").first().getLong(0))
        .as("the column replaced in place").isEqualTo(1L);

    // pyarrow's rules: a struct arrives as a dict; a value that would change is refused
    PythonFunction keys = TestPython.source("def keys(st):\n    return ','.join(sorted(st))\n", "keys");
    Dataset<Row> structs = local.spark.range(0, 3, 1, 1).selectExpr("named_struct('a', id, 'b', 'x') as st");
    assertThat(viaArrow.withColumn(structs, "k", keys, DataTypes.StringType, "st").first().getString(1))
        .isEqualTo("a,b");
    PythonFunction half = TestPython.source("def half(x):\n    return x / 2\n", "half");
    assertThatThrownBy(() -> viaArrow.withColumn(data(), "h", half, DataTypes.LongType, "id").collectAsList())
        .hasStackTraceContaining("(a float)").hasStackTraceContaining("would change into");
    assertThatThrownBy(() -> SparkPython.builder().useArrow(true).onMismatch(dev.pyworkers.OnMismatch.NULL).build())
        .hasMessageContaining("useArrow(true) takes no onMismatch(NULL)");
  }
}
