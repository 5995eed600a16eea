package dev.pyworkers.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Spark job cancelled while its Python UDF runs: the workers running it are killed, the job fails as cancelled,
 * and the next job runs. The workers are this executor JVM's children (local mode: the test's own JVM).
 */
class CancelTest {
  private static LocalSpark local;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    local = new LocalSpark("pyworkers-cancel");
  }

  @AfterAll
  static void stop() {
    if (local != null) local.close();
  }

  @Test
  void aCancelledJobKillsTheWorkersRunningItsUdf() throws Exception {
    // each task notes its worker's pid, then sleeps far longer than the test
    PythonFunction sleepy = TestPython.source("import os, time\n"
        + "def sleepy(x):\n"
        + "    open(os.path.join(" + LocalSpark.py(tmp.toString()) + ", str(os.getpid())), 'w').close()\n"
        + "    time.sleep(600)\n"
        + "    return x\n", "sleepy");
    Dataset<Row> df = local.spark.range(0, 2, 1, 2).toDF("id");
    Dataset<Row> out = SparkPython.create().withColumn(df, "y", sleepy, DataTypes.LongType, "id");
    local.spark.sparkContext().setJobGroup("sleepy", "a UDF that sleeps", true);
    CompletableFuture<List<Row>> job = CompletableFuture.supplyAsync(out::collectAsList);
    Awaitility.await("both tasks' workers to start the UDF").atMost(Duration.ofSeconds(60))
        .until(() -> LocalSpark.notedPids(tmp).size() == 2);
    Set<Long> running = LocalSpark.notedPids(tmp);
    assertThat(NoLeaks.children()).as("the workers are children of the executor's JVM").containsAll(running);

    cancel("sleepy", job, running);

    PythonFunction inc = TestPython.source("def inc(x):\n    return x + 1\n", "inc");
    assertThat(SparkPython.create().withColumn(df, "y", inc, DataTypes.LongType, "id").orderBy("id")
        .collectAsList().get(1).getLong(1)).isEqualTo(2L);
  }

  @Test
  void aCancelledPandasJobKillsItsWorkersAndFreesItsArrowMemory() throws Exception {
    // the function takes a few batches (the writer has filled more meanwhile), notes its pid, then sleeps
    PythonFunction sleepy = TestPython.source("import os, time\n"
        + "def sleepy(it):\n"
        + "    for i, pdf in enumerate(it):\n"
        + "        if i == 3:\n"
        + "            open(os.path.join(" + LocalSpark.py(tmp.toString()) + ", str(os.getpid())), 'w').close()\n"
        + "            time.sleep(600)\n"
        + "        yield pdf\n", "sleepy");
    Dataset<Row> df = local.spark.range(0, 1_000_000, 1, 2).selectExpr("id", "cast(id as string) as s");
    Dataset<Row> out = SparkPython.builder().maxRecordsPerBatch(1000).build()
        .mapInPandas(df, sleepy, df.schema());
    local.spark.sparkContext().setJobGroup("sleepy-pandas", "a pandas function that sleeps", true);
    CompletableFuture<List<Row>> job = CompletableFuture.supplyAsync(out::collectAsList);
    Awaitility.await("both tasks' workers to be in the function").atMost(Duration.ofSeconds(60))
        .until(() -> LocalSpark.notedPids(tmp).size() == 2);
    Set<Long> running = new HashSet<>(LocalSpark.notedPids(tmp));
    assertThat(dev.pyworkers.spark.internal.ExecutorWorkers.allocatedBytes()).as("batches in flight").isPositive();

    cancel("sleepy-pandas", job, running);
    Awaitility.await("the cancelled tasks' Arrow memory to be freed").atMost(Duration.ofSeconds(10))
        .until(() -> dev.pyworkers.spark.internal.ExecutorWorkers.allocatedBytes() == 0);

    PythonFunction same = TestPython.source("def same(it):\n    yield from it\n", "same");
    assertThat(SparkPython.create().mapInPandas(df.limit(10), same, df.schema()).count()).isEqualTo(10);
  }

  /** Cancels job group {@code group}: {@code job} fails as cancelled and the workers {@code running} it die. */
  private static void cancel(String group, CompletableFuture<?> job, Set<Long> running) throws Exception {
    local.spark.sparkContext().cancelJobGroup(group);
    Throwable failure = null;
    try {
      job.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      failure = e.getCause();
    }
    assertThat(failure).isNotNull().hasMessageContaining("cancelled");
    Awaitility.await("the cancelled tasks' workers to be killed").atMost(Duration.ofSeconds(10))
        .until(() -> running.stream().noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive)
            .orElse(false)));
    local.spark.sparkContext().clearJobGroup();
  }
}
