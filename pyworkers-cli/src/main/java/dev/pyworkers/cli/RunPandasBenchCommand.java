package dev.pyworkers.cli;

import dev.pyworkers.cli.run.RunPandasBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pyworkers bench run-pandas}: runs {@link RunPandasBenchmark} and prints its table on stdout, then with
 * {@code --json} one JSON line as the last line. Progress goes to stderr. Exit code 0 when the run completed and its
 * checks passed (whether or not the ratio meets its target: the table and the JSON say). Not thread-safe: one
 * command line per instance.
 */
@Command(
    name = "run-pandas",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    sortOptions = false,
    description = {
      "Times pyworkers run --pandas against a plain pandas script doing the same job (pd.read_json with the pyarrow"
          + " engine, FUNC, to_json), end to end with start-up, alternating in the same run, on generated JSONL"
          + " records {\"x\": <int>, \"s\": <string>} and FUNC"
          + " pd.DataFrame({\"x\": df[\"x\"] + 1, \"n\": df[\"s\"].str.len()}).",
      "Checks that both outputs are byte-identical and that no process is left, and prints the ratio of the medians"
          + " (target: pyworkers run --pandas <= 0.6 x the plain script)."
    })
final class RunPandasBenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin BenchOutput output;

  @Option(names = "--records", paramLabel = "N", defaultValue = "2000000",
      description = "Records in the generated input (default: ${DEFAULT-VALUE}).")
  long records;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "2",
      description = "Workers of the pyworkers run --pandas (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--repeat", paramLabel = "N", defaultValue = "3",
      description = "Runs of each side; the medians are compared (default: ${DEFAULT-VALUE}).")
  int repeat;


  @Override
  public Integer call() throws Exception {
    if (records < 1) throw new ParameterException(spec.commandLine(), "--records must be at least 1, got " + records);
    if (workers < 1) throw new ParameterException(spec.commandLine(), "--workers must be at least 1, got " + workers);
    if (repeat < 1) throw new ParameterException(spec.commandLine(), "--repeat must be at least 1, got " + repeat);
    return output.print(spec, progress -> new RunPandasBenchmark(records, workers, repeat, output.python, progress).run());
  }
}
