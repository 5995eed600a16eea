package dev.pyworkers.cli.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code pyworkers bench run-pandas}: {@code pyworkers run --pandas} against a plain pandas script doing the same job
 * (read the JSONL file, FUNC, write JSON lines), end to end, start-up included, in the same run. It writes N JSONL
 * records {@code {"x": <int>, "s": <string>}} (the records of {@link RunJobBenchmark}) to a temporary folder, then
 * {@code repeat} times runs, alternating, the plain script ({@code pd.read_json(lines=True, engine="pyarrow")},
 * FUNC over the whole frame, {@code to_json(orient="records", lines=True)}) and {@code pyworkers run --pandas} in a
 * new JVM, with FUNC {@code pd.DataFrame({"x": df["x"] + 1, "n": df["s"].str.len()})}. Each timing is the wall time
 * from process start to exit. Checked on every repeat, failing the run: both exit 0, both outputs are byte-identical
 * with N lines, no process of the pyworkers run outlives it. The ratio compares the medians. Not thread-safe.
 */
public final class RunPandasBenchmark {
  /** FUNC, shared word for word by both sides. */
  static final String UDF = "import pandas as pd\n\n\ndef f(df):\n"
      + "    return pd.DataFrame({\"x\": df[\"x\"] + 1, \"n\": df[\"s\"].str.len()})\n";
  static final String PLAIN_SCRIPT = "import sys\n\nimport pandas as pd\n\nfrom udf import f\n\n"
      + "df = pd.read_json(sys.argv[1], lines=True, engine=\"pyarrow\")\n"
      + "f(df).to_json(sys.argv[2], orient=\"records\", lines=True)\n";

  private final long records;
  private final int workers;
  private final int repeat;
  private final String python;
  private final Consumer<String> log;

  public RunPandasBenchmark(long records, int workers, int repeat, String python, Consumer<String> log) {
    if (records < 1) throw new IllegalArgumentException("records must be >= 1, got " + records);
    if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
    if (repeat < 1) throw new IllegalArgumentException("repeat must be >= 1, got " + repeat);
    this.records = records;
    this.workers = workers;
    this.repeat = repeat;
    this.python = python;
    this.log = log;
  }

  public RunPandasBenchResult run() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("pyworkers-bench-run-pandas-");
    try {
      Path input = dir.resolve("input.jsonl");
      Path plainOut = dir.resolve("plain.jsonl");
      Path runOut = dir.resolve("pyworkers.jsonl");
      Files.writeString(dir.resolve("udf.py"), UDF);
      Files.writeString(dir.resolve("plain.py"), PLAIN_SCRIPT);
      log.accept("writing " + records + " records to " + input);
      RunJobBenchmark.generate(input, records);
      long size = Files.size(input);
      double[] plain = new double[repeat];
      double[] run = new double[repeat];
      for (int i = 0; i < repeat; i++) {
        log.accept("repeat " + (i + 1) + "/" + repeat + ": plain pandas script");
        plain[i] = RunJobBenchmark.time(List.of(python, dir.resolve("plain.py").toString(), input.toString(),
            plainOut.toString()));
        log.accept(String.format("  %.2f s; pyworkers run --pandas --workers %d", plain[i], workers));
        run[i] = RunJobBenchmark.time(pyworkersRun(dir, input, runOut));
        log.accept(String.format("  %.2f s; comparing the outputs", run[i]));
        RunJobBenchmark.checkSame(plainOut, runOut, records);
      }
      return new RunPandasBenchResult(records, size, workers, python, RunJobBenchmark.median(plain),
          RunJobBenchmark.median(run), plain, run);
    } finally {
      RunJobBenchmark.deleteTree(dir);
    }
  }

  private List<String> pyworkersRun(Path dir, Path input, Path output) {
    List<String> cmd = RunJobBenchmark.runCommand();
    cmd.addAll(List.of("--pandas", "--udf", dir.resolve("udf.py") + ":f", "--input", input.toString(), "--output",
        output.toString(), "--workers", Integer.toString(workers), "--python", python, "--no-progress"));
    return cmd;
  }
}
