package dev.pyworkers.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python on every executor of a real multi-JVM cluster: Spark's {@code local-cluster[2,1,1024]} runs a master and
 * two workers in this JVM and two executor JVMs as its child processes, with their class path from the SPARK_HOME
 * the build assembles from Maven jars (target/spark-home, SPARK_SCALA_VERSION=2.13). The Python workers must be
 * children of the executors, and an executor killed with SIGKILL must take its Python with it while Spark reruns
 * its tasks elsewhere.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // a stuck cluster fails here, not at CI's limit
class LocalClusterTest {
  private static SparkSession spark;
  @TempDir Path tmp;

  @TempDir static Path shared;

  @BeforeAll
  static void start() throws Exception {
    // an environment packed with venv-pack, shipped to the executors with spark.archives
    Path env = shared.resolve("env");
    run(TestPython.executable(), "-m", "venv", "--without-pip", env.toString());
    Path packed = shared.resolve("env.tar.gz");
    run(Path.of(TestPython.executable()).getParent().resolve("venv-pack").toString(), "-p", env.toString(),
        "-o", packed.toString(), "-q");
    // the executors get Spark from SPARK_HOME/jars and pyworkers from this JVM's class path
    String pyworkers = java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> (e.contains("pyworkers-core") || e.contains("pyworkers-arrow") || e.contains("pyworkers-spark"))
            && !e.contains("test-classes")
            && !e.endsWith("-tests.jar"))
        .collect(Collectors.joining(File.pathSeparator));
    spark = SparkSession.builder()
        .master("local-cluster[2,1,1024]")
        .appName("pyworkers-local-cluster")
        .config("spark.ui.enabled", "false")
        .config("spark.executor.extraClassPath", pyworkers)
        .config("spark.plugins", PyworkersPlugin.class.getName())
        .config("spark.pyworkers.python", TestPython.executable())
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.archives", packed + "#environment")
        .getOrCreate();
    awaitExecutors(2, Duration.ofSeconds(90));
  }

  /** Fails naming an executor's stderr when the executors do not come up (a bad SPARK_HOME, a missing class). */
  private static void awaitExecutors(int n, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (spark.sparkContext().statusTracker().getExecutorInfos().length < n + 1) { // the driver is one
      if (System.nanoTime() > deadline) {
        String why = "";
        try (var found = Files.find(Path.of(System.getenv("SPARK_HOME"), "work"), 3,
            (p, a) -> p.getFileName().toString().equals("stderr"))) {
          Optional<Path> any = found.findFirst();
          if (any.isPresent()) why = "; an executor's stderr ends with:\n" + tail(any.get());
        } catch (IOException e) {
          why = "; no executor log: " + e;
        }
        throw new AssertionError(n + " executors did not register within " + within.toSeconds() + " s" + why);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static String tail(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
  }

  @AfterAll
  static void stop() {
    if (spark != null) spark.stop();
    // the executors' JVMs end with the application, and their Python with them
    LocalSpark.awaitNoPython(Duration.ofSeconds(30));
  }

  /** The executor JVM above a worker: its nearest ancestor that runs java. */
  private static Optional<ProcessHandle> executorOf(long workerPid) {
    Optional<ProcessHandle> p = ProcessHandle.of(workerPid);
    while (p.isPresent()) {
      ProcessHandle h = p.get();
      if (h.info().command().map(c -> c.endsWith("/java")).orElse(false)) return p;
      p = h.parent();
    }
    return Optional.empty();
  }

  @Test
  void eachExecutorRunsItsOwnPythonWorkers() {
    PythonFunction who = TestPython.source("import os\ndef who(x):\n    return '%d %d' % (x + 1, os.getpid())\n",
        "who");
    Dataset<Row> df = spark.range(0, 2000, 1, 8).toDF("id");
    List<Row> rows = SparkPython.create().withColumn(df, "who", who, DataTypes.StringType, "id").orderBy("id")
        .collectAsList();
    assertThat(rows).hasSize(2000);
    Map<Long, Set<Long>> workersByExecutor = new HashMap<>();
    for (Row r : rows) {
      String[] parts = r.getString(1).split(" ");
      assertThat(Long.parseLong(parts[0])).isEqualTo(r.getLong(0) + 1);
      long worker = Long.parseLong(parts[1]);
      long executor = executorOf(worker).map(ProcessHandle::pid).orElseThrow(
          () -> new AssertionError("worker pid " + worker + " has no java ancestor"));
      workersByExecutor.computeIfAbsent(executor, k -> new HashSet<>()).add(worker);
    }
    assertThat(workersByExecutor).as("workers grouped by their executor JVM").hasSize(2);
    long self = ProcessHandle.current().pid();
    for (long executor : workersByExecutor.keySet()) {
      assertThat(executor).isNotEqualTo(self);
      assertThat(NoLeaks.children()).as("executor JVMs are this JVM's children").contains(executor);
      assertThat(ProcessHandle.of(executor).flatMap(h -> h.info().arguments()).map(List::of).orElse(List.of()))
          .anyMatch(a -> a.contains("CoarseGrainedExecutorBackend"));
    }
  }

  @Test
  void pandasGroupsAndCogroupsAreShuffledToBothExecutorsAndComeBackWhole() {
    // each group reports its size and the worker that saw it: every key once, exact sizes, both executors used
    PythonFunction group = TestPython.source("import os\n"
        + "def group(pdf):\n"
        + "    import pandas as pd\n"
        + "    return pd.DataFrame({'k': [int(pdf['k'].iloc[0])], 'n': [len(pdf)], 'pid': [os.getpid()]})\n",
        "group");
    Dataset<Row> df = spark.range(0, 20_000, 1, 6).selectExpr("id % 50 as k", "id");
    SparkPython py = SparkPython.builder().maxRecordsPerBatch(64).build();
    // 8 shuffle partitions, not coalesced into one for so little data, so that both executors get groups
    spark.conf().set("spark.sql.shuffle.partitions", "8");
    spark.conf().set("spark.sql.adaptive.coalescePartitions.enabled", "false");
    List<Row> groups = py.groupBy(df, "k").applyInPandas(group, StructType.fromDDL("k bigint, n bigint, pid bigint"))
        .orderBy("k").collectAsList();
    assertThat(groups).hasSize(50);
    Set<Long> executors = new HashSet<>();
    for (int k = 0; k < 50; k++) {
      assertThat(groups.get(k).getLong(0)).isEqualTo(k);
      assertThat(groups.get(k).getLong(1)).isEqualTo(400);
      long pid = groups.get(k).getLong(2);
      executors.add(executorOf(pid).map(ProcessHandle::pid).orElseThrow());
    }
    assertThat(executors).as("the executor JVMs whose workers ran groups").hasSize(2);

    PythonFunction pair = TestPython.source("def pair(l, r):\n"
        + "    import pandas as pd\n"
        + "    k = l['k'].iloc[0] if len(l) else r['k'].iloc[0]\n"
        + "    return pd.DataFrame({'k': [int(k)], 'nl': [len(l)], 'nr': [len(r)]})\n", "pair");
    Dataset<Row> right = spark.range(0, 300, 1, 3).selectExpr("(id % 60) + 25 as k", "id as w");
    List<Row> pairs = py.groupBy(df, "k").cogroup(py.groupBy(right, "k"))
        .applyInPandas(pair, StructType.fromDDL("k bigint, nl bigint, nr bigint")).orderBy("k").collectAsList();
    assertThat(pairs).hasSize(85); // keys 0..84
    for (Row r : pairs) {
      long k = r.getLong(0);
      assertThat(r.getLong(1)).as("left rows of key " + k).isEqualTo(k < 50 ? 400 : 0);
      assertThat(r.getLong(2)).as("right rows of key " + k).isEqualTo(k >= 25 ? 5 : 0);
    }
    spark.conf().unset("spark.sql.shuffle.partitions");
    spark.conf().unset("spark.sql.adaptive.coalescePartitions.enabled");
  }

  @Test
  void aVenvPackedEnvironmentShippedWithArchivesRunsTheUdfOnEachExecutor() throws Exception {
    // the environment start() made and packed, as a user would, which Spark shipped (spark.archives)
    // no interpreter of its own: the job's, relative, is found in each executor's working folder
    PythonFunction where = PythonFunction.source("import sys\n"
        + "def where(x):\n    return '%d %s' % (x * 2, sys.prefix)\n", "where").withEnv(TestPython.functionEnv());
    Dataset<Row> df = spark.range(0, 400, 1, 4).toDF("id");
    List<Row> rows = SparkPython.builder().python("environment/bin/python").build()
        .withColumn(df, "where", where, DataTypes.StringType, "id").orderBy("id").collectAsList();
    assertThat(rows).hasSize(400);
    Set<String> prefixes = new HashSet<>();
    for (Row r : rows) {
      String[] parts = r.getString(1).split(" ", 2);
      assertThat(Long.parseLong(parts[0])).isEqualTo(2 * r.getLong(0));
      prefixes.add(parts[1]);
    }
    assertThat(prefixes).allSatisfy(p -> assertThat(p)
        .as("the environment unpacked in an executor's working folder")
        .startsWith(System.getenv("SPARK_HOME") + "/work/app-").endsWith("/environment"));

    // a relative interpreter that no archive brought fails the task naming both folders it looked in
    assertThatThrownBy(() -> SparkPython.builder().python("nowhere/bin/python").build()
        .withColumn(df, "where", where, DataTypes.StringType, "id").collectAsList())
        .hasMessageContaining("the Python executable 'nowhere/bin/python' is not in the task's working folder")
        .hasMessageContaining("spark.archives");
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed: " + out);
    }
  }

  @Test
  void anExecutorKilledWithSigkillTakesItsPythonAlongAndSparkRerunsItsTasks() throws Exception {
    // the first row of each partition notes its worker and waits a little, so that both executors are busy
    PythonFunction slow = TestPython.source("import os, time\n"
        + "_noted = []\n"
        + "def slow(x):\n"
        + "    if not _noted:\n"
        + "        _noted.append(1)\n"
        + "        open(os.path.join(" + LocalSpark.py(tmp.toString()) + ", str(os.getpid())), 'w')"
        + ".close()\n"
        + "    if x % 500 == 0:\n"
        + "        time.sleep(2)\n"
        + "    return x * 3\n", "slow");
    Dataset<Row> df = spark.range(0, 4000, 1, 8).toDF("id");
    CompletableFuture<List<Row>> job = CompletableFuture.supplyAsync(
        () -> SparkPython.create().withColumn(df, "y", slow, DataTypes.LongType, "id").orderBy("id")
            .collectAsList());
    Awaitility.await("workers running on both executors").atMost(Duration.ofSeconds(60)).until(() ->
        LocalSpark.notedPids(tmp).stream().map(LocalClusterTest::executorOf).flatMap(Optional::stream)
            .map(ProcessHandle::pid)
            .distinct().count() == 2);
    Map<Long, List<Long>> byExecutor = new HashMap<>();
    for (long w : LocalSpark.notedPids(tmp)) {
      executorOf(w).ifPresent(e -> byExecutor.computeIfAbsent(e.pid(), k -> new ArrayList<>()).add(w));
    }
    long victim = byExecutor.keySet().iterator().next();
    List<Long> itsWorkers = byExecutor.get(victim);
    List<Long> itsPython = ProcessHandle.of(victim).orElseThrow().descendants().map(ProcessHandle::pid).toList();
    ProcessHandle.of(victim).orElseThrow().destroyForcibly(); // SIGKILL

    long killedAt = System.nanoTime();
    while (true) {
      List<String> alive = itsPython.stream().map(ProcessHandle::of).flatMap(Optional::stream)
          .filter(h -> h.isAlive() && !zombie(h.pid())).map(h -> h.pid() + " " + h.info().commandLine().orElse("?"))
          .toList();
      if (alive.isEmpty()) break;
      if (System.nanoTime() - killedAt > Duration.ofSeconds(2).toNanos()) {
        throw new AssertionError("2 s after its executor JVM was killed, still alive: " + alive);
      }
      Thread.sleep(50);
    }
    assertThat(itsWorkers).isNotEmpty();

    List<Row> rows = job.get(180, TimeUnit.SECONDS);
    assertThat(rows).hasSize(4000);
    for (int i = 0; i < rows.size(); i++) assertThat(rows.get(i).getLong(1)).isEqualTo(3L * i);
  }

  /** A zombie has ended; only its exit status waits for its new parent to collect it. */
  private static boolean zombie(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return true; // gone
    }
  }
}
