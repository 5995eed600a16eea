package dev.pyworkers.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options of the benchmarks that time {@code pyworkers run} against a plain script ({@code bench run-job},
 * {@code bench run-pandas}): the input's size, the run's workers and the repeats. A picocli mixin; not thread-safe.
 */
final class RunBenchOptions {
  @Option(names = "--records", paramLabel = "N", defaultValue = "2000000",
      description = "Records in the generated input (default: ${DEFAULT-VALUE}).")
  long records;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "2",
      description = "Workers of the pyworkers run (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--repeat", paramLabel = "N", defaultValue = "3",
      description = "Runs of each side; the medians are compared (default: ${DEFAULT-VALUE}).")
  int repeat;

  /** Throws a ParameterException for a value below 1. */
  void check(CommandSpec spec) {
    if (records < 1) throw new ParameterException(spec.commandLine(), "--records must be at least 1, got " + records);
    if (workers < 1) throw new ParameterException(spec.commandLine(), "--workers must be at least 1, got " + workers);
    if (repeat < 1) throw new ParameterException(spec.commandLine(), "--repeat must be at least 1, got " + repeat);
  }
}
