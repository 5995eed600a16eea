package dev.pyworkers.cli;

import dev.pyworkers.bench.ThroughputBenchmark;
import dev.pyworkers.bench.ThroughputOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pyworkers bench throughput}: runs {@link ThroughputBenchmark} and prints its tables on stdout, then with
 * {@code --json} one JSON line as the last line. Progress goes to stderr. Exit code 0 when the run completed and
 * every result was right, whether or not the targets are met (the tables and the JSON say); 1 when a result was
 * wrong or anything else failed. Arguments are checked before any Python process starts. Not thread-safe: one
 * command line per instance.
 */
@Command(
    name = "throughput",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    sortOptions = false,
    description = {
      "Measures rows/s through one pooled worker for SQL_BATCHED_UDF and NON_UDF on an identity, an x + 1 and an"
          + " s.upper() function, against the same function in a plain in-process Python loop over the same values,"
          + " timed side by side: in each round the loop is timed right before the round's tasks.",
      "Every result is checked; a case's ratio is the median of its per-round paired ratios, and the headline ratio"
          + " per eval type is the minimum over the functions (target: 0.5)."
    })
final class BenchThroughputCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--rows",
      paramLabel = "N",
      defaultValue = "" + ThroughputOptions.DEFAULT_ROWS,
      description = "Rows per measured task, for every function (default: ${DEFAULT-VALUE}).")
  long rows;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "" + ThroughputOptions.DEFAULT_BATCH_SIZE,
      description = "Rows per pickled batch: the SQL_BATCHED_UDF batch size and the values per NON_UDF input and"
          + " output record (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--repeat",
      paramLabel = "N",
      defaultValue = "" + ThroughputOptions.DEFAULT_REPEAT,
      description = "Measured rounds; each times every function's in-process baseline once, then runs one task"
          + " per case; the median of the per-round ratios is reported (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Mixin BenchOutput output;

  @Override
  public Integer call() throws Exception {
    range("--rows", rows, ThroughputOptions.MAX_ROWS);
    range("--batch-size", batchSize, ThroughputOptions.MAX_BATCH_SIZE);
    range("--repeat", repeat, ThroughputOptions.MAX_REPEAT);
    ThroughputOptions options;
    try {
      options = new ThroughputOptions(output.python, rows, batchSize, repeat);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    return output.print(spec, progress -> new ThroughputBenchmark(options, progress).run());
  }

  private void range(String option, long value, long max) {
    if (value < 1 || value > max) {
      throw new ParameterException(spec.commandLine(), option + " must be between 1 and " + max + ", got " + value);
    }
  }
}
