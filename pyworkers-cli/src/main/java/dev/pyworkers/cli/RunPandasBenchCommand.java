package dev.pyworkers.cli;

import dev.pyworkers.cli.run.RunPandasBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
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

  @Mixin RunBenchOptions run;

  @Override
  public Integer call() throws Exception {
    run.check(spec);
    return output.print(spec, progress -> new RunPandasBenchmark(run.records, run.workers, run.repeat,
        output.python, progress).run());
  }
}
