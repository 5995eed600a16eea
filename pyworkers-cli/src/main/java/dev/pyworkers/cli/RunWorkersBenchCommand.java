package dev.pyworkers.cli;

import dev.pyworkers.cli.run.RunWorkersBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pyworkers bench run-workers}: runs {@link RunWorkersBenchmark} and prints its table on stdout, then with
 * {@code --json} one JSON line as the last line. Progress goes to stderr. Exit code 0 when every run completed and
 * its checks passed (whether or not the ratio meets its target: the table and the JSON say). Not thread-safe: one
 * command line per instance.
 */
@Command(
    name = "run-workers",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    sortOptions = false,
    description = {
      "Times pyworkers run --workers W against --workers 1 on a small input of a slow FUNC (it sleeps per record and"
          + " returns [i, os.getpid()]), in paired rounds, each run a new JVM timed from start to exit.",
      "Checks every output (all records, in order, written by exactly W distinct workers) and that no process is"
          + " left, and prints the median of the per-round ratios (target: W workers <= 0.35 x 1 worker)."
    })
final class RunWorkersBenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin BenchOutput output;

  @Option(names = "--records", paramLabel = "N", defaultValue = "1000",
      description = "Records in the generated input (default: ${DEFAULT-VALUE}).")
  int records;

  @Option(names = "--sleep-ms", paramLabel = "MS", defaultValue = "5",
      description = "How long FUNC sleeps per record, in milliseconds (default: ${DEFAULT-VALUE}).")
  int sleepMillis;

  @Option(names = "--workers", paramLabel = "W", defaultValue = "4",
      description = "Workers of the parallel side, at least 2 (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "5",
      description = "Paired rounds; the median ratio is reported (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Override
  public Integer call() throws Exception {
    if (records < 1) throw bad("--records must be at least 1, got " + records);
    if (sleepMillis < 0) throw bad("--sleep-ms must be at least 0, got " + sleepMillis);
    if (workers < 2 || workers > 1024) throw bad("--workers must be between 2 and 1024, got " + workers);
    if (rounds < 1) throw bad("--rounds must be at least 1, got " + rounds);
    return output.print(spec, progress ->
        new RunWorkersBenchmark(records, sleepMillis, workers, rounds, output.python, progress).run());
  }

  private ParameterException bad(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
