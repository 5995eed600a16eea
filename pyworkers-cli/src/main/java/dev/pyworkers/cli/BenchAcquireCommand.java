package dev.pyworkers.cli;

import dev.pyworkers.Transport;
import dev.pyworkers.bench.AcquireBenchmark;
import dev.pyworkers.bench.AcquireOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pyworkers bench acquire}: runs {@link AcquireBenchmark} and prints its table on stdout, then with
 * {@code --json} one JSON line as the last line. Progress goes to stderr. Arguments are checked before any Python
 * process starts. Not thread-safe: one command line per instance.
 */
@Command(
    name = "acquire",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    sortOptions = false,
    description = {
      "Measures worker acquisition latency, the time of WorkerFactory.create() alone: reuse from the idle pool,"
          + " fork from a warm daemon, spawn of a simple worker, and cold start of a new registry.",
      "Prints p50 and p99 per case and how many times fork is faster than spawn, measured in the same run."
    })
final class BenchAcquireCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      defaultValue = "" + AcquireOptions.DEFAULT_ITERATIONS,
      description = "Measured acquisitions of the reuse and fork cases (default: ${DEFAULT-VALUE}).")
  int iterations;

  @Option(
      names = "--spawn-iterations",
      paramLabel = "N",
      description = "Measured spawns of the spawn case (default: the value of --iterations).")
  Integer spawnIterations;

  @Option(
      names = "--cold-iterations",
      paramLabel = "N",
      defaultValue = "" + AcquireOptions.DEFAULT_COLD_ITERATIONS,
      description = "New registries whose first worker is timed; the median is reported (default: ${DEFAULT-VALUE}).")
  int coldIterations;

  @Mixin BenchOutput output;

  @Option(
      names = "--transport",
      paramLabel = "KIND",
      defaultValue = "auto",
      description = "Socket between the JVM and its workers: auto, unix or tcp (default: ${DEFAULT-VALUE}).")
  Transport transport;

  @Override
  public Integer call() throws Exception {
    AcquireOptions options = options();
    return output.print(spec, progress -> new AcquireBenchmark(options, progress).run());
  }

  private AcquireOptions options() {
    int spawns = spawnIterations != null ? spawnIterations : iterations;
    positive("--iterations", iterations);
    positive("--spawn-iterations", spawns);
    positive("--cold-iterations", coldIterations);
    try {
      return new AcquireOptions(output.python, transport, iterations, spawns, coldIterations);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e, null, null);
    }
  }

  private void positive(String option, int value) {
    if (value < 1) {
      throw new ParameterException(spec.commandLine(), option + " must be at least 1, got " + value);
    }
  }
}
