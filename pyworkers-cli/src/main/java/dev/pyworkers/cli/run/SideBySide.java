package dev.pyworkers.cli.run;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a side-by-side benchmark of {@code pyworkers run} against a plain script says, and how: its title, its
 * function's line, the two cases' names, the target ratio and the JSON keys of the two medians. The results of
 * {@link RunJobBenchmark} and {@link RunPandasBenchmark} are one layout with these words. Immutable.
 *
 * @param title the table's first line
 * @param func the function both sides run, as the table's {@code udf}/{@code func} line shows it
 * @param plainCase the plain script's row name
 * @param runCase the pyworkers run's row name, before {@code --workers N}
 * @param ratioText what the ratio divides, for the table
 * @param target the target ratio (pyworkers over plain; lower is better)
 * @param plainKey the JSON key of the plain median, in seconds; {@code <plainKey>_samples_s} holds the samples
 * @param runKey the JSON key of the pyworkers median, likewise
 */
record SideBySide(String title, String func, String plainCase, String runCase, String ratioText, double target,
    String plainKey, String runKey) {

  List<String> tableLines(Sides s) {
    List<String> lines = new ArrayList<>();
    lines.add(title);
    lines.add(String.format(Locale.ROOT, "input      %d JSONL records {\"x\": <int>, \"s\": <string>}, %.1f MB",
        s.records(), s.inputBytes() / 1e6));
    lines.add("python     " + s.python());
    lines.add(func + "; outputs byte-identical on every repeat");
    lines.add("");
    lines.add(String.format(Locale.ROOT, "%-32s %10s %14s   %s", "case", "median", "records/s", "samples (s)"));
    lines.add(String.format(Locale.ROOT, "%-32s %8.2f s %14.0f   %s", plainCase, s.plainSeconds(),
        s.records() / s.plainSeconds(), samples(s.plainSamples())));
    lines.add(String.format(Locale.ROOT, "%-32s %8.2f s %14.0f   %s", runCase + " --workers " + s.workers(),
        s.runSeconds(), s.records() / s.runSeconds(), samples(s.runSamples())));
    lines.add("");
    lines.add(String.format(Locale.ROOT, "ratio      %s = %.3f (%.2fx faster)", ratioText, s.ratio(), 1 / s.ratio()));
    lines.add(String.format(Locale.ROOT, "target     ratio <= %.2f: %s", target, s.ratio() <= target ? "met"
        : "NOT met"));
    return lines;
  }

  String toJson(Sides s) {
    String plainSamples = plainKey.substring(0, plainKey.length() - 2) + "_samples_s";
    String runSamples = runKey.substring(0, runKey.length() - 2) + "_samples_s";
    return String.format(Locale.ROOT, "{\"records\":%d,\"input_bytes\":%d,\"workers\":%d,\"%s\":%.3f,\"%s\":%.3f,"
            + "\"ratio\":%.3f,\"target_ratio\":%.2f,\"target_met\":%b,\"%s\":[%s],\"%s\":[%s],\"python\":\"%s\"}",
        s.records(), s.inputBytes(), s.workers(), plainKey, s.plainSeconds(), runKey, s.runSeconds(), s.ratio(),
        target, s.ratio() <= target, plainSamples, json(s.plainSamples()), runSamples, json(s.runSamples()),
        s.python().replace("\\", "\\\\").replace("\"", "\\\""));
  }

  /** The numbers of one run of such a benchmark. */
  interface Sides {
    long records();

    long inputBytes();

    int workers();

    String python();

    double plainSeconds();

    double runSeconds();

    double[] plainSamples();

    double[] runSamples();

    /** pyworkers over plain (medians); lower is better. */
    default double ratio() {
      return runSeconds() / plainSeconds();
    }
  }

  private static String samples(double[] v) {
    return Arrays.stream(v).mapToObj(d -> String.format(Locale.ROOT, "%.2f", d)).collect(Collectors.joining(" "));
  }

  private static String json(double[] v) {
    return Arrays.stream(v).mapToObj(d -> String.format(Locale.ROOT, "%.3f", d)).collect(Collectors.joining(","));
  }
}
