package dev.pyworkers.cli;

import dev.pyworkers.bench.ArrowBenchOptions;
import dev.pyworkers.bench.ArrowBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pyworkers bench arrow}: runs {@link ArrowBenchmark} and prints its table on stdout, then with {@code --json}
 * one JSON line as the last line. Progress goes to stderr. Exit code 0 when every result was right, whether or not
 * the goals are met; 1 when a result was wrong or anything else failed. Not thread-safe: one command line per
 * instance.
 */
@Command(
    name = "arrow",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    sortOptions = false,
    description = {
      "Measures the Arrow path on one pooled worker: SQL_SCALAR_PANDAS_UDF s + 1 over int64 batches, the same"
          + " function through SQL_BATCHED_UDF (the row path), the same pandas function in one plain Python process"
          + " over the same batches (the limit), and eight identity SQL_SCALAR_ARROW_UDFs over 4 int64 and 4 float64"
          + " columns (GB/s), and applyInPandas and applyInArrow with an identity function over groups of 10 rows"
          + " (microseconds per group). Every result is checked. Needs pyarrow and pandas in the Python it runs."
    })
final class BenchArrowCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--rows", paramLabel = "N", defaultValue = "" + ArrowBenchOptions.DEFAULT_ROWS,
      description = "Rows per task (default: ${DEFAULT-VALUE}).")
  long rows;

  @Option(names = "--batch-rows", paramLabel = "N", defaultValue = "" + ArrowBenchOptions.DEFAULT_BATCH_ROWS,
      description = "Rows per Arrow batch (default: ${DEFAULT-VALUE}).")
  int batchRows;

  @Option(names = "--repeat", paramLabel = "N", defaultValue = "" + ArrowBenchOptions.DEFAULT_REPEAT,
      description = "Timed tasks per case after one warm-up; the median is reported (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--groups", paramLabel = "N", defaultValue = "" + ArrowBenchOptions.DEFAULT_GROUPS,
      description = "Groups of " + ArrowBenchOptions.GROUP_ROWS + " rows in the applyInPandas and applyInArrow cases"
          + " (default: ${DEFAULT-VALUE}).")
  int groups;

  @Mixin BenchOutput output;

  @Override
  public Integer call() throws Exception {
    ArrowBenchOptions options;
    try {
      options = new ArrowBenchOptions(output.python, rows, batchRows, repeat, groups);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    return output.print(spec, progress -> new ArrowBenchmark(options, progress).run());
  }
}
