package dev.pyworkers.bench;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.spark.PyworkersPlugin;
import dev.pyworkers.spark.SparkPython;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * {@code pyworkers bench spark}: a Python UDF {@code x + 1} over {@code --rows} rows on Spark's {@code local[2]},
 * through pyworkers (the row UDF {@code SparkPython.withColumn}, pickled by default and fed from Arrow with {@code
 * useArrow}, and the pandas UDF {@code withPandasColumn}, alternating) and through PySpark's own {@code @udf}
 * (Arrow-optimized, as PySpark 4.2 does by default, and pickled, with {@code
 * spark.sql.execution.pythonUDF.arrow.enabled=false}) and {@code pandas_udf}, the same Spark version on the same
 * machine, one after the other. Each side and path: one untimed warm-up run at full size, then {@code --repeat} timed
 * runs of {@code spark.range(rows).select(udf(id)).agg(sum)}, whose sum is checked; the median counts. PySpark runs in
 * its own driver ({@code pyspark_bench.py} with {@code --pyspark-python}). Prints a line per result and, with {@code
 * --json}, one JSON object last. Run by the CLI with Spark's jars on the class path. Not thread-safe; one run per JVM.
 */
public final class SparkBenchmark {
  private SparkBenchmark() {}

  public static void main(String[] args) throws Exception {
    long rows = 10_000_000L;
    int repeat = 3;
    String python = "python3";
    String pysparkPython = null;
    boolean json = false;
    int batchSize = 100;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[++i]);
        case "--repeat" -> repeat = Integer.parseInt(args[++i]);
        case "--python" -> python = args[++i];
        case "--pyspark-python" -> pysparkPython = args[++i];
        case "--json" -> json = true;
        case "--batch-size" -> batchSize = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (pysparkPython == null) throw new IllegalArgumentException("--pyspark-python is required");
    long expected = rows * (rows - 1) / 2 + rows;

    List<Double> ours = new ArrayList<>();
    List<Double> oursPandas = new ArrayList<>();
    List<Double> oursArrow = new ArrayList<>();
    SparkSession spark = SparkSession.builder()
        .master("local[2]").appName("pyworkers-bench-spark")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.plugins", PyworkersPlugin.class.getName())
        .config("spark.pyworkers.python", python)
        .getOrCreate();
    String sparkVersion = spark.version();
    try {
      spark.sparkContext().setLogLevel("WARN");
      PythonFunction inc = PythonFunction.source("def inc(x):\n    return x + 1\n", "inc");
      SparkPython py = SparkPython.builder().batchSize(batchSize).build();
      SparkPython arrowPy = SparkPython.builder().useArrow(true).build();
      String[] paths = {"row UDF", "pandas UDF", "Arrow-fed row UDF"};
      List<List<Double>> times = List.of(ours, oursPandas, oursArrow);
      for (int p = 0; p < paths.length; p++) {
        timeOurs(spark, p == 2 ? arrowPy : py, inc, rows, p == 1); // warm-up, untimed, at full size
      }
      // the paths alternate, so that a slow spell of the machine falls on all of them
      for (int r = 0; r < repeat; r++) {
        for (int p = 0; p < paths.length; p++) {
          long t0 = System.nanoTime();
          long got = timeOurs(spark, p == 2 ? arrowPy : py, inc, rows, p == 1);
          double s = (System.nanoTime() - t0) / 1e9;
          if (got != expected) throw new IllegalStateException("pyworkers: sum " + got + ", expected " + expected);
          times.get(p).add(s);
          System.err.printf(Locale.ROOT, "pyworkers %s: %.3f s%n", paths[p], s);
        }
      }
    } finally {
      spark.stop();
    }

    String pyspark = runPySpark(pysparkPython, rows, repeat);
    List<Double> udf = numbers(pyspark, "udf_s");
    List<Double> udfNoArrow = numbers(pyspark, "udf_no_arrow_s");
    List<Double> pandasUdf = numbers(pyspark, "pandas_udf_s");
    String pysparkVersion = string(pyspark, "pyspark");

    double oursRowsS = rows / median(ours);
    double udfRowsS = rows / median(udf);
    double noArrowRowsS = rows / median(udfNoArrow);
    double pandasRowsS = rows / median(pandasUdf);
    double oursPandasRowsS = rows / median(oursPandas);
    double pandasRatio = oursPandasRowsS / pandasRowsS;
    double oursArrowRowsS = rows / median(oursArrow);
    double arrowRatio = oursArrowRowsS / udfRowsS;
    double ratio = oursRowsS / udfRowsS;
    System.out.printf(Locale.ROOT, "pyworkers row UDF x + 1 over %,d rows: %,.0f rows/s (median of %d: %s s)%n",
        rows, oursRowsS, repeat, ours);
    System.out.printf(Locale.ROOT, "PySpark %s @udf (Arrow-optimized, its default): %,.0f rows/s (%s s)%n",
        pysparkVersion, udfRowsS, udf);
    System.out.printf(Locale.ROOT, "PySpark @udf pickled (arrow.enabled=false): %,.0f rows/s (%s s)%n",
        noArrowRowsS, udfNoArrow);
    System.out.printf(Locale.ROOT, "PySpark pandas_udf: %,.0f rows/s (%s s)%n", pandasRowsS, pandasUdf);
    System.out.printf(Locale.ROOT, "ratio pyworkers / PySpark @udf = %.2f (goal >= 2: %s); against the pickled"
        + " @udf %.2f%n", ratio, ratio >= 2 ? "met" : "MISSED", oursRowsS / noArrowRowsS);
    System.out.printf(Locale.ROOT, "pyworkers Arrow-fed row UDF (useArrow, as PySpark's default): %,.0f rows/s (%s s);"
        + " against PySpark's default @udf %.2f%n", oursArrowRowsS, oursArrow, arrowRatio);
    System.out.printf(Locale.ROOT, "pyworkers pandas UDF (withPandasColumn): %,.0f rows/s (%s s)%n", oursPandasRowsS,
        oursPandas);
    System.out.printf(Locale.ROOT, "pandas_ratio pyworkers pandas UDF / PySpark pandas_udf = %.2f (goal >= 1.5: %s)%n",
        pandasRatio, pandasRatio >= 1.5 ? "met" : "MISSED");
    if (json) {
      System.out.printf(Locale.ROOT, "{\"spark\":\"%s\",\"pyspark\":\"%s\",\"rows\":%d,\"repeat\":%d,"
              + "\"pyworkers_rows_s\":%.0f,\"pyspark_udf_rows_s\":%.0f,\"pyspark_udf_no_arrow_rows_s\":%.0f,"
              + "\"batch_size\":%d,\"ratio\":%.2f,\"ratio_vs_no_arrow\":%.2f,\"pyworkers_pandas_rows_s\":%.0f,"
              + "\"pyspark_pandas_udf_rows_s\":%.0f,\"pandas_ratio\":%.2f,\"ratio_goal_met\":%s,"
              + "\"pandas_ratio_goal_met\":%s,\"pyworkers_arrow_rows_s\":%.0f,\"arrow_ratio\":%.2f}%n",
          sparkVersion, pysparkVersion, rows, repeat, oursRowsS, udfRowsS, noArrowRowsS, batchSize, ratio,
          oursRowsS / noArrowRowsS, oursPandasRowsS, pandasRowsS, pandasRatio, ratio >= 2, pandasRatio >= 1.5,
          oursArrowRowsS, arrowRatio);
    }
  }

  /** The sum of {@code inc(id)} over {@code n} ids: through {@code py}'s withColumn, or its pandas UDF. */
  private static long timeOurs(SparkSession spark, SparkPython py, PythonFunction inc, long n, boolean pandas) {
    Dataset<Row> df = spark.range(0, n, 1, 2).toDF("id");
    Dataset<Row> out = pandas ? py.withPandasColumn(df, "y", inc, DataTypes.LongType, "id")
        : py.withColumn(df, "y", inc, DataTypes.LongType, "id");
    return out.agg(functions.sum("y")).first().getLong(0);
  }

  private static String runPySpark(String python, long rows, int repeat) throws IOException, InterruptedException {
    Path script = Files.createTempFile("pyspark_bench", ".py");
    try {
      try (InputStream in = SparkBenchmark.class.getResourceAsStream("pyspark_bench.py")) {
        if (in == null) throw new IllegalStateException("pyspark_bench.py is missing from the jar");
        Files.write(script, in.readAllBytes());
      }
      Process p = new ProcessBuilder(python, script.toString(), Long.toString(rows), Integer.toString(repeat))
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IllegalStateException("the PySpark side (" + python + ") failed with exit code " + p.exitValue()
            + "; its output: " + out);
      }
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1];
    } finally {
      Files.deleteIfExists(script);
    }
  }

  private static List<Double> numbers(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\": \\[([^\\]]*)\\]").matcher(json);
    if (!m.find()) throw new IllegalStateException("no " + key + " in the PySpark side's output: " + json);
    return Arrays.stream(m.group(1).split(",")).map(String::trim).map(Double::parseDouble).toList();
  }

  private static String string(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\": \"([^\"]*)\"").matcher(json);
    return m.find() ? m.group(1) : "?";
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
