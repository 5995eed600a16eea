package dev.pyworkers.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pyworkers bench spark}: pyworkers' Python row UDF on Spark against PySpark's own UDFs, same Spark version,
 * same machine (pyworkers-bench's {@code SparkBenchmark}). Spark is not in this jar: the benchmark runs in a child JVM
 * with this jar and Spark's jars (pyworkers-spark's {@code target/spark-home/jars}, which the build assembles), and
 * PySpark from a virtual environment of its own, {@code .venv-bench-spark}, made with {@code pip install
 * pyspark==4.2.0} on the first run. Exits with the child's exit code; 2 with one line when a piece is missing. Not
 * thread-safe: one command line per instance.
 */
@Command(
    name = "spark",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    sortOptions = false,
    description = {
      "Benchmarks a pyworkers row UDF (x + 1) on Spark's local[2] against PySpark's @udf (its Arrow-optimized"
          + " default, and pickled) and pandas_udf, with PySpark 4.2.0 from PyPI in .venv-bench-spark (made on the"
          + " first run). Target: pyworkers rows/s >= 2 x PySpark @udf.",
      "Needs Spark's jars: ./mvnw -pl pyworkers-spark -am package -DskipTests assembles them."
    })
final class BenchSparkCommand implements Callable<Integer> {
  static final String PYSPARK = "pyspark==4.2.0";

  @Spec CommandSpec spec;

  @Mixin BenchOutput output;

  @Option(names = "--rows", defaultValue = "10000000", description = "Rows per timed run (default ${DEFAULT-VALUE}).")
  long rows;

  @Option(names = "--repeat", defaultValue = "3", description = "Timed runs per side (default ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--batch-size", defaultValue = "100", paramLabel = "ROWS",
      description = "Rows per pickled batch of the pyworkers UDF, 1 to 100000 (default ${DEFAULT-VALUE}, as PySpark's).")
  int batchSize;

  @Option(names = "--pyspark-python", paramLabel = "EXE",
      description = "A Python with pyspark 4.2 (default: .venv-bench-spark/bin/python in the checkout, made if missing).")
  String pysparkPython;

  @Override
  public Integer call() throws Exception {
    if (rows < 1) throw new ParameterException(spec.commandLine(), "--rows must be at least 1, got " + rows);
    if (repeat < 1) throw new ParameterException(spec.commandLine(), "--repeat must be at least 1, got " + repeat);
    if (batchSize < 1 || batchSize > 100_000) {
      throw new ParameterException(spec.commandLine(), "--batch-size must be 1 to 100000, got " + batchSize);
    }
    PrintWriter err = spec.commandLine().getErr();
    Path jar = ChildRuns.ownJar();
    if (jar == null) {
      err.println("pyworkers bench spark: runs only from the built pyworkers.jar (bin/pyworkers bench spark)");
      return 2;
    }
    Path root = jar.getParent().getParent().getParent();
    Path sparkJars = root.resolve("pyworkers-spark/target/spark-home/jars");
    if (!Files.isDirectory(sparkJars)) {
      err.println("pyworkers bench spark: no Spark jars in " + sparkJars + "; assemble them with ./mvnw -B -ntp -pl"
          + " pyworkers-spark -am package -DskipTests");
      return 2;
    }
    String pyspark = pysparkPython;
    if (pyspark == null) {
      Path venv = root.resolve(".venv-bench-spark");
      Path exe = venv.resolve("bin/python");
      if (!Files.isExecutable(exe) || run(List.of(exe.toString(), "-c", "import pyspark, pandas, pyarrow")) != 0) {
        err.println("pyworkers bench spark: making " + venv + " with " + PYSPARK + " (a 450 MB download, once)");
        err.flush();
        if (run(List.of(output.python, "-m", "venv", venv.toString())) != 0
            || run(List.of(exe.toString(), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PYSPARK,
                "pandas", "pyarrow")) != 0) {
          err.println("pyworkers bench spark: could not install " + PYSPARK + " into " + venv + "; pass"
              + " --pyspark-python EXE with a Python that has it");
          return 2;
        }
      }
      pyspark = exe.toString();
    }
    String javaExe = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // the heap PySpark's driver JVM gets by default (spark.driver.memory=1g): the same JVM memory on both sides
    List<String> cmd = new ArrayList<>(List.of(javaExe, "-Xmx1g"));
    cmd.addAll(sparkOpens(root));
    cmd.addAll(List.of("-cp", jar + java.io.File.pathSeparator + sparkJars + "/*",
        "dev.pyworkers.bench.SparkBenchmark", "--rows", Long.toString(rows), "--repeat", Integer.toString(repeat),
        "--python", output.python, "--pyspark-python", pyspark, "--batch-size", Integer.toString(batchSize)));
    if (output.json) cmd.add("--json");
    spec.commandLine().getOut().flush();
    err.flush();
    return ChildRuns.runInherited(new ProcessBuilder(cmd));
  }

  /**
   * What Spark's launcher adds to the JVMs it starts, which local mode in a plain JVM needs too: pyworkers-spark's
   * {@code spark.add-opens}, the one list that its tests and examples/spark/run use as well.
   */
  private static List<String> sparkOpens(Path root) throws IOException {
    String pom = Files.readString(root.resolve("pyworkers-spark/pom.xml"));
    Matcher m = Pattern.compile("<spark.add-opens>(.*?)</spark.add-opens>", Pattern.DOTALL).matcher(pom);
    if (!m.find()) throw new IOException("pyworkers-spark/pom.xml has no <spark.add-opens>");
    return List.of(m.group(1).trim().split("\\s+"));
  }

  private static int run(List<String> cmd) throws InterruptedException {
    try {
      return ChildRuns.runInherited(new ProcessBuilder(cmd));
    } catch (IOException e) {
      return -1;
    }
  }
}
