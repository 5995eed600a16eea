package dev.pyworkers.cli.run;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * The outcome of {@link RunWorkersBenchmark}: every paired round of {@code --workers 1} and {@code --workers W}, and
 * the median of the per-round ratios against the target (W workers <= 0.35 x 1 worker). Immutable.
 *
 * @param records records in the input
 * @param inputBytes the input's size
 * @param sleepMillis how long FUNC sleeps per record
 * @param workers W
 * @param python the Python executable
 * @param one the 1-worker samples, round by round
 * @param many the W-worker samples, round by round
 */
public record RunWorkersBenchResult(int records, long inputBytes, int sleepMillis, int workers, String python,
    RunWorkersBenchmark.Sample[] one, RunWorkersBenchmark.Sample[] many) implements dev.pyworkers.bench.BenchReport {
  public static final double TARGET_RATIO = 0.35;

  /** Median over the rounds of W-worker wall time / 1-worker wall time, JVM start included; lower is better. */
  public double ratio() {
    return medianRatio(RunWorkersBenchmark.Sample::wallSeconds);
  }

  /** The same, of the time the run's summary line reports (from before the first Python process to the rename). */
  public double runRatio() {
    return medianRatio(RunWorkersBenchmark.Sample::runSeconds);
  }

  public boolean targetMet() {
    return ratio() <= TARGET_RATIO;
  }

  private double medianRatio(ToDoubleFunction<RunWorkersBenchmark.Sample> time) {
    double[] r = new double[one.length];
    for (int i = 0; i < r.length; i++) r[i] = time.applyAsDouble(many[i]) / time.applyAsDouble(one[i]);
    return RunJobBenchmark.median(r);
  }

  private static double median(RunWorkersBenchmark.Sample[] s, ToDoubleFunction<RunWorkersBenchmark.Sample> time) {
    return RunJobBenchmark.median(Arrays.stream(s).mapToDouble(time).toArray());
  }

  @Override
  public List<String> tableLines() {
    List<String> lines = new ArrayList<>();
    lines.add("pyworkers bench run-workers: --workers " + workers + " against --workers 1 on a small input, paired"
        + " rounds");
    lines.add(String.format(Locale.ROOT, "input      %d JSONL records {\"i\": <n>}, %d bytes; FUNC sleeps %d ms a"
        + " record and returns [i, os.getpid()]", records, inputBytes, sleepMillis));
    lines.add("python     " + python);
    lines.add("");
    lines.add(String.format(Locale.ROOT, "%-20s %12s %12s %8s %11s   %s", "case", "median wall", "median run",
        "workers", "partitions", "wall samples (s)"));
    lines.add(row("--workers 1", one));
    lines.add(row("--workers " + workers, many));
    lines.add("");
    lines.add(String.format(Locale.ROOT, "ratio      --workers %d / --workers 1 = %.3f (median of %d paired rounds,"
        + " wall time); %.3f of the run's own time", workers, ratio(), one.length, runRatio()));
    lines.add(String.format(Locale.ROOT, "target     ratio <= %.2f: %s", TARGET_RATIO, targetMet() ? "met" : "NOT met"));
    return lines;
  }

  private static String row(String name, RunWorkersBenchmark.Sample[] s) {
    return String.format(Locale.ROOT, "%-20s %10.2f s %10.2f s %8d %11d   %s", name,
        median(s, RunWorkersBenchmark.Sample::wallSeconds), median(s, RunWorkersBenchmark.Sample::runSeconds),
        s[0].workers(), s[0].partitions(), json(s, RunWorkersBenchmark.Sample::wallSeconds).replace(',', ' '));
  }

  @Override
  public String toJson() {
    return String.format(Locale.ROOT, "{\"records\":%d,\"input_bytes\":%d,\"sleep_ms\":%d,\"workers\":%d,"
            + "\"one_worker_s\":%.3f,\"workers_s\":%.3f,\"ratio\":%.3f,\"run_ratio\":%.3f,\"target_ratio\":%.2f,"
            + "\"target_met\":%b,\"partitions\":%d,\"one_worker_samples_s\":[%s],\"workers_samples_s\":[%s],"
            + "\"python\":\"%s\"}",
        records, inputBytes, sleepMillis, workers, median(one, RunWorkersBenchmark.Sample::wallSeconds),
        median(many, RunWorkersBenchmark.Sample::wallSeconds), ratio(), runRatio(), TARGET_RATIO, targetMet(),
        many[0].partitions(), json(one, RunWorkersBenchmark.Sample::wallSeconds),
        json(many, RunWorkersBenchmark.Sample::wallSeconds), python.replace("\\", "\\\\").replace("\"", "\\\""));
  }

  private static String json(RunWorkersBenchmark.Sample[] s, ToDoubleFunction<RunWorkersBenchmark.Sample> time) {
    return Arrays.stream(s).map(x -> String.format(Locale.ROOT, "%.3f", time.applyAsDouble(x)))
        .collect(Collectors.joining(","));
  }
}
