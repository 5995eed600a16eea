package dev.pyworkers.cli.run;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The outcome of {@link RunPandasBenchmark}: the medians of both sides, every sample, and the ratio against the target
 * (pyworkers run --pandas <= 0.6 x the plain pandas script). Immutable.
 *
 * @param records records in the input
 * @param inputBytes the input's size
 * @param workers workers of the pyworkers run --pandas
 * @param python the Python executable both sides ran
 * @param plainScriptSeconds median wall time of the plain pandas script
 * @param pyworkersRunSeconds median wall time of {@code pyworkers run --pandas}, JVM start included
 * @param plainSamples every plain-script time, in run order
 * @param runSamples every pyworkers-run time, in run order
 */
public record RunPandasBenchResult(long records, long inputBytes, int workers, String python, double plainScriptSeconds,
    double pyworkersRunSeconds, double[] plainSamples, double[] runSamples) implements dev.pyworkers.bench.BenchReport {
  public static final double TARGET_RATIO = 0.6;

  /** pyworkers run time / plain script time (medians); lower is better. */
  public double ratio() {
    return pyworkersRunSeconds / plainScriptSeconds;
  }

  public boolean targetMet() {
    return ratio() <= TARGET_RATIO;
  }

  @Override
  public List<String> tableLines() {
    List<String> lines = new ArrayList<>();
    lines.add("pyworkers bench run-pandas: pyworkers run --pandas vs a plain pandas script, end to end");
    lines.add(String.format(Locale.ROOT, "input      %d JSONL records {\"x\": <int>, \"s\": <string>}, %.1f MB",
        records, inputBytes / 1e6));
    lines.add("python     " + python);
    lines.add("func       pd.DataFrame({\"x\": df[\"x\"] + 1, \"n\": df[\"s\"].str.len()}); outputs byte-identical on every"
        + " repeat");
    lines.add("");
    lines.add(String.format(Locale.ROOT, "%-32s %10s %14s   %s", "case", "median", "records/s", "samples (s)"));
    lines.add(String.format(Locale.ROOT, "%-32s %8.2f s %14.0f   %s", "plain pandas script (1 process)",
        plainScriptSeconds, records / plainScriptSeconds, samples(plainSamples)));
    lines.add(String.format(Locale.ROOT, "%-32s %8.2f s %14.0f   %s", "pyworkers run --pandas --workers " + workers,
        pyworkersRunSeconds, records / pyworkersRunSeconds, samples(runSamples)));
    lines.add("");
    lines.add(String.format(Locale.ROOT, "ratio      pyworkers run --pandas / plain pandas script = %.3f (%.2fx faster)", ratio(),
        1 / ratio()));
    lines.add(String.format(Locale.ROOT, "target     ratio <= %.2f: %s", TARGET_RATIO, targetMet() ? "met" : "NOT met"));
    return lines;
  }

  /** One JSON object: both medians (plain_pandas_s, pyworkers_run_pandas_s), their ratio and every sample. */
  @Override
  public String toJson() {
    return String.format(Locale.ROOT, "{\"records\":%d,\"input_bytes\":%d,\"workers\":%d,\"plain_pandas_s\":%.3f,"
            + "\"pyworkers_run_pandas_s\":%.3f,\"ratio\":%.3f,\"target_ratio\":%.2f,\"target_met\":%b,"
            + "\"plain_pandas_samples_s\":[%s],\"pyworkers_run_pandas_samples_s\":[%s],\"python\":\"%s\"}",
        records, inputBytes, workers, plainScriptSeconds, pyworkersRunSeconds, ratio(), TARGET_RATIO, targetMet(),
        json(plainSamples), json(runSamples), python.replace("\\", "\\\\").replace("\"", "\\\""));
  }

  private static String samples(double[] v) {
    return Arrays.stream(v).mapToObj(d -> String.format(Locale.ROOT, "%.2f", d)).collect(Collectors.joining(" "));
  }

  private static String json(double[] v) {
    return Arrays.stream(v).mapToObj(d -> String.format(Locale.ROOT, "%.3f", d)).collect(Collectors.joining(","));
  }
}
