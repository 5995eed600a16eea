package dev.pyworkers.cli;

import dev.pyworkers.cli.run.RunJobBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code pyworkers bench run-job}: runs {@link RunJobBenchmark} and prints its table on stdout, then with
 * {@code --json} one JSON line as the last line. Progress goes to stderr. Exit code 0 when the run completed and its
 * checks passed (whether or not the ratio meets its target: the table and the JSON say). Not thread-safe: one
 * command line per instance.
 */
@Command(
    name = "run-job",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    sortOptions = false,
    description = {
      "Times the main job, pyworkers run, against a plain single-process Python script doing the same work (read,"
          + " json.loads, the UDF, json.dumps, write), end to end with start-up, one after the other in the same"
          + " run, on generated JSONL records {\"x\": <int>, \"s\": <string>} and the UDF"
          + " {\"x\": r[\"x\"] + 1, \"n\": len(r[\"s\"])}.",
      "Checks that both outputs are byte-identical and that no process is left, and prints the ratio of the medians"
          + " (target: pyworkers run <= 0.75 x the plain script)."
    })
final class RunJobBenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin BenchOutput output;

  @Mixin RunBenchOptions run;

  @Override
  public Integer call() throws Exception {
    run.check(spec);
    return output.print(spec, progress -> new RunJobBenchmark(run.records, run.workers, run.repeat,
        output.python, progress).run());
  }
}
