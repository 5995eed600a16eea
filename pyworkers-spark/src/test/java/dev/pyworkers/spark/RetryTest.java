package dev.pyworkers.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.testing.TestPython;
import java.time.Duration;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/**
 * A task that fails on its first attempt and succeeds on its retry (local[2,3]: three attempts per task): the retry
 * runs on a worker whose task context says attempt 1, with the stage, partition and Spark's local properties.
 */
class RetryTest {
  @Test
  void aFailedAttemptIsRetriedAndPythonSeesTheSparkTaskContext() {
    SparkSession spark = SparkSession.builder()
        .master("local[2,3]")
        .appName("pyworkers-retry")
        .config("spark.ui.enabled", "false")
        .config("spark.plugins", PyworkersPlugin.class.getName())
        .config("spark.pyworkers.python", TestPython.executable())
        .getOrCreate();
    try {
      spark.sparkContext().setLocalProperty("pyworkers.test.who", "retry-test");
      PythonFunction f = TestPython.source("from pyworkers.context import TaskContext\n"
          + "def f(x):\n"
          + "    ctx = TaskContext.get()\n"
          + "    if ctx.attempt_number == 0:\n"
          + "        raise RuntimeError('first attempts fail')\n"
          + "    return '%d %d %d %s' % (x, ctx.partition_id, ctx.attempt_number,"
          + " ctx.get_local_property('pyworkers.test.who', '?'))\n", "f");
      Dataset<Row> df = spark.range(0, 40, 1, 4).toDF("id");
      List<Row> rows = SparkPython.create().withColumn(df, "y", f, DataTypes.StringType, "id").orderBy("id")
          .collectAsList();
      assertThat(rows).hasSize(40);
      for (Row r : rows) {
        long id = r.getLong(0);
        assertThat(r.getString(1)).isEqualTo(id + " " + id / 10 + " 1 retry-test");
      }
    } finally {
      spark.stop();
      LocalSpark.awaitNoPython(Duration.ofSeconds(10));
    }
  }
}
