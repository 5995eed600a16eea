package dev.pyworkers.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pyworkers bench}: the group of benchmark harnesses from the pyworkers-bench module, one subcommand each
 * ({@code acquire} now; {@code throughput} is meant to join it). Not thread-safe: one command line per instance.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    description = "Runs a benchmark harness and prints its results.",
    subcommands = {BenchAcquireCommand.class, RunJobBenchCommand.class, RunPandasBenchCommand.class, BenchThroughputCommand.class,
        RunWorkersBenchCommand.class, BenchArrowCommand.class, BenchGatewayCommand.class, BenchSparkCommand.class})
final class BenchCommand implements Runnable {
  @Spec CommandSpec spec;

  /** {@code pyworkers bench} alone is a usage error: name a benchmark. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing required subcommand: name a benchmark, e.g. acquire");
  }
}
