package dev.pyworkers.cli.run;

import java.util.List;

/**
 * The outcome of {@link RunJobBenchmark}: the medians of both sides, every sample, and the ratio against the target
 * (pyworkers run <= 0.75 x the plain script). Immutable.
 *
 * @param records records in the input
 * @param inputBytes the input's size
 * @param workers workers of the pyworkers run
 * @param python the Python executable both sides ran
 * @param plainScriptSeconds median wall time of the plain script
 * @param pyworkersRunSeconds median wall time of {@code pyworkers run}, JVM start included
 * @param plainSamples every plain-script time, in run order
 * @param runSamples every pyworkers-run time, in run order
 */
public record RunJobBenchResult(long records, long inputBytes, int workers, String python, double plainScriptSeconds,
    double pyworkersRunSeconds, double[] plainSamples, double[] runSamples)
    implements dev.pyworkers.bench.BenchReport, SideBySide.Sides {
  public static final double TARGET_RATIO = 0.75;

  static final SideBySide WORDS = new SideBySide(
      "pyworkers bench run-job: the main job vs a plain single-process Python script, end to end",
      "udf        {\"x\": r[\"x\"] + 1, \"n\": len(r[\"s\"])}", "plain Python script (1 process)", "pyworkers run",
      "pyworkers run / plain script", TARGET_RATIO, "plain_script_s", "pyworkers_run_s");

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
