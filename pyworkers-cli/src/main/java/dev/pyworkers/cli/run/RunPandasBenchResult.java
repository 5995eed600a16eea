package dev.pyworkers.cli.run;

import java.util.List;

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
    double pyworkersRunSeconds, double[] plainSamples, double[] runSamples)
    implements dev.pyworkers.bench.BenchReport, SideBySide.Sides {
  public static final double TARGET_RATIO = 0.6;

  static final SideBySide WORDS = new SideBySide(
      "pyworkers bench run-pandas: pyworkers run --pandas vs a plain pandas script, end to end",
      "func       pd.DataFrame({\"x\": df[\"x\"] + 1, \"n\": df[\"s\"].str.len()})", "plain pandas script (1 process)",
      "pyworkers run --pandas", "pyworkers run --pandas / plain pandas script", TARGET_RATIO, "plain_pandas_s",
      "pyworkers_run_pandas_s");

  /** pyworkers run time / plain script time (medians); lower is better. */
  @Override
  public double ratio() {
    return pyworkersRunSeconds / plainScriptSeconds;
  }

  public boolean targetMet() {
    return ratio() <= TARGET_RATIO;
  }

  @Override
  public double plainSeconds() {
    return plainScriptSeconds;
  }

  @Override
  public double runSeconds() {
    return pyworkersRunSeconds;
  }

  @Override
  public List<String> tableLines() {
    return WORDS.tableLines(this);
  }

  @Override
  public String toJson() {
    return WORDS.toJson(this);
  }
}
